package config

import (
	"net/url"
	"strings"

	"github.com/snowsync/snowsync/internal/audit"
	"github.com/snowsync/snowsync/internal/secret"
)

// Audit is the audit store's settings: where its two tables are and how to reach them. Exactly one of
// ConnectionString and ServiceURL is set.
type Audit struct {
	ConnectionString secret.String
	// ServiceURL is a table service URI for identity-based access; ClientID picks a user-assigned identity.
	ServiceURL string
	ClientID   string
	Table      string
	// BodyTable keeps the whole bodies that failure events cut (FailureHub.MaxOriginal).
	BodyTable string
	// Setting names the setting the connection came from, for error messages.
	Setting string
}

// LoadAudit reads the audit store's settings alone.
func LoadAudit(getenv func(string) (string, bool)) (Audit, error) { return load(getenv, readAudit) }

// readAudit reads the audit table's connection: its own setting first, identity-based or not, then the
// host's storage (AzureWebJobsStorage), identity-based or not.
func readAudit(r *reader) Audit {
	a := Audit{Table: r.str("CONNECTOR_ON_DEMAND_V2_AUDIT_TABLE_NAME", audit.DefaultTable),
		BodyTable: r.str("CONNECTOR_ON_DEMAND_V2_AUDIT_BODY_TABLE_NAME", audit.DefaultBodyTable)}
	for _, prefix := range []string{"CONNECTOR_ON_DEMAND_V2_AUDIT_STORAGE_CONNECTION", "AzureWebJobsStorage"} {
		conn := r.secret(prefix)
		uri := r.str(prefix+"__tableServiceUri", "")
		account := r.str(prefix+"__accountName", "")
		clientID := r.str(prefix+"__clientId", "")
		if a.Setting != "" {
			continue
		}
		switch {
		case conn.IsSet():
			a.ConnectionString, a.Setting = conn, prefix
		case uri != "":
			a.ServiceURL, a.ClientID, a.Setting = uri, clientID, prefix+"__tableServiceUri"
		case account != "":
			a.ServiceURL, a.ClientID, a.Setting = "https://"+account+".table.core.windows.net", clientID, prefix+"__accountName"
		}
	}
	switch {
	case a.Setting == "":
		r.fail("CONNECTOR_ON_DEMAND_V2_AUDIT_STORAGE_CONNECTION", "(or its __tableServiceUri form, or AzureWebJobsStorage) is required for the audit table")
	case a.ServiceURL != "":
		if u, err := url.Parse(a.ServiceURL); err != nil || u.Scheme == "" || u.Host == "" {
			r.fail(a.Setting, "is not a URL with a scheme and host (the value is not shown: it may hold a SAS token)")
		}
	}
	for _, t := range []struct{ name, table string }{
		{"CONNECTOR_ON_DEMAND_V2_AUDIT_TABLE_NAME", a.Table}, {"CONNECTOR_ON_DEMAND_V2_AUDIT_BODY_TABLE_NAME", a.BodyTable},
	} {
		if !validTableName(t.table) {
			r.fail(t.name, "%q is not a valid table name (3-63 letters and digits, starting with a letter)", t.table)
		}
	}
	if strings.EqualFold(a.Table, a.BodyTable) {
		r.fail("CONNECTOR_ON_DEMAND_V2_AUDIT_BODY_TABLE_NAME", "%q is the audit table; name another table", a.BodyTable)
	}
	return a
}

// validTableName applies Table Storage's naming rule: ^[A-Za-z][A-Za-z0-9]{2,62}$.
func validTableName(s string) bool {
	if len(s) < 3 || len(s) > 63 {
		return false
	}
	for i, c := range s {
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}
