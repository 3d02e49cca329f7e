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
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/snowsync/snowsync/internal/app"
	"github.com/snowsync/snowsync/internal/config"
	"github.com/snowsync/snowsync/internal/testing/azurite"
	"github.com/snowsync/snowsync/internal/testing/emulator"
	"github.com/snowsync/snowsync/internal/testing/functionhost"
	"github.com/snowsync/snowsync/internal/testing/module"
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
	// PersistentStorage keeps the audit table across Azurite.Restart (azurite.Options.Persistent).
	PersistentStorage bool
	// Logger receives the handler's logs; nil discards them.
	Logger *slog.Logger
	// Handler, when set, is a built handler binary (see BuildHandler) that Start runs as a separate
	// process, with the settings as environment variables, instead of serving the app in this
	// process: App is nil then, and Pid names the process. HandlerOutput receives its stdout and
	// stderr (nil discards them).
	Handler       string
	HandlerOutput io.Writer
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
	// Timer invokes the Reconcile timer function (Host.Tick).
	Timer *functionhost.Host
	// PolicyFile is the policy document's path (CONNECTOR_POLICY_FILE): a test may rewrite it.
	PolicyFile string

	srv *http.Server
	cmd *exec.Cmd // the handler process, with Options.Handler
	// exited is closed when the handler process has exited; waitErr is then why.
	exited  chan struct{}
	waitErr error
	dir     string

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
	started := s // the error returns below clear s
	defer func() {
		if err != nil {
			started.Close()
		}
	}()
	if s.dir, err = os.MkdirTemp("", "snowsync-stack-"); err != nil {
		return nil, err
	}
	if s.Azurite, err = azurite.Start(ctx, azurite.Options{Persistent: opts.PersistentStorage}); err != nil {
		return nil, err
	}
	s.Snowflake = emulator.New(opts.Emulator)
	if err = s.Snowflake.Start("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("start the Snowflake emulator: %w", err)
	}
	if err = s.Snowflake.Exec(opts.SeedSQL); opts.SeedSQL != "" && err != nil {
		return nil, fmt.Errorf("seed the Snowflake emulator: %w", err)
	}
	s.PolicyFile = filepath.Join(s.dir, "policies.json")
	if err = os.WriteFile(s.PolicyFile, opts.Policies, 0o600); err != nil {
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
		"CONNECTOR_POLICY_FILE":                                                               s.PolicyFile,
	}
	maps.Copy(settings, opts.Settings)
	if s.Config, err = config.Load(func(k string) (string, bool) { v, ok := settings[k]; return v, ok }); err != nil {
		ln.Close()
		return nil, err
	}
	s.URL = "http://" + ln.Addr().String()
	if opts.Handler != "" {
		ln.Close() // the handler binds the port itself
		if err = s.startProcess(opts.Handler, settings, opts.HandlerOutput); err != nil {
			return nil, err
		}
	} else if err = s.serve(ln, opts.Logger); err != nil {
		return nil, err
	}
	if s.Host, err = NewHost(s.URL, 0); err != nil {
		return nil, err
	}
	if s.Timer, err = newTimer(s.URL); err != nil {
		return nil, err
	}
	readyCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if s.cmd != nil {
		go func() {
			select {
			case <-s.exited: // a handler that stopped never answers
				cancel()
			case <-readyCtx.Done():
			}
		}()
	}
	if err = s.Host.WaitReady(readyCtx); err != nil {
		return nil, err
	}
	return s, nil
}

// serve wires the app in this process and serves it on ln.
func (s *Stack) serve(ln net.Listener, logger *slog.Logger) (err error) {
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.App, err = app.New(s.Config, logger); err != nil {
		ln.Close()
		return err
	}
	s.srv = &http.Server{Handler: s.App.Handler, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln) //nolint:errcheck // returns ErrServerClosed on Close
	return nil
}

// startProcess runs the handler binary with the settings as its environment, added to this
// process's environment (a setting wins over a variable of the same name).
func (s *Stack) startProcess(binary string, settings map[string]string, out io.Writer) error {
	s.cmd = exec.Command(binary)
	s.cmd.Env = os.Environ()
	for k, v := range settings {
		s.cmd.Env = append(s.cmd.Env, k+"="+v)
	}
	s.cmd.Stdout, s.cmd.Stderr = out, out
	if err := s.cmd.Start(); err != nil {
		s.cmd = nil
		return fmt.Errorf("start the handler: %w", err)
	}
	s.exited = make(chan struct{})
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()
	return nil
}

// Pid is the handler process's id, 0 when the handler runs in this process.
func (s *Stack) Pid() int {
	if s.cmd == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// BuildHandler compiles the handler binary (./handler) into dir and returns its path.
func BuildHandler(dir string) (string, error) {
	root, err := module.Root()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "handler")
	cmd := exec.Command("go", "build", "-o", bin, "./handler")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the handler: %w\n%s", err, out)
	}
	return bin, nil
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
	if s.cmd != nil { // SIGTERM drains in-flight invocations; the handler gives up after 30 s
		_ = s.cmd.Process.Signal(syscall.SIGTERM) // fails only when it has exited already
		<-s.exited
		errs = append(errs, s.waitErr)
	}
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

// newTimer returns a Functions host stand-in for the Reconcile timer of the handler at url.
func newTimer(url string) (*functionhost.Host, error) {
	root, err := module.Root()
	if err != nil {
		return nil, err
	}
	fn, err := functionhost.LoadFunction(filepath.Join(root, "functions", "Reconcile"))
	if err != nil {
		return nil, err
	}
	return functionhost.New(url, fn, nil), nil
}

// NewHost returns a Functions host stand-in for the handler at url, with OnDemandSync's function.json
// from this module and the stack's hub and consumer group. delayScale multiplies the retry policy's
// delays (functionhost.Options.DelayScale; 0: no sleep between attempts).
func NewHost(url string, delayScale float64) (*functionhost.Host, error) {
	root, err := module.Root()
	if err != nil {
		return nil, err
	}
	fn, err := functionhost.LoadFunction(filepath.Join(root, "functions", "OnDemandSync"))
	if err != nil {
		return nil, err
	}
	return functionhost.New(url, fn, &functionhost.Options{EventHub: EventHub, ConsumerGroup: ConsumerGroup, DelayScale: delayScale}), nil
}
