// Package config reads and validates every snowsync setting (DESIGN §5) once, at start-up.
//
// Settings are app settings, i.e. environment variables, named as the seed product names them. Load
// reports every bad setting at once, each error naming the setting and what is wrong; secret values are
// never echoed. Nothing here connects to anything: start-up never needs Snowflake or Table Storage.
package config

import (
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/snowsync/snowsync/internal/failure"
	"github.com/snowsync/snowsync/internal/secret"
)

// Load modes for CONNECTOR_SNOWFLAKE_LOAD_RESOURCES_KEY.
const (
	LoadSequential = "load"              // one SHOW at a time
	LoadConcurrent = "load_multi_thread" // the same SHOWs, LoadThreads at a time
	LoadBulk       = "load_bulk"         // INFORMATION_SCHEMA, one query per database
)

// Config is every setting snowsync reads.
type Config struct {
	// Port is FUNCTIONS_CUSTOMHANDLER_PORT, set by the Functions host.
	Port int
	// Enabled is CONNECTOR_SNOWFLAKE_ON_DEMAND_V2_ENABLED; when false every resource is SKIPPED.
	Enabled   bool
	Connector string
	LogLevel  string

	EventHub    EventHub
	FailureHub  FailureHub
	Audit       Audit
	Snowflake   Snowflake
	Scope       Scope
	Roles       Roles
	Policy      Policy
	DataPolicy  DataPolicy
	LoadMode    string
	LoadThreads int
	// ApplyThreads is how many GRANT / REVOKE statements run at once.
	ApplyThreads int
	// QueueThreshold bounds the events in flight across concurrent invocations.
	QueueThreshold int
	// MaxInvocationBytes bounds the body of one OnDemandSync invocation (see DefaultMaxInvocationBytes).
	MaxInvocationBytes int64
	// MaxResources bounds the resources one request may name; a request naming more FAILS.
	MaxResources int
}

// DefaultMaxInvocationBytes is CONNECTOR_ON_DEMAND_V2_MAX_INVOCATION_BYTES's default for a batch size:
// the largest request the trigger can send, batchSize events of Event Hubs' 1 MiB at most, each
// escaped twice on the wire (as an element of the events array, and the array inside a JSON string:
// a control character takes 7 bytes), with room for the metadata: 8 MiB an event. It is capped at
// 1 GiB, half of a 2 GiB Flex Consumption instance: the handler decodes the request in place, so an
// invocation holds about its request's size (see trigger.BenchmarkDecodeBatch).
func DefaultMaxInvocationBytes(batchSize int) int64 { return min(int64(batchSize)*8<<20, 1<<30) }

// EventHub is the trigger's side of the configuration. The Functions host reads these settings itself
// (function.json and host.json refer to them); snowsync validates them and records the hub and consumer
// group it was configured with.
type EventHub struct {
	Enabled       bool
	Name          string
	ConsumerGroup string
	// Connection is the connection string; empty with identity-based access (Namespace set).
	Connection   secret.String
	Namespace    string
	BatchSize    int
	BatchTimeout time.Duration
}

// FailureHub is where failed events go, through the function's `failures` output binding.
type FailureHub struct {
	Enabled    bool
	Name       string
	Connection secret.String
	Namespace  string
	// MaxOriginal caps the JSON-escaped original message in a failure event; a longer body is cut
	// there and kept whole in the audit store's body table (Audit.BodyTable).
	MaxOriginal int
}

// Audit locates the audit table. Exactly one of ConnectionString and ServiceURL is set.
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

// Snowflake is the connection to Snowflake.
type Snowflake struct {
	JDBCURL              string
	User                 string
	Password             secret.String
	PrivateKey           secret.String
	PrivateKeyPassphrase secret.String
	Warehouse            string
	Role                 string
	QueryTimeout         time.Duration
}

// Scope is the managed scope: comma lists with `*` and `?` wildcards; an ignore entry wins.
type Scope struct {
	Databases, Schemas, Tables                   []string
	IgnoreDatabases, IgnoreSchemas, IgnoreTables []string
}

// Roles decides role names and which roles the connector may change.
type Roles struct {
	EntityPrefix string
	UserPrefix   string
	PreserveCase bool
	// Managed lists extra roles (beyond the two prefixes) that may be revoked from.
	Managed       []string
	CreateMissing bool
	// GrantUpdates false is a dry run: plan and audit, change nothing.
	GrantUpdates bool
}

// DataPolicy places the Snowflake masking and row access policies that snowsync creates from Ranger's
// data-mask and row-filter policies. The setting names are the seed product's
// (CONNECTOR_SNOWFLAKE_MASKING_POLICY_DB_NAME and _SCHEMA_NAME, CONNECTOR_SNOWFLAKE_ROW_FILTER_POLICY_DB_NAME
// and _SCHEMA_NAME). An empty database means the database of the table the policy protects, so that
// nothing has to exist beforehand; the schema is created when missing (CREATE SCHEMA IF NOT EXISTS).
type DataPolicy struct {
	MaskDatabase, MaskSchema     string
	FilterDatabase, FilterSchema string
	// NullFallthrough makes a mask return NULL, instead of the clear value, to a session in none of the
	// roles a Ranger item names (CONNECTOR_SNOWFLAKE_MASKING_POLICY_NULL_FALLTHROUGH; Ranger's own
	// rule, and the default, is the clear value).
	NullFallthrough bool
}

// DefaultPolicySchema is the default schema of snowsync's masking and row access policies.
const DefaultPolicySchema = "SNOWSYNC_POLICIES"

// Policy is where the Ranger policies come from: File (a path, or an https / blob SAS URL) or a Ranger Admin.
type Policy struct {
	File          secret.String // may be a SAS URL, whose query string is a credential
	RangerURL     string
	RangerService string
	RangerUser    string
	RangerPass    secret.String
	Refresh       time.Duration
}

// FromEnv loads the configuration from the process environment.
func FromEnv() (Config, error) { return Load(os.LookupEnv) }

// Names lists every setting Load reads, in reading order. It is what infra and the settings examples are
// checked against.
func Names() []string {
	r := &reader{getenv: func(string) (string, bool) { return "", false }}
	read(r)
	return r.names
}

// Load reads every setting through getenv and validates it. The error joins one error per bad setting.
func Load(getenv func(string) (string, bool)) (Config, error) {
	r := &reader{getenv: getenv}
	c := read(r)
	return c, r.err()
}

// read reads every setting unconditionally (so Names sees them all), then checks the combinations.
func read(r *reader) Config {
	c := Config{
		Port:           r.integer("FUNCTIONS_CUSTOMHANDLER_PORT", 0, 1, 65535),
		Enabled:        r.boolean("CONNECTOR_SNOWFLAKE_ON_DEMAND_V2_ENABLED", true),
		Connector:      r.str("CONNECTOR_NAME", "snowflake"),
		LogLevel:       r.oneOf("CONNECTOR_LOG_LEVEL", "info", "debug", "info", "warn", "error"),
		LoadMode:       r.oneOf("CONNECTOR_SNOWFLAKE_LOAD_RESOURCES_KEY", LoadConcurrent, LoadSequential, LoadConcurrent, LoadBulk),
		LoadThreads:    r.integer("CONNECTOR_SNOWFLAKE_LOAD_THREADS", 8, 1, 64),
		ApplyThreads:   r.integer("CONNECTOR_SNOWFLAKE_APPLY_THREADS", 16, 1, 64),
		QueueThreshold: r.integer("CONNECTOR_ON_DEMAND_V2_QUEUE_THRESHOLD", 100, 1, 100000),
	}
	if v, _ := r.getenv("FUNCTIONS_CUSTOMHANDLER_PORT"); strings.TrimSpace(v) == "" {
		r.fail("FUNCTIONS_CUSTOMHANDLER_PORT", "is required: the Functions host sets it; set it yourself to run the handler alone")
	}
	c.EventHub = EventHub{
		Enabled:       r.boolean("CONNECTOR_ON_DEMAND_V2_AZURE_EVENT_HUB_ENABLED", true),
		Connection:    r.secret("CONNECTOR_ON_DEMAND_V2_AZURE_CONNECTION_STRING"),
		Namespace:     r.str("CONNECTOR_ON_DEMAND_V2_AZURE_CONNECTION_STRING__fullyQualifiedNamespace", ""),
		Name:          r.str("CONNECTOR_ON_DEMAND_V2_AZURE_EVENT_HUB_NAME", ""),
		ConsumerGroup: r.str("CONNECTOR_ON_DEMAND_V2_AZURE_CONSUMER_GROUP", "$Default"),
		BatchSize:     r.integer("CONNECTOR_ON_DEMAND_V2_BATCH_SIZE", 50, 1, 1000),
		BatchTimeout:  r.duration("CONNECTOR_ON_DEMAND_V2_BATCH_TIMEOUT_MS", 5000, 1, 600000, time.Millisecond),
	}
	c.MaxInvocationBytes = int64(r.integer("CONNECTOR_ON_DEMAND_V2_MAX_INVOCATION_BYTES", int(DefaultMaxInvocationBytes(c.EventHub.BatchSize)), 1<<20, 2<<30))
	c.MaxResources = r.integer("CONNECTOR_ON_DEMAND_V2_MAX_RESOURCES_PER_EVENT", 5000, 1, 100000)
	// function.json names both hubs (%...%): the host cannot index OnDemandSync without the names, even
	// with the trigger or the failure hub disabled. Connections are needed only when enabled.
	r.require(c.EventHub.Name != "", "CONNECTOR_ON_DEMAND_V2_AZURE_EVENT_HUB_NAME", "(function.json's trigger names it)")
	if c.EventHub.Enabled {
		r.require(c.EventHub.Connection.IsSet() || c.EventHub.Namespace != "", "CONNECTOR_ON_DEMAND_V2_AZURE_CONNECTION_STRING",
			"(or its __fullyQualifiedNamespace form) when the event hub trigger is enabled")
	}
	c.FailureHub = FailureHub{
		Enabled:    r.boolean("CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_ENABLED", true),
		Connection: r.secret("CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_CONNECTION_STRING"),
		Namespace:  r.str("CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_CONNECTION_STRING__fullyQualifiedNamespace", ""),
		Name:       r.str("CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_NAME", ""),
		MaxOriginal: r.integer("CONNECTOR_ON_DEMAND_V2_FAILURE_MESSAGE_MAX_BYTES", failure.DefaultOriginalLimit,
			1<<10, failure.MaxOriginalLimit),
	}
	r.require(c.FailureHub.Name != "", "CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_NAME", "(function.json's failures binding names it)")
	if c.FailureHub.Enabled {
		r.require(c.FailureHub.Connection.IsSet() || c.FailureHub.Namespace != "", "CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_CONNECTION_STRING",
			"(or its __fullyQualifiedNamespace form) when the failure hub is enabled")
	}
	c.Audit = readAudit(r)
	c.Snowflake = Snowflake{
		JDBCURL:              r.str("CONNECTOR_SNOWFLAKE_JDBC_URL", ""),
		User:                 r.str("CONNECTOR_SNOWFLAKE_JDBC_USERNAME", ""),
		Password:             r.secret("CONNECTOR_SNOWFLAKE_JDBC_PASSWORD"),
		PrivateKey:           r.secret("CONNECTOR_SNOWFLAKE_PRIVATE_KEY"),
		PrivateKeyPassphrase: r.secret("CONNECTOR_SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"),
		Warehouse:            r.str("CONNECTOR_SNOWFLAKE_WAREHOUSE_TO_USE", ""),
		Role:                 r.str("CONNECTOR_SNOWFLAKE_ROLE_TO_USE", ""),
		QueryTimeout:         r.duration("CONNECTOR_SNOWFLAKE_QUERY_TIMEOUT_SEC", 60, 1, 3600, time.Second),
	}
	r.require(c.Snowflake.JDBCURL != "", "CONNECTOR_SNOWFLAKE_JDBC_URL", "(jdbc:snowflake://<account>.snowflakecomputing.com/?warehouse=..&role=..)")
	if c.Snowflake.JDBCURL != "" && !strings.HasPrefix(strings.ToLower(c.Snowflake.JDBCURL), "jdbc:snowflake://") {
		r.fail("CONNECTOR_SNOWFLAKE_JDBC_URL", "must start with jdbc:snowflake://")
	}
	r.require(c.Snowflake.User != "", "CONNECTOR_SNOWFLAKE_JDBC_USERNAME", "")
	switch {
	case !c.Snowflake.Password.IsSet() && !c.Snowflake.PrivateKey.IsSet():
		r.fail("CONNECTOR_SNOWFLAKE_JDBC_PASSWORD", "or CONNECTOR_SNOWFLAKE_PRIVATE_KEY is required")
	case c.Snowflake.Password.IsSet() && c.Snowflake.PrivateKey.IsSet():
		r.fail("CONNECTOR_SNOWFLAKE_PRIVATE_KEY", "and CONNECTOR_SNOWFLAKE_JDBC_PASSWORD are both set; set one")
	}
	c.Scope = Scope{
		Databases:       r.list("CONNECTOR_SNOWFLAKE_MANAGE_DATABASE_LIST"),
		Schemas:         r.list("CONNECTOR_SNOWFLAKE_MANAGE_SCHEMA_LIST"),
		Tables:          r.list("CONNECTOR_SNOWFLAKE_MANAGE_TABLE_LIST"),
		IgnoreDatabases: r.list("CONNECTOR_SNOWFLAKE_IGNORE_DATABASE_LIST"),
		IgnoreSchemas:   r.list("CONNECTOR_SNOWFLAKE_IGNORE_SCHEMA_LIST"),
		IgnoreTables:    r.list("CONNECTOR_SNOWFLAKE_IGNORE_TABLE_LIST"),
	}
	c.Roles = Roles{
		EntityPrefix:  r.str("CONNECTOR_SNOWFLAKE_ENTITY_ROLE_PREFIX", "PRIV_"),
		UserPrefix:    r.str("CONNECTOR_SNOWFLAKE_USER_ROLE_PREFIX", "PRIV_USER_"),
		PreserveCase:  r.boolean("CONNECTOR_SNOWFLAKE_PRESERVE_ROLE_CASE", false),
		Managed:       r.list("CONNECTOR_SNOWFLAKE_MANAGE_ROLE_LIST"),
		CreateMissing: r.boolean("CONNECTOR_SNOWFLAKE_CREATE_MISSING_ROLES", true),
		GrantUpdates:  r.boolean("CONNECTOR_SNOWFLAKE_GRANT_UPDATES", true),
	}
	c.Policy = Policy{
		File:          r.secret("CONNECTOR_POLICY_FILE"),
		RangerURL:     r.str("CONNECTOR_RANGER_ADMIN_URL", ""),
		RangerService: r.str("CONNECTOR_RANGER_SERVICE_NAME", ""),
		RangerUser:    r.str("CONNECTOR_RANGER_USERNAME", ""),
		RangerPass:    r.secret("CONNECTOR_RANGER_PASSWORD"),
		Refresh:       r.duration("CONNECTOR_POLICY_REFRESH_INTERVAL_SEC", 60, 1, 86400, time.Second),
	}
	c.DataPolicy = DataPolicy{
		MaskDatabase:    r.str("CONNECTOR_SNOWFLAKE_MASKING_POLICY_DB_NAME", ""),
		MaskSchema:      r.str("CONNECTOR_SNOWFLAKE_MASKING_POLICY_SCHEMA_NAME", DefaultPolicySchema),
		FilterDatabase:  r.str("CONNECTOR_SNOWFLAKE_ROW_FILTER_POLICY_DB_NAME", ""),
		FilterSchema:    r.str("CONNECTOR_SNOWFLAKE_ROW_FILTER_POLICY_SCHEMA_NAME", DefaultPolicySchema),
		NullFallthrough: r.boolean("CONNECTOR_SNOWFLAKE_MASKING_POLICY_NULL_FALLTHROUGH", false),
	}
	r.require(c.DataPolicy.MaskSchema != "", "CONNECTOR_SNOWFLAKE_MASKING_POLICY_SCHEMA_NAME", "(leave it unset for "+DefaultPolicySchema+")")
	r.require(c.DataPolicy.FilterSchema != "", "CONNECTOR_SNOWFLAKE_ROW_FILTER_POLICY_SCHEMA_NAME", "(leave it unset for "+DefaultPolicySchema+")")
	switch {
	case c.Policy.File.IsSet() && c.Policy.RangerURL != "":
		r.fail("CONNECTOR_POLICY_FILE", "and CONNECTOR_RANGER_ADMIN_URL are both set; set one")
	case c.Policy.File.IsSet():
		if f := c.Policy.File.Reveal(); strings.Contains(f, "://") && !strings.HasPrefix(strings.ToLower(f), "https://") {
			r.fail("CONNECTOR_POLICY_FILE", "a URL must use https (got scheme %q)", strings.SplitN(f, "://", 2)[0])
		}
	case c.Policy.RangerURL != "":
		if u, err := url.Parse(c.Policy.RangerURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			r.fail("CONNECTOR_RANGER_ADMIN_URL", "is not an http(s) URL with a host (the value is not shown: it may hold credentials)")
		}
		r.require(c.Policy.RangerService != "", "CONNECTOR_RANGER_SERVICE_NAME", "with CONNECTOR_RANGER_ADMIN_URL")
	default:
		r.fail("CONNECTOR_POLICY_FILE", "or CONNECTOR_RANGER_ADMIN_URL is required: snowsync needs policies to sync")
	}
	return c
}

// readAudit reads the audit table's connection: its own setting first, identity-based or not, then the
// host's storage (AzureWebJobsStorage), identity-based or not.
func readAudit(r *reader) Audit {
	a := Audit{Table: r.str("CONNECTOR_ON_DEMAND_V2_AUDIT_TABLE_NAME", "OnDemandSyncTasks"),
		BodyTable: r.str("CONNECTOR_ON_DEMAND_V2_AUDIT_BODY_TABLE_NAME", "OnDemandSyncBodies")}
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
