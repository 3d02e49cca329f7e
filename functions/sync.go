package functions

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/snowsync/snowsync/internal/task"
	"github.com/snowsync/snowsync/internal/task/outcome"
	"github.com/snowsync/snowsync/internal/trigger"
)

// maxRequestBody is the largest sync request the API takes: Event Hubs' largest event (1 MiB).
const maxRequestBody = 1 << 20

// sync handles POST /api/sync: the same payload as an event (source usually API), run synchronously.
// It answers the task's audit record (TaskResponse): 200 for SUCCESS and SKIPPED, 400 for a malformed request, 502
// when Snowflake refused a change, 500 with the record for an INTERNAL_ERROR (a bug; recorded), and
// 500 with {"error": ...} for a systemic failure (nothing recorded; send it again). The caller gets
// every failure in the answer, so API requests do not go to the failure hub.
func (s *Server) sync(w http.ResponseWriter, r *http.Request, log *slog.Logger) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &httpError{http.StatusRequestEntityTooLarge, fmt.Errorf("request body over %d bytes", maxRequestBody)}
	}
	if err != nil {
		return badRequest("read request: %w", err)
	}
	release, deadline, err := s.admit(r.Context(), 1)
	if err != nil {
		return err
	}
	defer release()
	o := task.Origin{InvocationID: r.Header.Get(trigger.InvocationIDHeader)}
	in := task.Input{Body: body, Origin: o, Key: task.KeyFor(o, s.now(), newID("api"))}
	outcomes, err := s.runner.Run(r.Context(), []task.Input{in}, task.Options{SyncDeadline: deadline})
	if err != nil {
		return err
	}
	rec := outcomes[0].Record
	if err := outcomes[0].Unrecorded; err != nil {
		return &httpError{http.StatusInternalServerError, fmt.Errorf("task %s ran, but its audit record could not be written (send it again): %w", rec.RowKey, err)}
	}
	status := http.StatusOK
	switch {
	case rec.Status != outcome.Failed:
	case rec.ErrorType == outcome.SyncError:
		status = http.StatusBadGateway
	case rec.ErrorType == outcome.InternalError:
		status = http.StatusInternalServerError
	default:
		status = http.StatusBadRequest
	}
	log.Info("task "+string(rec.Status), "task_id", deref(rec.TaskID), "row_key", rec.RowKey, "reason", rec.Reason,
		"grants", rec.Grants, "revokes", rec.Revokes)
	writeJSON(w, status, NewTaskResponse(rec))
	return nil
}
