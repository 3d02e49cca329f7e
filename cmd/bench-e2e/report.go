package main

import (
	"fmt"
	"io"
	"strings"
)

// definitions explain the table's columns; printed under it.
const definitions = `
- wall: snowsync from handing the batch to the host stand-in to its answer (the handler's logins included);
  naive from opening its connection pool to its last statement.
- round trips: statements the emulator ran for the client (its query log; each statement of a
  multi-statement request counts; logins and token renewals are not statements and do not count).
- waves: sequential waves, the longest chain of statements each of which started after the previous one
  ended: chain(q) = 1 + max chain(p) over the statements p that ended before q started.
- reads, read waves: the SHOW, SELECT and DESCRIBE statements, and the waves of those alone.
- peak RSS: VmHWM of the handler process (fresh per run) when the batch has been answered.
- changes: GRANT, REVOKE, CREATE, ALTER and DROP statements. One grant = one (object, role, privilege);
  the policy has one role and one privilege per level, so each grant needed is one GRANT statement for
  both runners.
- × naive: snowsync / naive, below 1 is better for snowsync. × unmasked: a masked run / the same request
  without masks in the same mode; its read waves may exceed the unmasked run's by at most 1 (checked).
- masks missing: the grants are in place, the masks not; converged: a first delivery set them, the
  measured one is the second.
- policy change: version 2 of the policies adds one policy on the tables T0001* of every schema; from the
  account converged under version 1, "reconcile" is one Reconcile run after the baseline run, "full sync"
  one database request, each on a fresh stack; × full sync: reconcile / full sync. Both must leave exactly
  what version 2 demands with as many statements; the reconciliation must send the same statements and
  name no table the change does not affect (checked).
`

// printTable writes the results as a markdown table, then the definitions.
func printTable(w io.Writer, results []result, latency string) {
	if latency == "" {
		latency = "none"
	}
	fmt.Fprintf(w, "latency model: %s\n\n", latency)
	fmt.Fprintln(w, "| batch | runner | wall | round trips | waves | reads | read waves | peak RSS | changes | × | wall × | round trips × | waves × | read waves × | check |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|")
	for _, r := range results {
		rss, ratio := "—", []string{"—", "—", "—", "—", "—"}
		if r.PeakRSSMiB > 0 {
			rss = fmt.Sprintf("%.0f MiB", r.PeakRSSMiB)
		}
		if q := r.Ratios; q != nil {
			ratio = []string{q.To, fmt.Sprintf("%.2f", q.Wall), fmt.Sprintf("%.2f", q.RoundTrips), fmt.Sprintf("%.2f", q.Waves), fmt.Sprintf("%.2f", q.ReadWaves)}
		}
		status := "ok"
		if len(r.Problems) > 0 {
			status = "FAILED: " + strings.Join(r.Problems, "; ")
		}
		fmt.Fprintf(w, "| %s | %s | %.2f s | %d | %d | %d | %d | %s | %d | %s | %s | %s | %s | %s | %s |\n", r.Scenario, r.Runner, r.WallSeconds,
			r.RoundTrips, r.Waves, r.Reads, r.ReadWaves, rss, r.Changes, ratio[0], ratio[1], ratio[2], ratio[3], ratio[4],
			strings.ReplaceAll(status, "|", `\|`))
	}
	fmt.Fprint(w, definitions)
}
