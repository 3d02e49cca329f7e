// Package app wires snowsync together from its configuration: the audit store, the Snowflake
// connection, the policy cache, the sync engine, the task runner, the reconciler and the functions'
// HTTP handler. It
// connects to nothing while wiring: Snowflake logs in on the first query, the audit table is created on
// the first write, policies load on the first batch.
package app

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/snowsync/snowsync/functions"
	"github.com/snowsync/snowsync/internal/audit"
	"github.com/snowsync/snowsync/internal/config"
	"github.com/snowsync/snowsync/internal/engine"
	"github.com/snowsync/snowsync/internal/policy"
	"github.com/snowsync/snowsync/internal/reconcile"
	"github.com/snowsync/snowsync/internal/snowflake"
	"github.com/snowsync/snowsync/internal/task"
)

// SyncTimeout bounds the Snowflake work of one invocation, counted from its arrival (waiting for the
// queue included). host.json's functionTimeout is 10 minutes;
// the rest is left for writing the audit records and answering, so that resources still running at the
// deadline are recorded as FAILED (and replayable) rather than the host abandoning the whole batch.
const SyncTimeout = 9 * time.Minute

// ReconcileLease is how long a Reconcile run holds the checkpoint when it dies without releasing it:
// longer than any run lasts (SyncTimeout, then the records and the checkpoint are written).
const ReconcileLease = SyncTimeout + 2*time.Minute

// App is a wired snowsync.
type App struct {
	Handler http.Handler
	Store   *audit.Store
	// Bodies keeps the whole bodies that failure events cut.
	Bodies *audit.Bodies
	Engine *engine.Engine
	db     *sql.DB
	// sessions is how many Snowflake sessions Warm opens.
	sessions int
}

// Close releases the Snowflake connection pool.
func (a *App) Close() error { return a.db.Close() }

// Warm logs in the sessions that a batch's concurrent statements use (CONNECTOR_SNOWFLAKE_APPLY_THREADS)
// so that the first batch does not wait for them; it gives up after a minute or when ctx ends. A failure
// is only logged (at debug): the batch that needs a session logs in again and reports what fails.
func (a *App) Warm(ctx context.Context, logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := snowflake.Warm(ctx, a.db, a.sessions); err != nil {
		logger.Debug("snowflake sessions not warmed", "error", err)
	}
}

// New wires an App from cfg, whose options config built and checked: it only passes them on.
func New(cfg config.Config, logger *slog.Logger) (*App, error) {
	store, err := NewStore(cfg.Audit)
	if err != nil {
		return nil, err
	}
	bodies, err := NewBodies(cfg.Audit)
	if err != nil {
		return nil, err
	}
	db := cfg.Snowflake.Open()
	db.SetMaxIdleConns(max(cfg.ApplyThreads, cfg.Engine.LoadThreads, 16)) // sessions stay logged in between batches
	policies, err := NewPolicies(cfg.Sync, logger)
	if err != nil {
		db.Close()
		return nil, err
	}
	gate := &PolicyGate{Policies: policies}
	eng := newEngine(cfg.Sync, db, gate) // the engine syncs each batch with the set the gate pinned for it
	gate.Syncer = eng
	runner := &task.Runner{Syncer: gate, Store: store, Connector: cfg.Connector, Enabled: cfg.Enabled,
		FailureHub: cfg.FailureHub.Enabled, DryRun: cfg.DryRun, MaxOriginal: cfg.FailureHub.MaxOriginal,
		Bodies: bodies, MaxResources: cfg.MaxResources, Logger: logger}
	reconciling := *runner
	reconciling.MaxResources = 0 // a policy change syncs what it affects, however many resources
	reconciler := &reconcile.Reconciler{Policies: policies, Pin: gate.With, Mapping: cfg.Sync.Mapping, Engine: eng,
		Runner: &reconciling, Checkpoints: bodies, Enabled: cfg.Enabled, DryRun: cfg.DryRun,
		SchemasPerRun: cfg.DriftSchemasPerRun, Lease: ReconcileLease, Logger: logger}
	srv := functions.New(runner, store, &functions.Options{EventHub: cfg.EventHub.Name, ConsumerGroup: cfg.EventHub.ConsumerGroup,
		QueueThreshold: cfg.QueueThreshold, SyncBudget: SyncTimeout, MaxInvocationBytes: cfg.MaxInvocationBytes, Bodies: bodies,
		Reconciler: reconciler, Logger: logger})
	return &App{Handler: srv.Handler(), Store: store, Bodies: bodies, Engine: eng, db: db, sessions: max(cfg.ApplyThreads, cfg.Engine.LoadThreads)}, nil
}

// NewEngine builds the sync engine over db: policies from the configured source, the engine's options
// as config built them, and an executor that applies statements, or records them in a dry run.
func NewEngine(s config.Sync, db *sql.DB, logger *slog.Logger) (*engine.Engine, error) {
	policies, err := NewPolicies(s, logger)
	if err != nil {
		return nil, err
	}
	return newEngine(s, db, policies), nil
}

// NewPolicies returns the cache of the configured policy source, refreshed every
// CONNECTOR_POLICY_REFRESH_INTERVAL_SEC.
func NewPolicies(s config.Sync, logger *slog.Logger) (*policy.Cache, error) {
	src, err := policySource(s.Policy, s.Mapping)
	if err != nil {
		return nil, err
	}
	return policy.NewCache(src, s.Mapping, s.Policy.Refresh, logger, nil), nil
}

func newEngine(s config.Sync, db *sql.DB, policies engine.Policies) *engine.Engine {
	var exec snowflake.Executor = snowflake.NewSQLExecutor(db, &snowflake.ExecOptions{Retry: s.Engine.Retry, Concurrency: s.ApplyThreads})
	if s.DryRun {
		exec = snowflake.DryRun{} // keeps nothing: the handler runs for days
	}
	return engine.New(db, exec, policies, s.Engine)
}

// policySource returns the configured policy source. A local file is read and parsed now, so that a
// wrong path or a malformed document stops start-up naming the setting.
func policySource(p config.Policy, mapping policy.Mapping) (policy.Source, error) {
	if p.RangerURL != "" {
		return &policy.RangerAdminSource{BaseURL: p.RangerURL, Service: p.RangerService, Username: p.RangerUser,
			Password: p.RangerPass.Reveal()}, nil
	}
	src, err := policy.NewSource(p.File.Reveal(), nil)
	if err != nil {
		return nil, fmt.Errorf("setting CONNECTOR_POLICY_FILE: %w", err)
	}
	if file, ok := src.(policy.FileSource); ok { // a local file can be checked now; a URL only when fetched
		data, _, err := file.Fetch(context.Background(), -1)
		if err == nil {
			_, _, err = policy.Parse(data, mapping)
		}
		if err != nil {
			return nil, fmt.Errorf("setting CONNECTOR_POLICY_FILE: %w", err)
		}
	}
	return src, nil
}

// NewStore opens the audit store: by connection string, or by table service URL with a managed
// identity (a user-assigned one when ClientID is set) or, off Azure, the default credential chain.
func NewStore(a config.Audit) (*audit.Store, error) {
	conn, err := auditConnection(a)
	if err != nil {
		return nil, err
	}
	store, err := audit.NewStore(conn, &audit.Options{Table: a.Table})
	if err != nil {
		return nil, fmt.Errorf("setting %s: %w", a.Setting, err)
	}
	return store, nil
}

// NewBodies opens the table of whole bodies beside the audit table (a.BodyTable), with the same
// connection: failure events too long for the failure hub are cut, and their bodies kept there.
func NewBodies(a config.Audit) (*audit.Bodies, error) {
	conn, err := auditConnection(a)
	if err != nil {
		return nil, err
	}
	bodies, err := audit.NewBodies(conn, &audit.Options{Table: a.BodyTable})
	if err != nil {
		return nil, fmt.Errorf("setting %s: %w", a.Setting, err)
	}
	return bodies, nil
}

// auditConnection is how the audit store is reached: its connection string, or its table service URL
// with a credential.
func auditConnection(a config.Audit) (audit.Connection, error) {
	conn := audit.Connection{ConnectionString: a.ConnectionString.Reveal(), ServiceURL: a.ServiceURL}
	if a.ServiceURL == "" {
		return conn, nil
	}
	var err error
	if a.ClientID != "" {
		conn.Credential, err = azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ID: azidentity.ClientID(a.ClientID)})
	} else {
		conn.Credential, err = azidentity.NewDefaultAzureCredential(nil)
	}
	if err != nil {
		return conn, fmt.Errorf("setting %s: credential: %w", a.Setting, err)
	}
	return conn, nil
}
