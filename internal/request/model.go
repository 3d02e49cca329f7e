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
	// ObjectOnly, for a database or schema, syncs only that object's own grants (what the policies
	// demand on it, implied USAGE included: grant and revoke for managed roles, as a full node), nothing
	// under it. It is set by the policy-change reconciler (engine.Affected), never parsed from an event:
	// Parse cannot set it, whatever the client's JSON holds. It means nothing for a table or view.
	ObjectOnly bool `json:"objectOnly,omitempty"`
}

// String renders the resource as kind and dotted name, for logs and reasons only (never SQL); an
// ObjectOnly database or schema says "(own grants)".
func (r Resource) String() string {
	name := r.Database
	if r.Schema != "" {
		name += "." + r.Schema
	}
	if r.Table != "" {
		name += "." + r.Table
	}
	s := string(r.Kind) + " " + name
	if r.ObjectOnly && (r.Kind == KindDatabase || r.Kind == KindSchema) {
		s += " (own grants)"
	}
	return s
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
