// Command snowflake-emulator serves an in-memory Snowflake account over Snowflake's REST
// protocol (HTTP) for the gosnowflake driver. It prints the DSN to use and serves until
// SIGINT or SIGTERM.
//
//	go run ./cmd/snowflake-emulator -listen 127.0.0.1:8085 -seed seed.sql \
//	    -latency GRANT=20ms+5ms,SHOW=10ms -fail-match 'ORDERS=2003' -throttle 3
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/snowsync/snowsync/internal/testing/emulator"
)

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return fmt.Sprint(*m) }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "snowflake-emulator:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("snowflake-emulator", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8085", "address to listen on")
	userName := fs.String("user", "admin", "first user (default role ACCOUNTADMIN)")
	password := fs.String("password", "admin", "first user's password")
	seed := fs.String("seed", "", "SQL seed file run as ACCOUNTADMIN at start")
	latency := fs.String("latency", "", "per-class latency, CLASS=FIXED[+JITTER],... e.g. GRANT=20ms+5ms,SHOW=10ms")
	failNth := fs.Int("fail-nth", 0, "fail the Nth statement (1-based) with -fail-number")
	failNumber := fs.Int("fail-number", 603, "error number for -fail-nth")
	var failMatch multiFlag
	fs.Var(&failMatch, "fail-match", "fail every statement matching REGEX with error NUMBER, as REGEX=NUMBER (repeatable)")
	throttle := fs.Int("throttle", 0, "answer the Nth query request with HTTP 429")
	drop := fs.Int("drop", 0, "drop the connection of the Nth query request")
	slowNth := fs.Int("slow", 0, "delay the answer to the Nth query request by -slow-delay")
	slowDelay := fs.Duration("slow-delay", 30*time.Second, "delay for -slow")
	tokenTTL := fs.Duration("session-token-ttl", time.Hour, "session token validity")
	showRowLimit := fs.Int("show-row-limit", emulator.DefaultShowRowLimit, "most rows SHOW <objects> returns without LIMIT (error 090153 above)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	opts := emulator.Options{User: *userName, Password: *password, SessionTokenTTL: *tokenTTL, ShowRowLimit: *showRowLimit}
	if *latency != "" {
		l, err := emulator.ParseLatencies(*latency)
		if err != nil {
			return err
		}
		opts.Latency = l
	}
	for _, m := range failMatch {
		f, err := emulator.ParseFaultMatch(m)
		if err != nil {
			return err
		}
		opts.Faults = append(opts.Faults, f)
	}
	if *failNth > 0 {
		opts.Faults = append(opts.Faults, emulator.Fault{Kind: emulator.FaultError, Nth: *failNth, Number: *failNumber})
	}
	for kind, nth := range map[emulator.FaultKind]int{emulator.FaultThrottle: *throttle, emulator.FaultDrop: *drop, emulator.FaultSlow: *slowNth} {
		if nth > 0 {
			opts.Faults = append(opts.Faults, emulator.Fault{Kind: kind, Nth: nth, Delay: *slowDelay})
		}
	}
	srv := emulator.New(opts)
	if *seed != "" {
		if err := srv.LoadSeed(*seed); err != nil {
			return err
		}
	}
	if err := srv.Start(*listen); err != nil {
		return err
	}
	fmt.Println(srv.DSN(""))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return srv.Close()
}
