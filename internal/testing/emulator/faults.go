package emulator

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Latency is the delay added before a statement of a class runs: Fixed plus a uniformly
// random part in [0, Jitter).
type Latency struct{ Fixed, Jitter time.Duration }

func (l Latency) draw() time.Duration {
	d := l.Fixed
	if l.Jitter > 0 {
		d += rand.N(l.Jitter)
	}
	return d
}

// ParseLatencies reads the -latency flag format, "CLASS=FIXED[+JITTER],...", e.g.
// "GRANT=20ms+5ms,SHOW=10ms". Class names are case-insensitive.
func ParseLatencies(s string) (map[StatementClass]Latency, error) {
	out := map[StatementClass]Latency{}
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		class, spec, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("parse latency %q: want CLASS=DURATION[+JITTER]", part)
		}
		fixed, jitter, _ := strings.Cut(spec, "+")
		var l Latency
		var err error
		if l.Fixed, err = time.ParseDuration(fixed); err != nil {
			return nil, fmt.Errorf("parse latency %q: %w", part, err)
		}
		if jitter != "" {
			if l.Jitter, err = time.ParseDuration(jitter); err != nil {
				return nil, fmt.Errorf("parse latency %q: %w", part, err)
			}
		}
		out[StatementClass(strings.ToUpper(strings.TrimSpace(class)))] = l
	}
	return out, nil
}

// FaultKind says what a fault does when it fires.
type FaultKind string

// The fault kinds. FaultError acts per statement; the others act on the whole query request
// (the HTTP exchange) before any statement of it runs.
const (
	FaultError    FaultKind = "error"    // the statement fails with Number / SQLState / Message
	FaultThrottle FaultKind = "throttle" // the request is answered HTTP 429 (the driver retries)
	FaultDrop     FaultKind = "drop"     // the connection is closed without an answer (the driver retries)
	FaultSlow     FaultKind = "slow"     // the answer is delayed by Delay; a client that gives up first cancels the request, which then runs nothing
)

// Fault is an injected failure. It considers the statements (FaultError) or query requests
// (other kinds) that arrive after AddFault and whose SQL text matches Match (all when nil);
// it fires from the Nth of those on (the first when Nth is 0), Times times (once when Nth is
// set and Times is 0, on every match when both are 0).
type Fault struct {
	Kind     FaultKind
	Nth      int
	Match    *regexp.Regexp
	Times    int
	Number   int           // FaultError: error number; 0 means 000603 (internal error)
	SQLState string        // FaultError: SQLState; empty means the one Snowflake uses with Number
	Message  string        // FaultError: message; empty means a generic one
	Delay    time.Duration // FaultSlow
}

// faultState is a fault with its counters; guarded by Server.smu.
type faultState struct {
	Fault
	seen, fired int
}

// take counts one candidate and reports whether the fault fires on it.
func (f *faultState) take(sql string) bool {
	if f.Match != nil && !f.Match.MatchString(sql) {
		return false
	}
	f.seen++
	if f.seen < f.Nth {
		return false
	}
	limit := f.Times
	if limit == 0 && f.Nth > 0 {
		limit = 1
	}
	if limit > 0 && f.fired >= limit {
		return false
	}
	f.fired++
	return true
}

func (f *Fault) err() *Error {
	n := f.Number
	if n == 0 {
		n = 603
	}
	state := f.SQLState
	if state == "" {
		state = sqlStateFor(n)
	}
	msg := f.Message
	if msg == "" {
		msg = fmt.Sprintf("injected fault: error %06d", n)
	}
	return &Error{Number: n, SQLState: state, Message: msg}
}

// sqlStateFor is the SQLState Snowflake pairs with an error number, XX000 when unknown.
func sqlStateFor(n int) string {
	switch n {
	case ErrSyntax, ErrEmptyStatement:
		return "42000"
	case ErrAlreadyExists:
		return "42710"
	case ErrDoesNotExist, ErrCannotPerform:
		return "02000"
	case ErrInsufficientPrivileges, ErrRoleNotAssigned:
		return "42501"
	case ErrCanceled:
		return "57014"
	case ErrSessionExpired, ErrSessionGone, ErrMasterTokenExpired:
		return "08001"
	}
	return "XX000"
}

// ParseFaultMatch reads the -fail-match flag format, "REGEX=NUMBER", into an error fault
// that fires on every statement matching REGEX.
func ParseFaultMatch(s string) (Fault, error) {
	i := strings.LastIndex(s, "=")
	if i < 0 {
		return Fault{}, fmt.Errorf("parse fault %q: want REGEX=NUMBER", s)
	}
	re, err := regexp.Compile(s[:i])
	if err != nil {
		return Fault{}, fmt.Errorf("parse fault %q: %w", s, err)
	}
	n, err := strconv.Atoi(s[i+1:])
	if err != nil {
		return Fault{}, fmt.Errorf("parse fault %q: %w", s, err)
	}
	return Fault{Kind: FaultError, Match: re, Number: n}, nil
}

// LoggedQuery is one statement the emulator ran for a client session.
type LoggedQuery struct {
	SessionID   int64
	QueryID     string
	User, Role  string
	SQL         string
	Class       StatementClass
	Start       time.Time
	Duration    time.Duration
	ErrorNumber int // 0 when the statement succeeded
}

// AddFault installs a fault; it starts counting with the next statement or request.
func (s *Server) AddFault(f Fault) {
	s.smu.Lock()
	defer s.smu.Unlock()
	s.faults = append(s.faults, &faultState{Fault: f})
}

// FaultsFired returns how many times the installed faults have fired, by kind.
func (s *Server) FaultsFired() map[FaultKind]int {
	s.smu.Lock()
	defer s.smu.Unlock()
	out := map[FaultKind]int{}
	for _, f := range s.faults {
		out[f.Kind] += f.fired
	}
	return out
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.smu.Lock()
	defer s.smu.Unlock()
	s.faults = nil
}

// SetLatency sets the latency of a statement class; a zero Latency removes it.
func (s *Server) SetLatency(c StatementClass, l Latency) {
	s.smu.Lock()
	defer s.smu.Unlock()
	if l == (Latency{}) {
		delete(s.latency, c)
		return
	}
	s.latency[c] = l
}

// Log returns a copy of the query log, oldest first.
func (s *Server) Log() []LoggedQuery {
	s.smu.Lock()
	defer s.smu.Unlock()
	return append([]LoggedQuery(nil), s.log...)
}

// Counts returns how many statements of each class the log holds.
func (s *Server) Counts() map[StatementClass]int {
	return s.countWhere(func(LoggedQuery) bool { return true })
}

// SessionCounts returns how many statements of each class one session ran.
func (s *Server) SessionCounts(sessionID int64) map[StatementClass]int {
	return s.countWhere(func(q LoggedQuery) bool { return q.SessionID == sessionID })
}

func (s *Server) countWhere(keep func(LoggedQuery) bool) map[StatementClass]int {
	s.smu.Lock()
	defer s.smu.Unlock()
	out := map[StatementClass]int{}
	for _, q := range s.log {
		if keep(q) {
			out[q.Class]++
		}
	}
	return out
}

// ResetLog empties the query log (and with it the counts).
func (s *Server) ResetLog() {
	s.smu.Lock()
	defer s.smu.Unlock()
	s.log = nil
}

// statementFault returns the error of the first error fault that fires on a statement.
func (s *Server) statementFault(sql string) *Error {
	s.smu.Lock()
	defer s.smu.Unlock()
	for _, f := range s.faults {
		if f.Kind == FaultError && f.take(sql) {
			return f.err()
		}
	}
	return nil
}

// requestFault returns the first non-error fault that fires on a query request.
func (s *Server) requestFault(sql string) *Fault {
	s.smu.Lock()
	defer s.smu.Unlock()
	for _, f := range s.faults {
		if f.Kind != FaultError && f.take(sql) {
			return &f.Fault
		}
	}
	return nil
}

// sleep waits d or until ctx ends; it reports whether the whole delay passed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
