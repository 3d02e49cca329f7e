package audit_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/snowsync/snowsync/internal/audit"
	"github.com/snowsync/snowsync/internal/request"
	"github.com/snowsync/snowsync/internal/task/outcome"
)

// recordStore is the contract audit.Store and audit.Memory share.
type recordStore interface {
	Put(ctx context.Context, recs []outcome.Task) error
	Existing(ctx context.Context, keys []audit.Key) (map[audit.Key]outcome.Task, error)
	Get(ctx context.Context, id string) ([]outcome.Task, error)
	List(ctx context.Context, f audit.Filter) ([]outcome.Task, error)
}

// contract is the one table of tests of the store contract; TestContract runs each against a Store
// on Azurite and against a Memory. What only Table Storage can show (the entity's properties, the
// requests sent, outages) is tested on Azurite alone, in store_test.go.
var contract = []struct {
	name string
	test func(t *testing.T, s recordStore)
}{
	{"RoundTrip", testRoundTrip},
	{"PutTwiceLeavesSameRecords", testPutTwiceLeavesSameRecords},
	{"PutLargeRecords", testPutLargeRecords},
	{"PutTruncatesToFit", testPutTruncatesToFit},
	{"List", testList},
	{"Get", testGet},
	{"Existing", testExisting},
	{"PutValidatesKeys", testPutValidatesKeys},
}

func TestContract(t *testing.T) {
	stores := []struct {
		name string
		open func(t *testing.T) recordStore
	}{
		{"Azurite", func(t *testing.T) recordStore { s, _, _ := newStore(t, server); return s }},
		{"Memory", func(*testing.T) recordStore { return audit.NewMemory() }},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			for _, c := range contract {
				t.Run(c.name, func(t *testing.T) { c.test(t, st.open(t)) })
			}
		})
	}
}

// all returns every record of the store.
func all(t *testing.T, s recordStore) []outcome.Task {
	t.Helper()
	recs, err := s.List(t.Context(), audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// fullRecord sets every field of a record; minimalRecord only its key, status and reason.
func fullRecord() outcome.Task {
	full := event(0, 17)
	full.TaskID = ptr("4b1f6c1e-task-42")
	full.Status = outcome.Failed
	full.Reason = "1 resource failed"
	full.ErrorType = "SYNC_ERROR"
	full.ErrorMessage = "002003 (02000): SQL compilation error: Object 'SALES.PUBLIC.ORDERS' does not exist — «ünïcode» 😀"
	full.AppType, full.AppSubType, full.CreateTime = "PS_CONNECTOR", "SNOWFLAKE", "2026-11-24T10:15:00Z"
	full.EnqueuedTime = day.Add(-time.Second)
	full.ResourceCount, full.Synced, full.Skipped, full.Failed, full.Grants, full.Revokes = 4, 2, 1, 1, 7, 3
	full.MasksSet, full.MasksSwapped, full.MasksRemoved, full.FiltersSet, full.FiltersSwapped, full.FiltersRemoved = 2, 1, 3, 1, 4, 5
	full.DryRun = true
	full.InvocationID = "b8a5c3d2-0000-4000-8000-000000000001"
	full.SequenceNumber = ptr(int64(1) << 40)
	full.PolicyVersion = ptr(int64(1)<<35 + 7)     // beyond Int32: stored as Edm.Int64
	full.PolicyVersionFrom = ptr(int64(1)<<35 + 5) // likewise
	full.DurationMs = 1 << 33
	full.Resources = []outcome.Resource{
		{Resource: request.Resource{Kind: request.KindTable, Database: "SALES", Schema: "PUBLIC", Table: "ORDERS"}, Status: outcome.Success,
			Statements: []string{`GRANT SELECT ON TABLE "SALES"."PUBLIC"."ORDERS" TO ROLE "PRIV_ANALYSTS"`, `REVOKE INSERT ON TABLE "SALES"."PUBLIC"."ORDERS" FROM ROLE "PRIV_A&B"`}, Grants: 1, Revokes: 1,
			PolicyChanges: outcome.PolicyChanges{MasksSet: 2, FiltersSwapped: 1}, Notes: []string{`column "SSN" carries masking policy X.Y.Z, which snowsync did not create`}},
		{Resource: request.Resource{Kind: request.KindView, Database: "SALES", Schema: "PUBLIC", Table: "V_ORDERS"}, Status: outcome.Failed, Reason: "timeout", ErrorCode: "000630"},
		{Resource: request.Resource{Kind: request.KindDatabase, Database: "NOPE"}, Status: outcome.Skipped, Reason: "does not exist in Snowflake"},
	}
	return full
}

func minimalRecord() outcome.Task {
	return outcome.Task{PartitionKey: "2026-11-24", RowKey: "api-0001", Status: outcome.Skipped, Reason: "type is not RESOURCE_SYNC"}
}

func testRoundTrip(t *testing.T, s recordStore) {
	emptyResources := minimalRecord()
	emptyResources.RowKey = audit.RowKeyForEvent("hub_a", "group/1", "0", 1) // escapes as "~5F", "~2F"
	emptyResources.Resources = []outcome.Resource{}

	recs := []outcome.Task{fullRecord(), minimalRecord(), emptyResources}
	if err := s.Put(t.Context(), recs); err != nil {
		t.Fatal(err)
	}
	stored, err := s.Existing(t.Context(), keys(recs))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range recs {
		t.Run(want.RowKey, func(t *testing.T) {
			if got := stored[audit.KeyOf(want)]; !reflect.DeepEqual(got, want) {
				t.Errorf("read back\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

func testPutTwiceLeavesSameRecords(t *testing.T, s recordStore) {
	batch := events(0, 100, 30)
	if err := s.Put(t.Context(), batch); err != nil {
		t.Fatal(err)
	}
	redelivered := slices.Clone(batch)
	for i := range redelivered {
		redelivered[i].InvocationID = "second-invocation"
	}
	redelivered = append(redelivered, redelivered[0]) // a duplicate inside one batch collapses too
	if err := s.Put(t.Context(), redelivered); err != nil {
		t.Fatal(err)
	}
	got := all(t, s)
	if len(got) != len(batch) {
		t.Fatalf("%d records after the same batch twice, want %d", len(got), len(batch))
	}
	if !reflect.DeepEqual(got, redelivered[:len(batch)]) {
		t.Errorf("records are not the re-delivered batch:\n%+v", got)
	}
}

// largeRecords are 60 records of 120 KB: 7 MB, more than one transaction holds.
func largeRecords() []outcome.Task {
	recs := events(0, 0, 60)
	for i := range recs {
		recs[i].ErrorMessage = strings.Repeat("é", 30_000) // 60,000 bytes of UTF-8
		recs[i].Reason = strings.Repeat("ü", 30_000)
	}
	return recs
}

func testPutLargeRecords(t *testing.T, s recordStore) {
	recs := largeRecords()
	if err := s.Put(t.Context(), recs); err != nil {
		t.Fatalf("Put of %d records of 120 KB: %v", len(recs), err)
	}
	if got := all(t, s); !reflect.DeepEqual(got, recs) {
		t.Errorf("%d records stored, want the %d written", len(got), len(recs))
	}
}

// oversized is a record with more resources and longer strings than an entity holds.
func oversized() outcome.Task {
	resources := make([]outcome.Resource, 5000)
	for i := range resources {
		table := fmt.Sprintf("T%04d", i)
		resources[i] = outcome.Resource{
			Resource:   request.Resource{Kind: request.KindTable, Database: "SALES", Schema: "PUBLIC", Table: table},
			Status:     outcome.Success,
			Statements: []string{`GRANT SELECT ON TABLE "SALES"."PUBLIC"."` + table + `" TO ROLE "PRIV_ANALYSTS"`},
			Grants:     1,
		}
	}
	rec := event(0, 1)
	rec.Resources = resources
	rec.ErrorMessage = strings.Repeat("x", 100_000)
	rec.Reason = strings.Repeat("😀", 20_000) // 40,000 UTF-16 code units
	rec.Source = strings.Repeat("s", 5000)
	return rec
}

func testPutTruncatesToFit(t *testing.T, s recordStore) {
	rec := oversized()
	if err := s.Put(t.Context(), []outcome.Task{rec}); err != nil {
		t.Fatalf("Put of an oversized record: %v", err)
	}
	got, err := s.Get(t.Context(), rec.RowKey)
	if err != nil || len(got) != 1 {
		t.Fatalf("Get = %d records, %v", len(got), err)
	}
	r := got[0]
	if r.ResourcesOmitted == 0 || len(r.Resources)+r.ResourcesOmitted != len(rec.Resources) {
		t.Errorf("kept %d resources and omitted %d, want %d in all with some omitted", len(r.Resources), r.ResourcesOmitted, len(rec.Resources))
	}
	if !reflect.DeepEqual(r.Resources, rec.Resources[:len(r.Resources)]) {
		t.Error("kept resources are not a prefix of the written ones")
	}
	for name, v := range map[string]string{"ErrorMessage": r.ErrorMessage, "Reason": r.Reason, "Source": r.Source} {
		if !strings.HasSuffix(v, "…[truncated]") {
			t.Errorf("%s does not say it was truncated: ...%q", name, v[max(0, len(v)-20):])
		}
	}
	if n := len(utf16.Encode([]rune(r.Source))); n > 1024 {
		t.Errorf("Source is %d UTF-16 code units", n)
	}
}

func testList(t *testing.T, s recordStore) {
	recs := slices.Concat(events(-1, 0, 3), events(0, 10, 3), events(1, 20, 3))
	recs[1].Status = outcome.Failed
	recs[4].Status = outcome.Failed
	recs[7].Status = outcome.Skipped
	recs[4].TaskID = ptr("task-'quoted'")
	recs[2].Source = "API"
	recs[5].Source = outcome.SourcePolicyChange
	recs[6].Source = "it's"
	recs[8].Source = "kafka" // as a client sent it: sources are compared as stored
	if err := s.Put(t.Context(), recs); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		filter audit.Filter
		want   []outcome.Task
	}{
		{"everything", audit.Filter{}, recs},
		{"status", audit.Filter{Status: outcome.Failed}, []outcome.Task{recs[1], recs[4]}},
		{"since", audit.Filter{Since: recs[4].StartedAt}, recs[4:]},
		{"until", audit.Filter{Until: recs[4].StartedAt}, recs[:4]},
		{"since and until", audit.Filter{Since: recs[2].StartedAt, Until: recs[7].StartedAt}, recs[2:7]},
		{"status and time", audit.Filter{Status: outcome.Failed, Since: day}, []outcome.Task{recs[4]}},
		{"task id with quotes", audit.Filter{TaskID: "task-'quoted'"}, []outcome.Task{recs[4]}},
		{"limit", audit.Filter{Limit: 4}, recs[:4]},
		{"nothing", audit.Filter{Status: outcome.Skipped, Until: day}, nil},
		{"sources", audit.Filter{Sources: []string{"API", outcome.SourcePolicyChange}}, []outcome.Task{recs[2], recs[5]}},
		{"source with quotes", audit.Filter{Sources: []string{"it's"}}, []outcome.Task{recs[6]}},
		{"source as stored", audit.Filter{Sources: []string{"KAFKA"}}, []outcome.Task{recs[0], recs[1], recs[3], recs[4], recs[7]}},
		{"source, status, time and limit", audit.Filter{Sources: []string{"KAFKA", "kafka"}, Status: outcome.Success, Since: recs[0].StartedAt, Limit: 2},
			[]outcome.Task{recs[0], recs[3]}},
		{"no such source", audit.Filter{Sources: []string{"DRIFT"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.List(t.Context(), tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(rowKeys(got), rowKeys(tt.want)) {
				t.Errorf("List(%+v) = %v, want %v", tt.filter, rowKeys(got), rowKeys(tt.want))
			}
		})
	}
	t.Run("too many sources", func(t *testing.T) {
		f := audit.Filter{Sources: make([]string, audit.MaxSources+1)}
		if got, err := s.List(t.Context(), f); err == nil {
			t.Errorf("List with %d sources = %v, want an error", len(f.Sources), rowKeys(got))
		}
	})
}

func testGet(t *testing.T, s recordStore) {
	recs := events(0, 0, 4)
	recs[0].TaskID = ptr("reused")
	recs[2].TaskID = ptr("reused") // clients reuse ids: both events are the task's
	recs[3].TaskID = ptr("' or PartitionKey ne '")
	if err := s.Put(t.Context(), recs); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id   string
		want []outcome.Task
	}{
		{"reused", []outcome.Task{recs[0], recs[2]}},
		{recs[1].RowKey, []outcome.Task{recs[1]}},
		{"' or PartitionKey ne '", []outcome.Task{recs[3]}},
		{"unknown", nil},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			got, err := s.Get(t.Context(), tt.id)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Get(%q) = %v, want %v", tt.id, rowKeys(got), rowKeys(tt.want))
			}
		})
	}
}

func testExisting(t *testing.T, s recordStore) {
	stored := slices.Concat(events(0, 0, 20), events(1, 0, 20))
	if err := s.Put(t.Context(), stored); err != nil {
		t.Fatal(err)
	}
	// Ask for some stored keys of each partition, and for keys never written, between and around them.
	asked := slices.Concat(keys(stored[3:8]), keys(stored[30:32]), keys(events(0, 50, 2)), keys(events(2, 0, 1)))
	got, err := s.Existing(t.Context(), asked)
	if err != nil {
		t.Fatal(err)
	}
	want := map[audit.Key]outcome.Task{}
	for _, r := range slices.Concat(stored[3:8], stored[30:32]) {
		want[audit.KeyOf(r)] = r
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Existing found %d records, want %d", len(got), len(want))
	}
}

// invalidKeys are keys Table Storage cannot hold, or that aztables cannot put into a URL.
var invalidKeys = []struct{ name, pk, rk string }{
	{"empty partition key", "", "a"},
	{"empty row key", "2026-11-24", ""},
	{"slash", "2026-11-24", "a/b"},
	{"backslash", "2026-11-24", `a\b`},
	{"hash", "2026-11-24", "a#b"},
	{"question mark", "2026-11-24", "a?b"},
	{"single quote", "2026-11-24", "a'b"},
	{"control character", "2026-11-24", "a\tb"},
	{"too long", "2026-11-24", strings.Repeat("k", 513)},
}

func testPutValidatesKeys(t *testing.T, s recordStore) {
	for _, tt := range invalidKeys {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Put(t.Context(), []outcome.Task{{PartitionKey: tt.pk, RowKey: tt.rk}})
			if !audit.IsRejected(err) || !errors.Is(err, audit.ErrInvalidKey) {
				t.Errorf("Put = %v, want a key error", err)
			}
		})
	}
	valid := event(0, 1)
	if err := s.Put(t.Context(), []outcome.Task{valid}); err != nil {
		t.Fatal(err)
	}
	if got := all(t, s); !slices.Equal(rowKeys(got), []string{valid.RowKey}) {
		t.Errorf("stored %v, want only the valid record", rowKeys(got))
	}
}
