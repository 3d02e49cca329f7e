package main

import (
	"strings"
	"testing"
)

// `make demo` is one of the README's two commands: it must run to the end on a fresh machine and show
// what it says it shows. This runs it as `make demo` does (Azurite, the emulator and the handler in
// this process) and checks its claims against its own output.
func TestDemoRunsToTheEnd(t *testing.T) {
	var out strings.Builder
	if err := run(t.Context(), &out); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	got := out.String()
	for _, want := range []string{
		"11 audit records in all (one per event)",                      // one record per event, redelivery included
		"The host delivered the same batch again: 0 Snowflake queries", // at-least-once costs nothing
		"INVALID_JSON partition 0 seq 7",                               // the bad event reaches the failure hub
		"xxx-xx-6789",                                                  // the analyst sees SSN masked by Snowflake
		"123-45-6789",                                                  // the admin sees it whole
		"policy version 12 -> 13: 3 resources (0 failed), 39 grants, 41 revokes", // run 2 applies the edit
		`REVOKE USAGE ON SCHEMA "SALES"."REPORTING" FROM ROLE "PRIV_ANALYSTS"`,
		"GET /api/tasks?status=FAILED&since=1h  -> 1 record(s)",
		"everything it started is stopped.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the demo's output lacks %q:\n%s", want, got)
		}
	}
	_, anna, _ := strings.Cut(got, "as ANNA")
	anna, _, _ = strings.Cut(anna, "as HELGA")
	if strings.Contains(anna, "Bob") || !strings.Contains(anna, "Ada") {
		t.Errorf("the analyst sees %q; the row filter keeps the EU rows (Ada, Cy), not Bob's US row", anna)
	}
}
