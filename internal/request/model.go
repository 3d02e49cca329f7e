// Package request defines the sync request that clients publish (DESIGN §2), its parsing and
// validation. What became of a request is told by package outcome (internal/task/outcome).
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
