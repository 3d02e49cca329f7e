package functions

import (
	"log/slog"
	"net/http"
	"strconv"

	"github.com/snowsync/snowsync/internal/audit"
	"github.com/snowsync/snowsync/internal/request"
	"github.com/snowsync/snowsync/internal/task/outcome"
)

// getTask handles GET /api/tasks/{id}: the records whose row key or task id is id (a client may reuse
// a task id), 404 when none.
func (s *Server) getTask(w http.ResponseWriter, r *http.Request, _ *slog.Logger) error {
	recs, err := s.audit.Get(r.Context(), r.PathValue("id"))
	if audit.IsNoTable(err) {
		recs, err = nil, nil // nothing recorded yet
	}
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		return &httpError{http.StatusNotFound, errNotFound(r.PathValue("id"))}
	}
	writeJSON(w, http.StatusOK, TaskResponses(recs))
	return nil
}

type errNotFound string

func (e errNotFound) Error() string { return "no task " + strconv.Quote(string(e)) }

// listTasks handles GET /api/tasks?status=&source=&since=&until=&limit=: source is a comma list of
// sources, matched upper-case as stored (audit.ParseSources); since and until are RFC 3339 times or
// durations back from now ("24h"); limit defaults to 100 and is capped at 1000.
func (s *Server) listTasks(w http.ResponseWriter, r *http.Request, _ *slog.Logger) error {
	q := r.URL.Query()
	f := audit.Filter{Limit: 100}
	var err error
	if f.Status, err = outcome.ParseStatus(q.Get("status")); err != nil {
		return badRequest("status %v", err)
	}
	if f.Sources, err = audit.ParseSources(q.Get("source")); err != nil {
		return badRequest("source %v", err)
	}
	now := s.now()
	if f.Since, err = request.ParseTime(q.Get("since"), now); err != nil {
		return badRequest("since %v", err)
	}
	if f.Until, err = request.ParseTime(q.Get("until"), now); err != nil {
		return badRequest("until %v", err)
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			return badRequest("limit %q is not a number from 1 to 1000", l)
		}
		f.Limit = n
	}
	recs, err := s.audit.List(r.Context(), f)
	if audit.IsNoTable(err) {
		recs, err = nil, nil // nothing recorded yet
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, TaskResponses(recs))
	return nil
}
