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

// A reconciliation's record carries the policy version it reconciled from (Origin.PolicyVersionFrom)
// into the audit store; an event's record has none.
func TestRecordsCarryPolicyVersionFrom(t *testing.T) {
	from := int64(41)
	in := inputs(body("reconcile", "ORDERS"), body("event", "ORDERS"))
	in[0].Origin.PolicyVersionFrom = &from
	store := audit.NewMemory()
	syncer := &pinningSyncer{fakeSyncer: fakeSyncer{result: byTable}, version: 42}
	outs, err := newRunner(syncer, &memStore{Memory: store}).Run(t.Context(), in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := store.Existing(t.Context(), []audit.Key{in[0].Key, in[1].Key})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"41", ""} {
		rec := stored[in[i].Key]
		if got := versionString(outs[i].Record.PolicyVersionFrom); got != want || versionString(rec.PolicyVersionFrom) != want {
			t.Errorf("record %d: PolicyVersionFrom %q, stored %q; want %q", i, got, versionString(rec.PolicyVersionFrom), want)
		}
		if got := versionString(rec.PolicyVersion); got != "42" {
			t.Errorf("record %d: PolicyVersion %q, want 42", i, got)
		}
	}
}
