package emulator

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// session is a logged-in client session.
type session struct {
	id                       int64
	token, master            string
	tokenExpiry, masterUntil time.Time // guarded by Server.smu

	mu sync.Mutex // held while the session runs a request; guards st
	st sessionState
}

// The JSON the driver reads (gosnowflake restful.go, query.go, auth.go).
type wireResponse struct {
	Data    any     `json:"data"`
	Code    *string `json:"code"`
	Message *string `json:"message"`
	Success bool    `json:"success"`
}

type wireRowType struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	Nullable   bool   `json:"nullable"`
	Length     int64  `json:"length"`
	ByteLength int64  `json:"byteLength"`
	Precision  int64  `json:"precision"`
	Scale      int64  `json:"scale"`
}

type nameValue struct {
	Name  string `json:"name"`
	Value any    `json:"value"`
}

type wireQueryData struct {
	Parameters         []nameValue   `json:"parameters,omitempty"`
	RowType            []wireRowType `json:"rowtype"`
	RowSet             [][]*string   `json:"rowset"`
	Total              int64         `json:"total"`
	Returned           int64         `json:"returned"`
	QueryID            string        `json:"queryId"`
	FinalDatabaseName  string        `json:"finalDatabaseName,omitempty"`
	FinalSchemaName    string        `json:"finalSchemaName,omitempty"`
	FinalWarehouseName string        `json:"finalWarehouseName,omitempty"`
	FinalRoleName      string        `json:"finalRoleName,omitempty"`
	StatementTypeID    int64         `json:"statementTypeId"`
	QueryResultFormat  string        `json:"queryResultFormat"`
	ResultIDs          string        `json:"resultIds,omitempty"`
	ResultTypes        string        `json:"resultTypes,omitempty"`
}

type wireErrorData struct {
	ErrorCode string `json:"errorCode"`
	SQLState  string `json:"sqlState"`
	QueryID   string `json:"queryId,omitempty"`
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /session/v1/login-request", s.handleLogin)
	mux.HandleFunc("POST /session/token-request", s.handleRenew)
	mux.HandleFunc("POST /session/heartbeat", s.withSession(func(w http.ResponseWriter, _ *http.Request, _ *session) {
		writeJSON(w, wireResponse{Success: true})
	}))
	mux.HandleFunc("POST /session", s.handleCloseSession)
	mux.HandleFunc("POST /queries/v1/query-request", s.withSession(s.handleQuery))
	mux.HandleFunc("POST /queries/v1/abort-request", s.withSession(s.handleAbort))
	mux.HandleFunc("GET /queries/{id}/result", s.withSession(s.handleResult))
	mux.HandleFunc("GET /monitoring/queries/{id}", s.withSession(s.handleMonitoring))
	mux.HandleFunc("POST /telemetry/send", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, wireResponse{Data: "Log Received", Success: true})
	})
	return mux
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// failure is the success=false answer for an error; it is always HTTP 200, as Snowflake
// answers, because the driver retries 5xx answers for minutes.
func failure(e *Error, queryID string) wireResponse {
	code, msg := e.code(), e.Message
	return wireResponse{Data: wireErrorData{ErrorCode: code, SQLState: e.SQLState, QueryID: queryID}, Code: &code, Message: &msg}
}

// withSession authenticates the "Snowflake Token" header.
func (s *Server) withSession(h func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok := tokenFrom(r)
		s.smu.Lock()
		sess := s.sessions[tok]
		expired := sess != nil && !time.Now().Before(sess.tokenExpiry)
		s.smu.Unlock()
		switch {
		case sess == nil:
			writeJSON(w, failure(newError(ErrSessionGone, "08001", "Session no longer exists.  New login required to access the service."), ""))
		case expired:
			writeJSON(w, failure(newError(ErrSessionExpired, "08001", "Session token has expired."), ""))
		default:
			h(w, r, sess)
		}
	}
}

func tokenFrom(r *http.Request) string {
	v := r.Header.Get("Authorization")
	v = strings.TrimPrefix(v, "Snowflake Token=")
	return strings.Trim(v, `"`)
}

type renewRequest struct {
	OldSessionToken string `json:"oldSessionToken"`
	RequestType     string `json:"requestType"`
}

// handleRenew issues a new session token against the master token (requestType RENEW).
func (s *Server) handleRenew(w http.ResponseWriter, r *http.Request) {
	var req renewRequest
	_ = json.NewDecoder(r.Body).Decode(&req)
	master := tokenFrom(r)
	s.smu.Lock()
	defer s.smu.Unlock()
	sess := s.masters[master]
	switch {
	case sess == nil:
		writeJSON(w, failure(newError(ErrSessionGone, "08001", "Session no longer exists.  New login required to access the service."), ""))
		return
	case !time.Now().Before(sess.masterUntil):
		writeJSON(w, failure(newError(ErrMasterTokenExpired, "08001", "Authentication token has expired.  The user must authenticate again."), ""))
		return
	}
	delete(s.sessions, sess.token)
	sess.token, sess.tokenExpiry = newID(), time.Now().Add(s.opts.SessionTokenTTL)
	s.sessions[sess.token] = sess
	writeJSON(w, wireResponse{Success: true, Data: map[string]any{
		"sessionToken": sess.token, "validityInSecondsST": int64(s.opts.SessionTokenTTL.Seconds()),
		"masterToken": sess.master, "validityInSecondsMT": int64(time.Until(sess.masterUntil).Seconds()),
		"sessionId": sess.id,
	}})
}

// handleCloseSession serves POST /session?delete=true.
func (s *Server) handleCloseSession(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("delete") != "true" {
		http.NotFound(w, r)
		return
	}
	s.smu.Lock()
	if sess := s.sessions[tokenFrom(r)]; sess != nil {
		delete(s.sessions, sess.token)
		delete(s.masters, sess.master)
	}
	s.smu.Unlock()
	writeJSON(w, wireResponse{Success: true})
}

type queryRequest struct {
	SQLText    string                     `json:"sqlText"`
	Parameters map[string]json.RawMessage `json:"parameters"`
	Bindings   map[string]struct {
		Type  string          `json:"type"`
		Value json.RawMessage `json:"value"`
	} `json:"bindings"`
}

// handleQuery runs a query request: one statement, or several when MULTI_STATEMENT_COUNT
// allows it, in which case each gets its own query id and result, fetched by the driver
// from /queries/{id}/result.
func (s *Server) handleQuery(w http.ResponseWriter, r *http.Request, sess *session) {
	var req queryRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, "bad request body", http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	requestID := r.URL.Query().Get("requestId")
	s.smu.Lock()
	s.running[requestID] = cancel
	s.smu.Unlock()
	defer func() {
		s.smu.Lock()
		delete(s.running, requestID)
		s.smu.Unlock()
	}()

	if f := s.requestFault(req.SQLText); f != nil {
		switch f.Kind {
		case FaultThrottle:
			w.WriteHeader(http.StatusTooManyRequests)
			return
		case FaultDrop:
			dropConnection(w)
			return
		case FaultSlow:
			if !sleep(ctx, f.Delay) {
				return
			}
		}
	}

	binds := map[string]string{}
	for k, b := range req.Bindings {
		var v string
		if json.Unmarshal(b.Value, &v) == nil {
			binds[k] = v
		} else {
			binds[k] = strings.Trim(string(b.Value), `"`)
		}
	}
	sess.mu.Lock()
	defer sess.mu.Unlock()
	writeJSON(w, s.runRequest(ctx, sess, req, binds))
}

// dropConnection closes the client connection without an answer.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

func (s *Server) runRequest(ctx context.Context, sess *session, req queryRequest, binds map[string]string) wireResponse {
	stmts, err := splitStatements(req.SQLText)
	if err != nil {
		return failure(asEmulatorError(err), newID())
	}
	if len(stmts) == 0 {
		return failure(newError(ErrEmptyStatement, "42000", "SQL compilation error:\nEmpty SQL statement."), newID())
	}
	want := 1
	if v, ok := req.Parameters["MULTI_STATEMENT_COUNT"]; ok {
		want = atoi(strings.Trim(string(v), `"`))
	} else if v, ok := sess.st.params["MULTI_STATEMENT_COUNT"]; ok {
		want = atoi(v)
	}
	if want != 0 && want != len(stmts) {
		return failure(newError(ErrStatementCount, "0A000", "Actual statement count %d did not match the desired statement count %d.", len(stmts), want), newID())
	}
	if len(stmts) == 1 && want == 1 {
		res, qid, e := s.runLogged(ctx, sess, req.SQLText, stmts[0], binds)
		if e != nil {
			return failure(e, qid)
		}
		return s.success(sess, res, qid)
	}
	var ids, types []string
	for _, raw := range stmts {
		res, qid, e := s.runLogged(ctx, sess, req.SQLText, raw, binds)
		if e != nil {
			return failure(e, qid)
		}
		body, _ := json.Marshal(s.success(sess, res, qid))
		s.retain(qid, func() { s.results[qid] = body })
		ids, types = append(ids, qid), append(types, strconv.FormatInt(res.stmtType, 10))
	}
	parent := &result{cols: []colMeta{{"multiple statement execution", "text"}},
		rows: [][]*string{{str("Multiple statements executed successfully.")}}, stmtType: stmtTypeSelect}
	resp := s.success(sess, parent, newID())
	data := resp.Data.(wireQueryData)
	data.ResultIDs, data.ResultTypes = strings.Join(ids, ","), strings.Join(types, ",")
	resp.Data = data
	return resp
}

func asEmulatorError(err error) *Error {
	if e, ok := err.(*Error); ok {
		return e
	}
	return newError(603, "XX000", "%v", err)
}

// runLogged runs one statement of a client request: latency, faults, execution, log.
func (s *Server) runLogged(ctx context.Context, sess *session, src string, raw rawStatement, binds map[string]string) (*result, string, *Error) {
	class := classify(raw.toks)
	qid := newID()
	start := time.Now()
	s.smu.Lock()
	lat := s.latency[class]
	s.smu.Unlock()
	var res *result
	var e *Error
	switch {
	case !sleep(ctx, lat.draw()):
		e = newError(ErrCanceled, "57014", "SQL execution canceled")
	default:
		if e = s.statementFault(raw.text); e == nil {
			var err error
			if res, err = s.execute(src, raw, &sess.st, binds); err != nil {
				e = asEmulatorError(err)
			}
		}
	}
	q := LoggedQuery{SessionID: sess.id, QueryID: qid, User: sess.st.user, Role: sess.st.role, SQL: raw.text,
		Class: class, Start: start, Duration: time.Since(start)}
	if e != nil {
		q.ErrorNumber = e.Number
	}
	s.retain(qid, func() {
		s.log = append(s.log, q)
		s.statuses[qid] = queryStatus{sql: raw.text, start: start, end: time.Now(), err: e}
	})
	return res, qid, e
}

// retain records something about a query under smu, forgetting the oldest queries' results
// and statuses beyond maxRetained.
func (s *Server) retain(qid string, record func()) {
	s.smu.Lock()
	defer s.smu.Unlock()
	record()
	s.retained = append(s.retained, qid)
	for len(s.retained) > maxRetained {
		delete(s.results, s.retained[0])
		delete(s.statuses, s.retained[0])
		s.retained = s.retained[1:]
	}
}

func (s *Server) success(sess *session, res *result, qid string) wireResponse {
	d := wireQueryData{
		Parameters:         []nameValue{{"TIMEZONE", "UTC"}},
		RowSet:             res.rows,
		Total:              int64(len(res.rows)),
		Returned:           int64(len(res.rows)),
		QueryID:            qid,
		FinalDatabaseName:  sess.st.database,
		FinalSchemaName:    sess.st.schema,
		FinalWarehouseName: sess.st.warehouse,
		FinalRoleName:      sess.st.role,
		StatementTypeID:    res.stmtType,
		QueryResultFormat:  "json",
	}
	if d.RowSet == nil {
		d.RowSet = [][]*string{}
	}
	for _, c := range res.cols {
		rt := wireRowType{Name: c.name, Type: c.typ, Nullable: true}
		switch c.typ {
		case "text":
			rt.Length, rt.ByteLength = 16777216, 16777216
		case "fixed":
			rt.Precision = 38
		case "timestamp_ltz":
			rt.Scale = 9
		}
		d.RowType = append(d.RowType, rt)
	}
	return wireResponse{Data: d, Success: true}
}

// handleAbort cancels a running request by its request id (000605 when none runs).
func (s *Server) handleAbort(w http.ResponseWriter, r *http.Request, _ *session) {
	var req struct {
		RequestID string `json:"requestId"`
	}
	_ = json.NewDecoder(r.Body).Decode(&req)
	s.smu.Lock()
	cancel := s.running[req.RequestID]
	s.smu.Unlock()
	if cancel == nil {
		writeJSON(w, failure(newError(605, "01000", "Identified SQL statement is not currently executing."), ""))
		return
	}
	cancel()
	writeJSON(w, wireResponse{Success: true})
}

// handleResult serves the stored result of a multi-statement child.
func (s *Server) handleResult(w http.ResponseWriter, r *http.Request, _ *session) {
	id := r.PathValue("id")
	s.smu.Lock()
	body, ok := s.results[id]
	s.smu.Unlock()
	if !ok {
		writeJSON(w, failure(newError(709, "02000", "Statement %s not found", id), id))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// handleMonitoring serves a query's status as /monitoring/queries/{id} reports it.
func (s *Server) handleMonitoring(w http.ResponseWriter, r *http.Request, _ *session) {
	id := r.PathValue("id")
	s.smu.Lock()
	st, ok := s.statuses[id]
	s.smu.Unlock()
	if !ok {
		writeJSON(w, wireResponse{Success: true, Data: map[string]any{"queries": []any{}}})
		return
	}
	q := map[string]any{"id": id, "status": "SUCCESS", "sqlText": st.sql, "startTime": st.start.UnixMilli(),
		"endTime": st.end.UnixMilli(), "errorCode": "", "errorMessage": "", "stats": map[string]any{}}
	if st.err != nil {
		q["status"], q["errorCode"], q["errorMessage"] = "FAILED_WITH_ERROR", strconv.Itoa(st.err.Number), st.err.Message
	}
	writeJSON(w, wireResponse{Success: true, Data: map[string]any{"queries": []any{q}}})
}
