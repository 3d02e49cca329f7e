package audit_test

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/snowsync/snowsync/internal/audit"
)

func ExampleRowKeyForEvent() {
	fmt.Println(audit.RowKeyForEvent("sync-requests", "$Default", "3", 17))
	fmt.Println(audit.RowKeyForEvent("hub_a", "group/1", "0", 4294967296))
	// Output:
	// sync-requests_$Default_3_00000000000000000017
	// hub~5Fa_group~2F1_0_00000000004294967296
}

func TestRowKeyForEvent(t *testing.T) {
	t.Run("distinct events, distinct keys", func(t *testing.T) {
		a := audit.RowKeyForEvent("a_b", "c", "0", 1)
		b := audit.RowKeyForEvent("a", "b_c", "0", 1)
		if a == b {
			t.Errorf("both events have key %s", a)
		}
	})
	t.Run("keys of a partition sort by sequence number", func(t *testing.T) {
		seqs := []int64{0, 9, 10, 99, 100, 1 << 40}
		var ks []string
		for _, s := range seqs {
			ks = append(ks, audit.RowKeyForEvent("h", "$Default", "1", s))
		}
		if !slices.IsSorted(ks) {
			t.Errorf("keys do not sort: %v", ks)
		}
	})
	t.Run("key-safe", func(t *testing.T) {
		k := audit.RowKeyForEvent("h/#?\\'", "\x00\t\u0085", "ü", 1)
		for _, r := range k {
			if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '_' || r == '~' || r == '$' || r == '.' || r == '-') {
				t.Errorf("key %q holds %q", k, r)
			}
		}
	})
}

func TestPartitionKeyFor(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*3600)
	if got := audit.PartitionKeyFor(time.Date(2026, 11, 25, 8, 0, 0, 0, tokyo)); got != "2026-11-24" {
		t.Errorf("PartitionKeyFor = %s, want the UTC date 2026-11-24", got)
	}
}

func TestIsRejected(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{&azcore.ResponseError{StatusCode: http.StatusBadRequest, ErrorCode: "PropertyValueTooLarge"}, true},
		{fmt.Errorf("put: %w", &azcore.ResponseError{StatusCode: http.StatusBadRequest}), true},
		{&azcore.ResponseError{StatusCode: http.StatusForbidden, ErrorCode: "AuthorizationPermissionMismatch"}, false},
		{&azcore.ResponseError{StatusCode: http.StatusServiceUnavailable}, false},
		{errors.New("400"), false},
	} {
		if got := audit.IsRejected(tt.err); got != tt.want {
			t.Errorf("IsRejected(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestParseSources(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{"", nil, ""},
		{"  ", nil, ""},
		{"kafka", []string{"KAFKA"}, ""},
		{" Policy_Change , drift,POLICY_CHANGE", []string{"POLICY_CHANGE", "DRIFT"}, ""},
		{"it's", []string{"IT'S"}, ""},
		{"KAFKA,,API", nil, `"KAFKA,,API" has an empty source`},
		{"A,", nil, `"A," has an empty source`},
		{"A,B,C,D,E,F,G,H,I,J", nil, `"A,B,C,D,E,F,G,H,I,J" names 10 sources, at most 9`},
		{"A,B,C,D,E,F,G,H,I,A", []string{"A", "B", "C", "D", "E", "F", "G", "H", "I"}, ""},
	}
	for _, tt := range tests {
		got, err := audit.ParseSources(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("ParseSources(%q) = %q, %v; want error %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ParseSources(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
