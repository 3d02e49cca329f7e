// Package stack runs a whole snowsync locally, with real parts where a user meets them: Azurite for the
// audit table, the Snowflake emulator behind the real gosnowflake driver, the handler serving HTTP on
// 127.0.0.1 exactly as the Functions host reaches it, and the host stand-in delivering Event Hub batches
// in the host's wire format. End-to-end tests, `make demo` and benchmarks use it.
package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/snowsync/snowsync/internal/app"
	"github.com/snowsync/snowsync/internal/azurite"
	"github.com/snowsync/snowsync/internal/config"
	"github.com/snowsync/snowsync/internal/emulator"
	"github.com/snowsync/snowsync/internal/functionhost"
	"github.com/snowsync/snowsync/internal/module"
	"github.com/snowsync/snowsync/internal/trigger"
)

// Options configure a Stack. Policies is required.
type Options struct {
	// SeedSQL builds the emulated Snowflake account (statements separated by ';').
	SeedSQL string
	// Policies is a Ranger ServicePolicies document.
	Policies []byte
	// Settings override the stack's settings (app settings, as in local.settings.json).
	Settings map[string]string
	// Emulator configures the Snowflake emulator (latency, faults).
	Emulator emulator.Options
	// Logger receives the handler's logs; nil discards them.
	Logger *slog.Logger
}

// Stack is a running snowsync. Close stops everything it started.
type Stack struct {
	Azurite   *azurite.Server
	Snowflake *emulator.Server
	App       *app.App
	Config    config.Config
	// URL is the handler's base URL.
	URL string
	// Host delivers batches to OnDemandSync.
	Host *functionhost.Host

	srv *http.Server
	dir string

	mu  sync.Mutex
	seq map[string]int64 // next sequence number per partition
}

// EventHub and ConsumerGroup are the names the stack's trigger reads from.
const (
	EventHub      = "sync-requests"
	ConsumerGroup = "$Default"
)

// Start starts Azurite, the emulator and the handler. On error everything started is stopped.
func Start(ctx context.Context, opts Options) (s *Stack, err error) {
	s = &Stack{seq: map[string]int64{}}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if s.dir, err = os.MkdirTemp("", "snowsync-stack-"); err != nil {
		return nil, err
	}
	if s.Azurite, err = azurite.Start(ctx, azurite.Options{}); err != nil {
		return nil, err
	}
	s.Snowflake = emulator.New(opts.Emulator)
	if err = s.Snowflake.Start("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("start the Snowflake emulator: %w", err)
	}
	if err = s.Snowflake.Exec(opts.SeedSQL); opts.SeedSQL != "" && err != nil {
		return nil, fmt.Errorf("seed the Snowflake emulator: %w", err)
	}
	policyFile := filepath.Join(s.dir, "policies.json")
	if err = os.WriteFile(policyFile, opts.Policies, 0o600); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	settings := map[string]string{
		"FUNCTIONS_CUSTOMHANDLER_PORT":                                                        strconv.Itoa(ln.Addr().(*net.TCPAddr).Port),
		"CONNECTOR_ON_DEMAND_V2_AZURE_CONNECTION_STRING__fullyQualifiedNamespace":             "localhost",
		"CONNECTOR_ON_DEMAND_V2_AZURE_EVENT_HUB_NAME":                                         EventHub,
		"CONNECTOR_ON_DEMAND_V2_AZURE_CONSUMER_GROUP":                                         ConsumerGroup,
		"CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_CONNECTION_STRING__fullyQualifiedNamespace": "localhost",
		"CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_NAME":                                       "sync-failures",
		"CONNECTOR_ON_DEMAND_V2_AUDIT_STORAGE_CONNECTION":                                     s.Azurite.ConnectionString(),
		"CONNECTOR_SNOWFLAKE_JDBC_URL":                                                        "jdbc:snowflake://" + s.Snowflake.Addr() + "/?account=emulator&ssl=off&warehouse=COMPUTE_WH&role=ACCOUNTADMIN",
		"CONNECTOR_SNOWFLAKE_JDBC_USERNAME":                                                   "admin", // the emulator's default user: a local fixture, not a secret
		"CONNECTOR_SNOWFLAKE_JDBC_PASSWORD":                                                   "admin",
		"CONNECTOR_POLICY_FILE":                                                               policyFile,
	}
	maps.Copy(settings, opts.Settings)
	if s.Config, err = config.Load(func(k string) (string, bool) { v, ok := settings[k]; return v, ok }); err != nil {
		ln.Close()
		return nil, err
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.App, err = app.New(s.Config, logger); err != nil {
		ln.Close()
		return nil, err
	}
	s.srv = &http.Server{Handler: s.App.Handler, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln) //nolint:errcheck // returns ErrServerClosed on Close
	s.URL = "http://" + ln.Addr().String()
	root, err := module.Root()
	if err != nil {
		return nil, err
	}
	fn, err := functionhost.LoadFunction(filepath.Join(root, "functions", "OnDemandSync"))
	if err != nil {
		return nil, err
	}
	s.Host = functionhost.New(s.URL, fn, &functionhost.Options{EventHub: EventHub, ConsumerGroup: ConsumerGroup})
	if err = s.Host.WaitReady(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Batch builds a delivery of bodies on partition, with the next sequence numbers of that partition.
func (s *Stack) Batch(partition string, bodies ...[]byte) functionhost.Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := functionhost.Delivery{Partition: partition}
	now := time.Now().UTC()
	for _, b := range bodies {
		n := s.seq[partition]
		s.seq[partition] = n + 1
		d.Events = append(d.Events, trigger.OutgoingEvent{Body: b, SequenceNumber: n, Offset: strconv.FormatInt(4096*n, 10), EnqueuedTime: now})
	}
	return d
}

// Close stops the handler, the emulator and Azurite, and removes temporary files.
func (s *Stack) Close() error {
	var errs []error
	if s.srv != nil {
		errs = append(errs, s.srv.Close())
	}
	if s.App != nil {
		errs = append(errs, s.App.Close())
	}
	if s.Snowflake != nil {
		errs = append(errs, s.Snowflake.Close())
	}
	if s.Azurite != nil {
		errs = append(errs, s.Azurite.Stop())
	}
	if s.dir != "" {
		errs = append(errs, os.RemoveAll(s.dir))
	}
	return errors.Join(errs...)
}
