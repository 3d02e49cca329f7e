// Package outcome is the vocabulary of what became of a sync task (DESIGN §3): its status, the type of
// error that failed it, the result of each requested resource and the counts summed over them. The
// sync engine produces resource results, the task layer (package task) decides the task's outcome,
// package audit stores it and the tasks API serves it; none of them owns another's representation.
//
// It lives under internal/task rather than in it because audit and engine use it and task imports
// audit.
package outcome

import (
	"fmt"
	"strings"
	"time"

	"github.com/snowsync/snowsync/internal/request"
)

// Status is the outcome of a task or of one resource. The values are the seed product's.
type Status string

// Task and resource statuses.
const (
	Success Status = "SUCCESS"
	Failed  Status = "FAILED"
	Skipped Status = "SKIPPED"
)

// Sources of the tasks the handler starts itself: written by the Reconcile function (issue 14), one
// POLICY_CHANGE record per policy version reconciled and one DRIFT record per drift sweep. Events
// and API requests carry their own source (KAFKA, API, ...).
const (
	SourcePolicyChange = "POLICY_CHANGE"
	SourceDrift        = "DRIFT"
)

// ErrorType classifies a FAILED task for the audit record and the failure event. It is a label, not a
// Go error.
type ErrorType string

// The error types snowsync reports.
const (
	InvalidEncoding ErrorType = "INVALID_ENCODING" // the body is not UTF-8
	InvalidJSON     ErrorType = "INVALID_JSON"     // the body is not JSON
	SchemaError     ErrorType = "SCHEMA_ERROR"     // JSON, but not an object, or a field has the wrong JSON type
	SyncError       ErrorType = "SYNC_ERROR"       // a resource failed after retries
	InternalError   ErrorType = "INTERNAL_ERROR"   // a bug: a panic while processing the event
	AuditError      ErrorType = "AUDIT_ERROR"      // processed, but the audit record could not be written
	// TooManyResources: more resources than one event may name (CONNECTOR_ON_DEMAND_V2_MAX_RESOURCES_PER_EVENT).
	TooManyResources ErrorType = "TOO_MANY_RESOURCES"
	// InvocationTooLarge: an invocation over CONNECTOR_ON_DEMAND_V2_MAX_INVOCATION_BYTES, kept for replay
	// and not processed; its record stands for all of its events.
	InvocationTooLarge ErrorType = "INVOCATION_TOO_LARGE"
)

// Resource is what happened to one requested resource. Its JSON is the shape DESIGN §3 gives the
// elements of a record's Resources, in the audit table and in the tasks API alike.
type Resource struct {
	Resource request.Resource `json:"resource"`
	Status   Status           `json:"status"`
	// Reason says why a resource was skipped or failed; empty on success.
	Reason string `json:"reason,omitempty"`
	// ErrorCode is Snowflake's error number (e.g. "002003") when a Snowflake error decided the outcome.
	ErrorCode string `json:"errorCode,omitempty"`
	// Statements are the statements applied (or planned, in a dry run): GRANT / REVOKE / CREATE ROLE, and
	// the masking and row access policy DDL (CREATE SCHEMA, CREATE … POLICY, ALTER TABLE … POLICY).
	Statements []string `json:"statements,omitempty"`
	Grants     int      `json:"grants"`
	Revokes    int      `json:"revokes"`
	PolicyChanges
	// Notes say what was deliberately left alone, e.g. a column whose masking policy snowsync did not
	// create; the resource's status does not depend on them.
	Notes []string `json:"notes,omitempty"`
}

// Invalid returns the results of resources that failed validation: SKIPPED, with their reason.
func Invalid(invalid []request.Invalid) []Resource {
	var out []Resource
	for _, inv := range invalid {
		out = append(out, Resource{Resource: inv.Resource, Status: Skipped, Reason: inv.Reason})
	}
	return out
}

// PolicyChanges counts the masking policies (one per column) and row access policies (one per table or
// view) that a sync set where there was none, swapped for another version, or removed.
type PolicyChanges struct {
	MasksSet       int `json:"masksSet,omitempty"`
	MasksSwapped   int `json:"masksSwapped,omitempty"`
	MasksRemoved   int `json:"masksRemoved,omitempty"`
	FiltersSet     int `json:"filtersSet,omitempty"`
	FiltersSwapped int `json:"filtersSwapped,omitempty"`
	FiltersRemoved int `json:"filtersRemoved,omitempty"`
}

// Add adds o's counts to c.
func (c *PolicyChanges) Add(o PolicyChanges) {
	c.MasksSet += o.MasksSet
	c.MasksSwapped += o.MasksSwapped
	c.MasksRemoved += o.MasksRemoved
	c.FiltersSet += o.FiltersSet
	c.FiltersSwapped += o.FiltersSwapped
	c.FiltersRemoved += o.FiltersRemoved
}

// Total is the number of policy changes counted.
func (c PolicyChanges) Total() int {
	return c.MasksSet + c.MasksSwapped + c.MasksRemoved + c.FiltersSet + c.FiltersSwapped + c.FiltersRemoved
}

// Counts sums the results of a task's resources.
type Counts struct {
	ResourceCount int
	// Resources by status.
	Synced, Skipped, Failed int
	// Statements applied (or planned), and policy changes, summed over the resources.
	Grants, Revokes int
	PolicyChanges
}

// Count sums rs.
func Count(rs []Resource) Counts {
	c := Counts{ResourceCount: len(rs)}
	for _, r := range rs {
		switch r.Status {
		case Success:
			c.Synced++
		case Skipped:
			c.Skipped++
		case Failed:
			c.Failed++
		}
		c.Grants += r.Grants
		c.Revokes += r.Revokes
		c.PolicyChanges.Add(r.PolicyChanges)
	}
	return c
}

// Task is what became of one task (one event or API request): the outcome the audit trail keeps of it,
// one per event (DESIGN §3), with the request's fields and the event's origin that identify it.
type Task struct {
	// PartitionKey and RowKey are its audit key (audit.Key).
	PartitionKey, RowKey string

	TaskID       *string // the request's id; nil when absent or null
	Status       Status
	Reason       string
	ErrorType    ErrorType // empty unless Status is Failed
	ErrorMessage string

	// As the request gave them.
	Type, Source, AppType, AppSubType, CreateTime string

	EnqueuedTime, StartedAt, CompletedAt time.Time
	DurationMs                           int64

	// Where the event was read; empty for API requests.
	EventHub, ConsumerGroup, Partition, Offset string
	SequenceNumber                             *int64 // nil when unknown (API requests)

	Counts
	DryRun       bool
	InvocationID string
	Connector    string
	// PolicyVersion is the policyVersion of the Ranger policy set the event was processed with, for
	// every status (a malformed event's batch too); nil when no set was loaded.
	PolicyVersion *int64
	// PolicyVersionFrom is, for a POLICY_CHANGE reconciliation, the policy version it reconciled
	// from (PolicyVersion is the one it reconciled to); nil otherwise.
	PolicyVersionFrom *int64

	// Resources lists the result of each resource: those synced, then those validation skipped.
	Resources []Resource
	// ResourcesOmitted is how many resources are missing from Resources because the audit store could
	// not hold them all; zero when Resources is complete.
	ResourcesOmitted int
}

// ParseStatus reads a status filter (GET /api/tasks?status=, `snowsync tasks --status`): SUCCESS,
// FAILED or SKIPPED in any case; "" is no filter. The error quotes the value; the caller names the
// parameter or flag.
func ParseStatus(v string) (Status, error) {
	switch s := Status(strings.ToUpper(v)); s {
	case "", Success, Failed, Skipped:
		return s, nil
	}
	return "", fmt.Errorf("%q is not SUCCESS, FAILED or SKIPPED", v)
}
