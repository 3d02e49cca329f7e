// Package azurite starts and stops a real Azurite table service (the Azure Storage emulator) for
// tests and the demo. It runs the azurite-table binary pinned in tools/azurite (installed with
// `make tools` or `npm ci --prefix tools/azurite`) on 127.0.0.1 with in-memory persistence, so every
// server starts empty and leaves nothing on disk; a Persistent server keeps its data on disk across
// Restart (for soak runs that restart storage mid-run), and removes it on Stop.
package azurite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/snowsync/snowsync/internal/audit"
	"github.com/snowsync/snowsync/internal/testing/module"
)

// BinaryEnv names the environment variable that, when set, is the path of the azurite-table binary
// to run instead of the one under tools/azurite.
const BinaryEnv = "AZURITE_TABLE_BIN"

// binaryInRepo is the azurite-table binary's path relative to the repository root.
var binaryInRepo = filepath.Join("tools", "azurite", "node_modules", ".bin", "azurite-table")

// startTimeout bounds how long Start waits for the table port to accept connections.
const startTimeout = 30 * time.Second

// portAttempts is how many free ports Start tries when Options.Port is zero: between picking a free
// port and Azurite binding it another process may take it.
const portAttempts = 3

// Options configures Start. The zero value is ready to use.
type Options struct {
	// Port is the TCP port on 127.0.0.1 for the table service; zero picks a free port.
	Port int
	// Binary is the azurite-table executable; empty means $AZURITE_TABLE_BIN, else
	// tools/azurite/node_modules/.bin/azurite-table found by walking up from the working directory
	// to the directory holding go.mod.
	Binary string
	// Persistent keeps the data in a directory of the server's own, so that it survives Restart, which
	// then stops Azurite gracefully (SIGINT: it saves its database before it exits). Stop removes it.
	Persistent bool
}

// gracefulStop bounds how long a Persistent server may take to save and exit before it is killed.
const gracefulStop = 30 * time.Second

// Server is a running Azurite table service. Its methods are safe for concurrent use.
type Server struct {
	binary     string
	port       int
	persistent bool

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{} // closed when cmd has been waited for
	workDir string
	// dataDir holds a Persistent server's data across restarts; "" until its first start.
	dataDir string
}

// Start runs Azurite's table service on 127.0.0.1 and returns once its port accepts connections.
// Data lives in memory only. The caller must call Stop.
func Start(ctx context.Context, opts Options) (*Server, error) {
	binary, err := locateBinary(opts.Binary)
	if err != nil {
		return nil, err
	}
	s := &Server{binary: binary, port: opts.Port, persistent: opts.Persistent}
	if opts.Port != 0 {
		if err := s.start(ctx); err != nil {
			return nil, err
		}
		return s, nil
	}
	var errs []error
	for range portAttempts {
		if s.port, err = freePort(); err != nil {
			return nil, err
		}
		if err = s.start(ctx); err == nil {
			return s, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

// Main is the TestMain of a package whose tests share one server: it starts it, hands it to set, runs the
// tests and stops it; Azurite that cannot start fails the run.
func Main(m *testing.M, set func(*Server)) {
	s, err := Start(context.Background(), Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	set(s)
	code := m.Run()
	if err := s.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

// StartT starts a server for a test and stops it when the test and its subtests end. It fails the
// test when Azurite cannot start; it never skips, so a CI without Azurite fails loudly.
func StartT(t testing.TB) *Server {
	t.Helper()
	s, err := Start(t.Context(), Options{})
	if err != nil {
		t.Fatalf("start Azurite: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stop Azurite: %v", err)
		}
	})
	return s
}

// Port is the table service's TCP port on 127.0.0.1.
func (s *Server) Port() int { return s.port }

// TableEndpoint is the table service URL of Azurite's well-known devstoreaccount1 account, in
// path style: http://127.0.0.1:PORT/devstoreaccount1.
func (s *Server) TableEndpoint() string {
	return "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) + "/" + audit.DevelopmentAccountName
}

// ConnectionString is an explicit connection string for devstoreaccount1 on this server, with
// TableEndpoint set, in the form aztables parses.
func (s *Server) ConnectionString() string {
	return audit.DevelopmentConnectionString(s.TableEndpoint())
}

// Stop kills Azurite and every process it started, waits for them to exit and removes its working
// directory (a Persistent server's data too). Stopping a stopped server does nothing.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.stopLocked(false)
	if s.dataDir != "" {
		if rmErr := os.RemoveAll(s.dataDir); rmErr != nil {
			err = errors.Join(err, fmt.Errorf("azurite: remove data directory: %w", rmErr))
		}
		s.dataDir = ""
	}
	return err
}

// Down stops Azurite as Restart does, keeping a Persistent server's data, until Restart starts it
// again: an outage of the storage service.
func (s *Server) Down() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopLocked(s.persistent)
}

// Restart stops Azurite and starts it again on the same port; it also starts a stopped server. The
// data survives only on a Persistent server.
func (s *Server) Restart(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.stopLocked(s.persistent); err != nil {
		return err
	}
	return s.startLocked(ctx)
}

func (s *Server) start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.startLocked(ctx)
}

func (s *Server) startLocked(ctx context.Context) error {
	workDir, err := os.MkdirTemp("", "azurite-")
	if err != nil {
		return fmt.Errorf("azurite: create working directory: %w", err)
	}
	persistence := []string{"--inMemoryPersistence"}
	if s.persistent {
		if s.dataDir == "" {
			if s.dataDir, err = os.MkdirTemp("", "azurite-data-"); err != nil {
				_ = os.RemoveAll(workDir)
				return fmt.Errorf("azurite: create data directory: %w", err)
			}
		}
		persistence = []string{"--location", s.dataDir}
	}
	output := &tailBuffer{limit: 16 << 10}
	cmd := exec.Command(s.binary, append(persistence,
		"--tableHost", "127.0.0.1",
		"--tablePort", strconv.Itoa(s.port),
		"--skipApiVersionCheck",
		"--disableProductStyleUrl",
		"--disableTelemetry",
		"--silent",
	)...)
	cmd.Dir = workDir
	cmd.Stdout = output
	cmd.Stderr = output
	setProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		_ = os.RemoveAll(workDir)
		return fmt.Errorf("azurite: run %s: %w", s.binary, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	s.cmd, s.exited, s.workDir = cmd, exited, workDir

	if err := waitForPort(ctx, s.port, exited); err != nil {
		stopErr := s.stopLocked(false)
		return errors.Join(fmt.Errorf("azurite: start table service on port %d: %w; output:\n%s", s.port, err, output), stopErr)
	}
	return nil
}

// stopLocked stops the process: gracefully (SIGINT, then SIGKILL after gracefulStop) when graceful, so
// that a Persistent server saves its data, else at once.
func (s *Server) stopLocked(graceful bool) error {
	if s.cmd == nil {
		return nil
	}
	var err error
	if graceful {
		err = interruptProcessGroup(s.cmd)
		select {
		case <-s.exited:
		case <-time.After(gracefulStop):
			err = errors.Join(err, errors.New("azurite: did not exit on SIGINT; killed, its data may be lost"))
		}
	}
	err = errors.Join(err, killProcessGroup(s.cmd)) // its children too, and the process if it is still there
	<-s.exited
	if rmErr := os.RemoveAll(s.workDir); rmErr != nil {
		err = errors.Join(err, fmt.Errorf("azurite: remove working directory: %w", rmErr))
	}
	s.cmd, s.exited, s.workDir = nil, nil, ""
	return err
}

// waitForPort polls until 127.0.0.1:port accepts a TCP connection, the process exits, ctx ends or
// startTimeout passes.
func waitForPort(ctx context.Context, port int, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			return conn.Close()
		}
		select {
		case <-exited:
			return errors.New("process exited before its port answered")
		case <-ctx.Done():
			return fmt.Errorf("port %d never answered: %w", port, ctx.Err())
		case <-tick.C:
		}
	}
}

// freePort asks the kernel for a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("azurite: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// locateBinary resolves the azurite-table executable: explicit, then $AZURITE_TABLE_BIN, then
// tools/azurite under the repository root.
func locateBinary(explicit string) (string, error) {
	if explicit != "" {
		return checkBinary(explicit)
	}
	if env := os.Getenv(BinaryEnv); env != "" {
		return checkBinary(env)
	}
	root, err := module.Root()
	if err != nil {
		return "", fmt.Errorf("azurite: %w; or set %s to the azurite-table binary", err, BinaryEnv)
	}
	return checkBinary(filepath.Join(root, binaryInRepo))
}

func checkBinary(path string) (string, error) {
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("azurite: table service binary not found (%w); install it with `make tools` or `npm ci --prefix tools/azurite`, or set %s", err, BinaryEnv)
	}
	return path, nil
}

// tailBuffer keeps the last limit bytes written to it, for error messages.
type tailBuffer struct {
	mu    sync.Mutex
	limit int
	buf   bytes.Buffer
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if extra := b.buf.Len() - b.limit; extra > 0 {
		b.buf.Next(extra)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
