// Package request defines the sync request that clients publish (DESIGN §2), its parsing and
// validation, and the vocabulary of outcomes shared by the sync engine and the audit trail.
package request

// Kind is the type of a requested Snowflake resource.
type Kind string

// The resource kinds a sync request may name.
const (
	KindDatabase Kind = "database"
	KindSchema   Kind = "schema"
	KindTable    Kind = "table"
	KindView     Kind = "view"
)

// Resource is one requested Snowflake object, named by identifier names (never SQL). Schema is empty
// for a database; Table is empty for a database or a schema. For a view, Table holds the view name.
type Resource struct {
	Kind     Kind   `json:"type"`
	Database string `json:"database"`
	Schema   string `json:"schema,omitempty"`
	Table    string `json:"table,omitempty"`
}

// String renders the resource as kind and dotted name, for logs and reasons only (never SQL).
func (r Resource) String() string {
	name := r.Database
	if r.Schema != "" {
		name += "." + r.Schema
	}
	if r.Table != "" {
		name += "." + r.Table
	}
	return string(r.Kind) + " " + name
}

// Request is a validated sync request.
type Request struct {
	// ID is the client's task id; nil when absent or null.
	ID         *string
	Type       string
	AppType    string
	AppSubType string
	Source     string
	CreateTime string
	Resources  []Resource
}

// Status is the outcome of a task or of one resource. The values are the seed product's.
type Status string

// Task and resource statuses.
const (
	StatusSuccess Status = "SUCCESS"
	StatusFailed  Status = "FAILED"
	StatusSkipped Status = "SKIPPED"
)

// ResourceResult is what happened to one requested resource.
type ResourceResult struct {
	Resource Resource `json:"resource"`
	Status   Status   `json:"status"`
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
