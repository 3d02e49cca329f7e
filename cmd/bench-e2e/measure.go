package main

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/snowsync/snowsync/internal/testing/emulator"
)

// waves is the length of the longest chain of queries in which each query started after the previous
// one ended: the round trips a run had to wait for one after the other, however many ran beside them.
// chain(q) = 1 + max chain(p) over the queries p that ended before q started (0 when none did).
func waves(log []emulator.LoggedQuery) int {
	byStart := slices.Clone(log)
	slices.SortFunc(byStart, func(a, b emulator.LoggedQuery) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return end(a).Compare(end(b))
	})
	byEnd := slices.Clone(log)
	slices.SortFunc(byEnd, func(a, b emulator.LoggedQuery) int { return end(a).Compare(end(b)) })
	chain := make(map[string]int, len(log)) // by query id
	longest, endedBefore, j := 0, 0, 0
	for _, q := range byStart {
		// Every query that ended before q started began earlier, so its chain is known.
		for ; j < len(byEnd) && !end(byEnd[j]).After(q.Start); j++ {
			endedBefore = max(endedBefore, chain[byEnd[j].QueryID])
		}
		chain[q.QueryID] = endedBefore + 1
		longest = max(longest, endedBefore+1)
	}
	return longest
}

func end(q emulator.LoggedQuery) time.Time { return q.Start.Add(q.Duration) }

// reads keeps the reads of a log: SHOW, SELECT and DESCRIBE statements.
func reads(log []emulator.LoggedQuery) []emulator.LoggedQuery {
	var out []emulator.LoggedQuery
	for _, q := range log {
		verb, _, _ := strings.Cut(strings.TrimSpace(q.SQL), " ")
		if q.Class == emulator.ClassShow || q.Class == emulator.ClassSelect || strings.EqualFold(verb, "DESCRIBE") {
			out = append(out, q)
		}
	}
	return out
}

// changes counts the GRANT, REVOKE, CREATE, ALTER and DROP statements of a log.
func changes(log []emulator.LoggedQuery) int { return len(changeStatements(log)) }

// changeStatements returns the GRANT, REVOKE, CREATE, ALTER and DROP statements of a log, sorted.
func changeStatements(log []emulator.LoggedQuery) []string {
	var out []string
	for _, q := range log {
		switch q.Class {
		case emulator.ClassGrant, emulator.ClassRevoke, emulator.ClassCreate, emulator.ClassAlter, emulator.ClassDrop:
			out = append(out, q.SQL)
		}
	}
	slices.Sort(out)
	return out
}

// peakRSS reads a process's peak resident set size (VmHWM) from /proc, in bytes.
func peakRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("peak RSS: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("peak RSS: %q: %w", sc.Text(), err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("peak RSS: no VmHWM in /proc/%d/status (%v)", pid, sc.Err())
}
