package emulator

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"
)

const serverVersion = "9.0.0-emulator"

// Options configure a Server. The zero value is usable: user admin / admin.
type Options struct {
	// User and Password are the account's first user, whose default role is ACCOUNTADMIN.
	// Empty means "admin" / "admin".
	User, Password string
	// Latency is added before each statement of a class runs.
	Latency map[StatementClass]Latency
	// Faults are installed as by AddFault.
	Faults []Fault
	// SessionTokenTTL is how long a session token is valid before the driver must renew it
	// (error 390112); 0 means one hour. MasterTokenTTL bounds renewals; 0 means four hours.
	SessionTokenTTL, MasterTokenTTL time.Duration
	// ShowRowLimit is the most rows SHOW <objects> (DATABASES, SCHEMAS, TABLES, VIEWS, OBJECTS,
	// COLUMNS, ROLES, USERS) returns; a larger result without LIMIT, or a LIMIT above it, is
	// error 090153. 0 means DefaultShowRowLimit (10,000), Snowflake's. SHOW GRANTS has no limit.
	ShowRowLimit int
}

// Server is a Snowflake emulator: an in-memory account served over Snowflake's REST
// protocol (HTTP, not HTTPS) to the gosnowflake driver. All methods are safe for
// concurrent use.
type Server struct {
	opts Options

	mu   sync.RWMutex // the account
	acct *account

	execMu   sync.Mutex // Exec's session
	execSess sessionState

	smu       sync.Mutex          // everything below
	sessions  map[string]*session // by session token
	masters   map[string]*session // by master token
	nextID    int64
	results   map[string][]byte // child results of multi-statement requests, by query id
	statuses  map[string]queryStatus
	retained  []string // query ids in arrival order, to bound results and statuses
	running   map[string]context.CancelFunc
	faults    []*faultState
	latency   map[StatementClass]Latency
	log       []LoggedQuery
	listener  net.Listener
	http      *http.Server
	serveDone chan struct{}
}

// maxRetained bounds how many query statuses and child results the server keeps.
const maxRetained = 20000

type queryStatus struct {
	sql        string
	start, end time.Time
	err        *Error
}

// New returns a server with a fresh account; nothing listens until Start.
func New(opts Options) *Server {
	if opts.User == "" {
		opts.User = "admin"
	}
	if opts.Password == "" {
		opts.Password = "admin"
	}
	if opts.SessionTokenTTL == 0 {
		opts.SessionTokenTTL = time.Hour
	}
	if opts.MasterTokenTTL == 0 {
		opts.MasterTokenTTL = 4 * time.Hour
	}
	if opts.ShowRowLimit <= 0 {
		opts.ShowRowLimit = DefaultShowRowLimit
	}
	admin := normalizeUserName(opts.User)
	s := &Server{
		opts:     opts,
		acct:     newAccount(time.Now, admin, opts.Password),
		execSess: sessionState{user: admin, role: roleAccountAdmin},
		sessions: map[string]*session{},
		masters:  map[string]*session{},
		nextID:   1000,
		results:  map[string][]byte{},
		statuses: map[string]queryStatus{},
		running:  map[string]context.CancelFunc{},
		latency:  map[StatementClass]Latency{},
	}
	for c, l := range opts.Latency {
		s.latency[c] = l
	}
	for _, f := range opts.Faults {
		s.faults = append(s.faults, &faultState{Fault: f})
	}
	return s
}

// normalizeUserName turns a login name as given in a DSN into the user's name: Snowflake
// stores unquoted names upper-cased.
func normalizeUserName(n string) string {
	toks, err := lex(n)
	if err == nil && len(toks) == 1 && (toks[0].kind == tIdent || toks[0].kind == tQuoted) {
		return toks[0].val
	}
	return n
}

// Start listens on addr (e.g. "127.0.0.1:0") and serves in the background.
func (s *Server) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("start emulator: %w", err)
	}
	srv := &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second}
	s.smu.Lock()
	s.listener, s.http, s.serveDone = ln, srv, make(chan struct{})
	done := s.serveDone
	s.smu.Unlock()
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(os.Stderr, "snowflake emulator: serve: %v\n", err)
		}
	}()
	return nil
}

// Addr is the host:port the server listens on ("" before Start).
func (s *Server) Addr() string {
	s.smu.Lock()
	defer s.smu.Unlock()
	if s.listener == nil {
		return ""
	}
	return s.listener.Addr().String()
}

// DSN is a gosnowflake data source name for the first user, with database (may be empty)
// as the session's database. It sets account=emulator, protocol=http, disables telemetry
// and the driver's default-parameter validation.
func (s *Server) DSN(database string) string {
	path := ""
	if database != "" {
		path = "/" + url.PathEscape(database)
	}
	return fmt.Sprintf("%s:%s@%s%s?account=emulator&protocol=http&disableTelemetry=true&validateDefaultParameters=false",
		s.opts.User, s.opts.Password, s.Addr(), path)
}

// Close stops serving, cutting open connections, and waits for the server to stop.
func (s *Server) Close() error {
	s.smu.Lock()
	srv, done := s.http, s.serveDone
	s.http = nil
	s.smu.Unlock()
	if srv == nil {
		return nil
	}
	err := srv.Close()
	<-done
	if err != nil {
		return fmt.Errorf("close emulator: %w", err)
	}
	return nil
}

// Exec runs one or more ;-separated statements as the first user with role ACCOUNTADMIN,
// stopping at the first error (an *Error). Session state (USE ...) carries over between
// calls. Exec bypasses latency, faults and the query log.
func (s *Server) Exec(sql string) error {
	s.execMu.Lock()
	defer s.execMu.Unlock()
	stmts, err := splitStatements(sql)
	if err != nil {
		return err
	}
	for _, raw := range stmts {
		if _, err := s.execute(sql, raw, &s.execSess, nil); err != nil {
			return fmt.Errorf("exec %q: %w", raw.text, err)
		}
	}
	return nil
}

// LoadSeed runs a seed file with Exec. A seed file is SQL: statements separated by
// semicolons, with -- and /* */ comments, run in order as ACCOUNTADMIN.
func (s *Server) LoadSeed(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("load seed: %w", err)
	}
	if err := s.Exec(string(b)); err != nil {
		return fmt.Errorf("load seed %s: %w", path, err)
	}
	return nil
}

// ExpireTokens makes every session token expire now, so the driver's next request gets
// 390112 and renews its session with the master token.
func (s *Server) ExpireTokens() {
	s.smu.Lock()
	defer s.smu.Unlock()
	for _, sess := range s.sessions {
		sess.tokenExpiry = time.Time{}
	}
}

// execute parses and runs one statement under the account lock.
func (s *Server) execute(src string, raw rawStatement, st *sessionState, binds map[string]string) (*result, error) {
	stmt, err := parseStatement(src, raw)
	if err != nil {
		return nil, err
	}
	switch classify(raw.toks) {
	case ClassShow, ClassSelect:
		s.mu.RLock()
		defer s.mu.RUnlock()
	default:
		s.mu.Lock()
		defer s.mu.Unlock()
	}
	return stmt.run(&execCtx{a: s.acct, st: st, binds: binds, showLimit: s.opts.ShowRowLimit})
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
