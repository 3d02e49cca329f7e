package task

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/snowsync/snowsync/internal/audit"
	"github.com/snowsync/snowsync/internal/failure"
	"github.com/snowsync/snowsync/internal/request"
	"github.com/snowsync/snowsync/internal/task/outcome"
)

type pinKey struct{}

// pinningSyncer is a fakeSyncer that pins version (or fails to, with err) and checks that Sync runs
// under the pinned context.
type pinningSyncer struct {
	fakeSyncer
	version int64
	err     error
	pins    int
	// unpinned counts Sync calls whose context lacks the pin.
	unpinned int
}

func (p *pinningSyncer) Pin(ctx context.Context) (context.Context, int64, error) {
	p.pins++
	ctx = context.WithValue(ctx, pinKey{}, p.version)
	return ctx, p.version, p.err
}

func (p *pinningSyncer) Sync(ctx context.Context, reqs []request.Request) ([][]outcome.Resource, error) {
	if ctx.Value(pinKey{}) != p.version {
		p.unpinned++
	}
	return p.fakeSyncer.Sync(ctx, reqs)
}

// Every record of a batch carries the version of the policy set pinned for it, whatever its status,
// and so does every failure event; with no set loaded there is none.
func TestRecordsCarryThePinnedPolicyVersion(t *testing.T) {
	bodies := [][]byte{body("ok", "ORDERS"), body("skip", "MISSING"), body("fail", "BROKEN"), []byte("not json"),
		[]byte(`{"type":"USER_SYNC","source":"API","requestInfo":{"resources":[]}}`)}
	for _, tt := range []struct {
		name string
		err  error
		want string // the version in every record; "" for none
	}{
		{"pinned", nil, "42"},
		{"no set loaded", errors.New("ranger down"), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			syncer := &pinningSyncer{fakeSyncer: fakeSyncer{result: byTable}, version: 42, err: tt.err}
			outs, err := newRunner(syncer, &memStore{Memory: audit.NewMemory()}).Run(t.Context(), inputs(bodies...), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if syncer.pins != 1 || syncer.unpinned != 0 {
				t.Errorf("%d pins, %d syncs without the pin; want one pin per batch and every sync under it", syncer.pins, syncer.unpinned)
			}
			statuses := map[outcome.Status]bool{}
			for _, o := range outs {
				statuses[o.Record.Status] = true
				if got := versionString(o.Record.PolicyVersion); got != tt.want {
					t.Errorf("%s record: PolicyVersion %q, want %q", o.Record.Status, got, tt.want)
				}
				if o.Failure == "" {
					continue
				}
				var e failure.Event
				if err := json.Unmarshal([]byte(o.Failure), &e); err != nil || versionString(e.PolicyVersion) != tt.want {
					t.Errorf("failure event policyVersion %q (%v), want %q", versionString(e.PolicyVersion), err, tt.want)
				}
			}
			if len(statuses) != 3 {
				t.Errorf("statuses %v; want SUCCESS, SKIPPED and FAILED covered", statuses)
			}
		})
	}
}

func versionString(v *int64) string {
	if v == nil {
		return ""
	}
	b, _ := json.Marshal(*v)
	return string(b)
}
