// Command handler is snowsync's Azure Functions custom handler. The Functions host starts it with
// FUNCTIONS_CUSTOMHANDLER_PORT set and forwards invocations to it over HTTP (DESIGN §4). It reads and
// validates every setting once, wires the app, and serves until SIGTERM or SIGINT, then drains
// in-flight invocations.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/snowsync/snowsync/internal/app"
	"github.com/snowsync/snowsync/internal/config"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "snowsync handler:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := config.FromEnv()
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return fmt.Errorf("setting CONNECTOR_LOG_LEVEL: %w", err)
	}
	logger := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(logger)

	a, err := app.New(cfg, logger)
	if err != nil {
		return err
	}

	srv := &http.Server{
		Addr:              net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.Port)),
		Handler:           a.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		// An invocation may run until the host's functionTimeout (host.json, 10 minutes).
		WriteTimeout: 11 * time.Minute,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	logger.Info("snowsync handler listening", "addr", srv.Addr, "load_mode", cfg.Engine.LoadMode, "dry_run", cfg.DryRun,
		"event_hub", cfg.EventHub.Name, "audit_table", cfg.Audit.Table)
	go a.Warm(ctx, logger) // sessions logged in before the first batch needs them
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down: draining in-flight invocations")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		// The Snowflake pool stays open: closing it under running invocations would fail their
		// statements as if Snowflake had refused them. The host re-delivers what was not answered.
		logger.Warn("drain timed out: exiting with invocations in flight; the host re-delivers them", "error", err)
		return nil
	}
	return a.Close()
}
