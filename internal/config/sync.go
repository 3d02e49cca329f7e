package config

import (
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/snowsync/snowsync/internal/engine"
	"github.com/snowsync/snowsync/internal/policy"
	"github.com/snowsync/snowsync/internal/secret"
	"github.com/snowsync/snowsync/internal/snowflake"
)

// Sync is what syncing needs, built once from the settings: the handler's, and `snowsync plan`'s
// (LoadSync).
type Sync struct {
	// Snowflake is the checked connection (CONNECTOR_SNOWFLAKE_JDBC_URL, _USERNAME, ...).
	Snowflake snowflake.Connection
	// Engine is the engine's options: load mode and threads, scope, managed roles, the data policies'
	// place, and the retry policy of reads (the query timeout).
	Engine engine.Options
	// Mapping turns Ranger principals into role names; Engine.Mapping is the same.
	Mapping policy.Mapping
	Policy  Policy
	// ApplyThreads is how many GRANT / REVOKE statements run at once (CONNECTOR_SNOWFLAKE_APPLY_THREADS).
	ApplyThreads int
	// DryRun is CONNECTOR_SNOWFLAKE_GRANT_UPDATES=false: plan and audit, change nothing.
	DryRun bool
}

// Policy is where the Ranger policies come from: File (a path, or an https / blob SAS URL) or a Ranger Admin.
type Policy struct {
	File          secret.String // may be a SAS URL, whose query string is a credential
	RangerURL     string
	RangerService string
	RangerUser    string
	RangerPass    secret.String
	Refresh       time.Duration
}

// LoadSync reads the settings of syncing alone.
func LoadSync(getenv func(string) (string, bool)) (Sync, error) { return load(getenv, readSync) }

func readSync(r *reader) Sync {
	s := Sync{Snowflake: readSnowflake(r)}
	s.ApplyThreads = r.integer("CONNECTOR_SNOWFLAKE_APPLY_THREADS", snowflake.DefaultApplyThreads, 1, 64)
	modes := make([]string, len(engine.LoadModes))
	for i, m := range engine.LoadModes {
		modes[i] = string(m)
	}
	s.Engine = engine.Options{
		LoadMode:    engine.LoadMode(r.oneOf("CONNECTOR_SNOWFLAKE_LOAD_RESOURCES_KEY", string(engine.DefaultLoadMode), modes...)),
		LoadThreads: r.integer("CONNECTOR_SNOWFLAKE_LOAD_THREADS", engine.DefaultLoadThreads, 1, 64),
		Scope: engine.NewScope(engine.ScopeLists{
			Databases:       r.list("CONNECTOR_SNOWFLAKE_MANAGE_DATABASE_LIST"),
			Schemas:         r.list("CONNECTOR_SNOWFLAKE_MANAGE_SCHEMA_LIST"),
			Tables:          r.list("CONNECTOR_SNOWFLAKE_MANAGE_TABLE_LIST"),
			IgnoreDatabases: r.list("CONNECTOR_SNOWFLAKE_IGNORE_DATABASE_LIST"),
			IgnoreSchemas:   r.list("CONNECTOR_SNOWFLAKE_IGNORE_SCHEMA_LIST"),
			IgnoreTables:    r.list("CONNECTOR_SNOWFLAKE_IGNORE_TABLE_LIST"),
		}),
		Retry: snowflake.Retry{Timeout: s.Snowflake.RequestTimeout},
	}
	s.Mapping = policy.Mapping{
		EntityPrefix: r.str("CONNECTOR_SNOWFLAKE_ENTITY_ROLE_PREFIX", policy.DefaultEntityPrefix),
		UserPrefix:   r.str("CONNECTOR_SNOWFLAKE_USER_ROLE_PREFIX", policy.DefaultUserPrefix),
		PreserveCase: r.boolean("CONNECTOR_SNOWFLAKE_PRESERVE_ROLE_CASE", false),
	}
	s.Engine.Mapping = s.Mapping
	s.Engine.ManagedRoles = r.list("CONNECTOR_SNOWFLAKE_MANAGE_ROLE_LIST")
	s.Engine.CreateMissingRoles = r.boolean("CONNECTOR_SNOWFLAKE_CREATE_MISSING_ROLES", true)
	s.DryRun = !r.boolean("CONNECTOR_SNOWFLAKE_GRANT_UPDATES", true)
	s.Policy = readPolicy(r)
	// An empty schema is engine.DefaultPolicySchema. Reading a table's row access policy needs a
	// warehouse (CONNECTOR_SNOWFLAKE_WAREHOUSE_TO_USE, or warehouse= in the JDBC URL).
	s.Engine.DataPolicy = engine.DataPolicy{
		MaskDatabase:    r.str("CONNECTOR_SNOWFLAKE_MASKING_POLICY_DB_NAME", ""),
		MaskSchema:      r.str("CONNECTOR_SNOWFLAKE_MASKING_POLICY_SCHEMA_NAME", ""),
		FilterDatabase:  r.str("CONNECTOR_SNOWFLAKE_ROW_FILTER_POLICY_DB_NAME", ""),
		FilterSchema:    r.str("CONNECTOR_SNOWFLAKE_ROW_FILTER_POLICY_SCHEMA_NAME", ""),
		NullFallthrough: r.boolean("CONNECTOR_SNOWFLAKE_MASKING_POLICY_NULL_FALLTHROUGH", false),
		References:      s.Snowflake.Warehouse != "",
	}
	return s
}

// connSettings names the setting of each snowflake.ConnConfig field that Check may refuse.
var connSettings = map[string]string{
	"JDBCURL":    "CONNECTOR_SNOWFLAKE_JDBC_URL",
	"Username":   "CONNECTOR_SNOWFLAKE_JDBC_USERNAME",
	"Password":   "CONNECTOR_SNOWFLAKE_JDBC_PASSWORD",
	"PrivateKey": "CONNECTOR_SNOWFLAKE_PRIVATE_KEY",
}

// readSnowflake reads the connection's settings and, when none is missing, checks them with
// snowflake.ConnConfig.Check, which parses the JDBC URL and the private key (the driver would report
// a bad one only on the first query, without naming the setting).
func readSnowflake(r *reader) snowflake.Connection {
	c := snowflake.ConnConfig{
		JDBCURL:              r.str("CONNECTOR_SNOWFLAKE_JDBC_URL", ""),
		Username:             r.str("CONNECTOR_SNOWFLAKE_JDBC_USERNAME", ""),
		Password:             r.secret("CONNECTOR_SNOWFLAKE_JDBC_PASSWORD"),
		PrivateKey:           r.secret("CONNECTOR_SNOWFLAKE_PRIVATE_KEY"),
		PrivateKeyPassphrase: r.secret("CONNECTOR_SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"),
		Warehouse:            r.str("CONNECTOR_SNOWFLAKE_WAREHOUSE_TO_USE", ""),
		Role:                 r.str("CONNECTOR_SNOWFLAKE_ROLE_TO_USE", ""),
		RequestTimeout: r.duration("CONNECTOR_SNOWFLAKE_QUERY_TIMEOUT_SEC", int(snowflake.DefaultRequestTimeout/time.Second),
			1, 3600, time.Second),
	}
	complete := r.require(c.JDBCURL != "", "CONNECTOR_SNOWFLAKE_JDBC_URL", "(jdbc:snowflake://<account>.snowflakecomputing.com/?warehouse=..&role=..)")
	complete = r.require(c.Username != "", "CONNECTOR_SNOWFLAKE_JDBC_USERNAME", "") && complete
	switch {
	case !c.Password.IsSet() && !c.PrivateKey.IsSet():
		r.fail("CONNECTOR_SNOWFLAKE_JDBC_PASSWORD", "or CONNECTOR_SNOWFLAKE_PRIVATE_KEY is required")
		complete = false
	case c.Password.IsSet() && c.PrivateKey.IsSet():
		r.fail("CONNECTOR_SNOWFLAKE_PRIVATE_KEY", "and CONNECTOR_SNOWFLAKE_JDBC_PASSWORD are both set; set one")
		complete = false
	}
	if !complete {
		return snowflake.Connection{}
	}
	conn, err := c.Check()
	if err != nil {
		name := "CONNECTOR_SNOWFLAKE_JDBC_URL"
		if fe := (*snowflake.FieldError)(nil); errors.As(err, &fe) {
			name = connSettings[fe.Field]
		}
		r.fail(name, "%v", err)
	}
	return conn
}

// readPolicy reads the policy source: a file or a Ranger Admin, exactly one.
func readPolicy(r *reader) Policy {
	p := Policy{
		File:          r.secret("CONNECTOR_POLICY_FILE"),
		RangerURL:     r.str("CONNECTOR_RANGER_ADMIN_URL", ""),
		RangerService: r.str("CONNECTOR_RANGER_SERVICE_NAME", ""),
		RangerUser:    r.str("CONNECTOR_RANGER_USERNAME", ""),
		RangerPass:    r.secret("CONNECTOR_RANGER_PASSWORD"),
		Refresh:       r.duration("CONNECTOR_POLICY_REFRESH_INTERVAL_SEC", 60, 1, 86400, time.Second),
	}
	switch {
	case p.File.IsSet() && p.RangerURL != "":
		r.fail("CONNECTOR_POLICY_FILE", "and CONNECTOR_RANGER_ADMIN_URL are both set; set one")
	case p.File.IsSet():
		if f := p.File.Reveal(); strings.Contains(f, "://") && !strings.HasPrefix(strings.ToLower(f), "https://") {
			r.fail("CONNECTOR_POLICY_FILE", "a URL must use https (got scheme %q)", strings.SplitN(f, "://", 2)[0])
		}
	case p.RangerURL != "":
		if u, err := url.Parse(p.RangerURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			r.fail("CONNECTOR_RANGER_ADMIN_URL", "is not an http(s) URL with a host (the value is not shown: it may hold credentials)")
		}
		r.require(p.RangerService != "", "CONNECTOR_RANGER_SERVICE_NAME", "with CONNECTOR_RANGER_ADMIN_URL")
	default:
		r.fail("CONNECTOR_POLICY_FILE", "or CONNECTOR_RANGER_ADMIN_URL is required: snowsync needs policies to sync")
	}
	return p
}
