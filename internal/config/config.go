// Package config reads and validates every snowsync setting (DESIGN §5) once, at start-up, and builds
// from them the options of the packages that use them: the Snowflake connection (snowflake.Connection),
// the engine's options (engine.Options, with its load mode and scope), the role mapping
// (policy.Mapping), the policy source and the audit store's settings.
//
// Settings are app settings, i.e. environment variables, named as the seed product names them. Load
// reads all of them, for the handler; LoadHubs, LoadAudit and LoadSync read one section alone, for the
// CLI commands that need only that. Each reports every bad setting at once, each error naming the
// setting and what is wrong; secret values are never echoed. A default lives with the package whose
// option it is (engine.DefaultLoadThreads, policy.DefaultEntityPrefix, audit.DefaultTable, ...); config
// reads it from there. Nothing here connects to anything: start-up never needs Snowflake or Table
// Storage.
package config

import (
	"os"
	"strings"

	"github.com/snowsync/snowsync/functions"
	"github.com/snowsync/snowsync/internal/reconcile"
)

// Config is every setting the handler reads.
type Config struct {
	// Port is FUNCTIONS_CUSTOMHANDLER_PORT, set by the Functions host.
	Port int
	// Enabled is CONNECTOR_SNOWFLAKE_ON_DEMAND_V2_ENABLED; when false every resource is SKIPPED.
	Enabled   bool
	Connector string
	LogLevel  string
	// QueueThreshold bounds the events in flight across concurrent invocations.
	QueueThreshold int
	// MaxInvocationBytes bounds the body of one OnDemandSync invocation (see functions.DefaultMaxInvocationBytes).
	MaxInvocationBytes int64
	// MaxResources bounds the resources one request may name; a request naming more FAILS.
	MaxResources int
	// ReconcileSchedule is CONNECTOR_ON_DEMAND_V2_RECONCILE_SCHEDULE, the NCRONTAB schedule of the
	// Reconcile timer. The host reads it (functions/Reconcile/function.json names it as
	// %CONNECTOR_ON_DEMAND_V2_RECONCILE_SCHEDULE%); the handler only validates it, so that a bad value
	// stops start-up naming the setting instead of failing the function when the host indexes it.
	ReconcileSchedule string
	// DriftSchemasPerRun is CONNECTOR_ON_DEMAND_V2_DRIFT_SCHEMAS_PER_RUN: how many schemas of the managed
	// scope each Reconcile run re-syncs in full to find drift (round robin); 0 turns the sweep off.
	DriftSchemasPerRun int

	Hubs
	Audit Audit
	Sync
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

// Load reads every setting through getenv and validates it. The error joins one error per bad setting;
// the Config holds every default even then.
func Load(getenv func(string) (string, bool)) (Config, error) { return load(getenv, read) }

// load reads one section (or all of them) through getenv.
func load[T any](getenv func(string) (string, bool), read func(*reader) T) (T, error) {
	r := &reader{getenv: getenv}
	v := read(r)
	return v, r.err()
}

// read reads every setting unconditionally (so Names sees them all), then checks the combinations.
func read(r *reader) Config {
	c := Config{
		Port:           r.integer("FUNCTIONS_CUSTOMHANDLER_PORT", 0, 1, 65535),
		Enabled:        r.boolean("CONNECTOR_SNOWFLAKE_ON_DEMAND_V2_ENABLED", true),
		Connector:      r.str("CONNECTOR_NAME", "snowflake"),
		LogLevel:       r.oneOf("CONNECTOR_LOG_LEVEL", "info", "debug", "info", "warn", "error"),
		QueueThreshold: r.integer("CONNECTOR_ON_DEMAND_V2_QUEUE_THRESHOLD", functions.DefaultQueueThreshold, 1, 100000),
	}
	if v, _ := r.getenv("FUNCTIONS_CUSTOMHANDLER_PORT"); strings.TrimSpace(v) == "" {
		r.fail("FUNCTIONS_CUSTOMHANDLER_PORT", "is required: the Functions host sets it; set it yourself to run the handler alone")
	}
	c.Hubs = readHubs(r)
	c.MaxInvocationBytes = int64(r.integer("CONNECTOR_ON_DEMAND_V2_MAX_INVOCATION_BYTES", int(functions.DefaultMaxInvocationBytes(c.EventHub.BatchSize)), 1<<20, 2<<30))
	c.MaxResources = r.integer("CONNECTOR_ON_DEMAND_V2_MAX_RESOURCES_PER_EVENT", 5000, 1, 100000)
	c.ReconcileSchedule = r.str("CONNECTOR_ON_DEMAND_V2_RECONCILE_SCHEDULE", functions.DefaultReconcileSchedule)
	if err := checkSchedule(c.ReconcileSchedule); err != nil {
		r.fail("CONNECTOR_ON_DEMAND_V2_RECONCILE_SCHEDULE", "%v", err)
	}
	c.DriftSchemasPerRun = r.integer("CONNECTOR_ON_DEMAND_V2_DRIFT_SCHEMAS_PER_RUN", reconcile.DefaultSchemasPerRun, 0, 10000)
	c.Hubs.require(r)
	c.Audit = readAudit(r)
	c.Sync = readSync(r)
	return c
}
