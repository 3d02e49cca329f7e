// Command snowsync is the operator CLI of snowsync: it lists the audit records of sync tasks (tasks)
// and the Reconcile function's policy-change reconciliations and drift sweeps (drift), shows the
// GRANT / REVOKE plan for resources without changing anything (plan), publishes sync requests to the
// Event Hub or to POST /api/sync (send), and re-publishes failed events from the failure hub (replay).
// Run `snowsync --help`, or `snowsync COMMAND --help` for a command's flags and examples.
//
// It reads the handler's own app settings (environment variables, DESIGN §5) through config, so a
// shell that has the function app's settings exported can run it as is. A command loads and validates
// only the section of the settings it uses (config.LoadAudit for tasks and drift, config.LoadHubs for
// send and replay, config.LoadSync for plan): see loadSettings. Exit status: 0 success, 1 failure, 2
// usage error.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/snowsync/snowsync/internal/publish"
	"github.com/snowsync/snowsync/internal/request"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, realDeps())
	stop()
	os.Exit(code)
}

// deps is what the commands take from the world outside their arguments. Tests replace the hub
// openers with in-memory hubs; everything else they set to fixed values.
type deps struct {
	getenv func(string) (string, bool)
	now    func() time.Time
	// newID returns a fresh task id for the requests that send --resource builds.
	newID func() string
	// stdin is read for the file name "-", and is the editor's terminal in replay --edit.
	stdin io.Reader
	http  *http.Client
	// openPublisher connects to a hub to publish to; release closes the connection.
	openPublisher func(hub publish.Hub) (pub publish.Publisher, release func(), err error)
	// openReader connects to a hub to read from as consumerGroup; release closes the connection.
	openReader func(hub publish.Hub, consumerGroup string) (r publish.FailureReader, release func(), err error)
}

// realDeps connects to Azure: Event Hubs through azeventhubs, with the connection string when the
// hub has one and Entra ID (azidentity's DefaultAzureCredential) otherwise.
func realDeps() *deps {
	return &deps{
		getenv: os.LookupEnv,
		now:    time.Now,
		newID:  func() string { return "cli-" + rand.Text() },
		stdin:  os.Stdin,
		// A synchronous sync may take until the function's timeout (host.json: 10 minutes).
		http: &http.Client{Timeout: 11 * time.Minute,
			// A redirect would carry the function key to another host and turn the POST into a GET.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		openPublisher: func(hub publish.Hub) (publish.Publisher, func(), error) {
			if err := withCredential(&hub); err != nil {
				return nil, nil, err
			}
			p, err := publish.NewProducer(hub)
			if err != nil {
				return nil, nil, err
			}
			return p, func() { closeHub(p.Close) }, nil
		},
		openReader: func(hub publish.Hub, consumerGroup string) (publish.FailureReader, func(), error) {
			if err := withCredential(&hub); err != nil {
				return nil, nil, err
			}
			r, err := publish.NewHubReader(hub, consumerGroup, nil)
			if err != nil {
				return nil, nil, err
			}
			return r, func() { closeHub(r.Close) }, nil
		},
	}
}

// closeHub closes a hub connection, waiting at most closeTimeout: the CLI is done with it, and a
// close that fails loses nothing.
func closeHub(closeFn func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	closeFn(ctx)
}

const closeTimeout = 10 * time.Second

// withCredential gives a hub without a connection string the default Entra ID credential chain
// (environment, workload identity, managed identity, Azure CLI, ...).
func withCredential(hub *publish.Hub) error {
	if hub.ConnectionString != "" {
		return nil
	}
	cred, err := azidentity.NewDefaultAzureCredential(nil)
	if err != nil {
		return fmt.Errorf("entra ID credential: %w", err)
	}
	hub.Credential = cred
	return nil
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer, d *deps) error
}

// commands lists the subcommands in the order the help shows them.
var commands = []command{
	{"tasks", "list audit records of sync tasks by status, source, time range or task id", runTasks},
	{"drift", "list recent policy-change reconciliations and drift sweeps", runDrift},
	{"plan", "show the GRANT/REVOKE plan for resources, changing nothing", runPlan},
	{"send", "publish sync requests to the Event Hub or to POST /api/sync", runSend},
	{"replay", "re-publish failed events from the failure hub", runReplay},
}

const mainUsage = `Usage: snowsync COMMAND [flags]

snowsync's operator CLI. It reads the function app's settings from the environment
(CONNECTOR_*, AzureWebJobsStorage, ...) and checks only those the command uses.

Commands:
%s
Run 'snowsync COMMAND --help' for a command's flags and examples.
`

// run runs the command named by args[0] and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, d *deps) int {
	if len(args) == 0 {
		printMainUsage(stderr)
		return 2
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 && name == "help" {
			return run(ctx, []string{args[1], "--help"}, stdout, stderr, d)
		}
		printMainUsage(stdout)
		return 0
	}
	for _, c := range commands {
		if c.name != name {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr, d)
		var usage usageError
		switch {
		case err == nil, errors.Is(err, errHelp):
			return 0
		case errors.As(err, &usage):
			fmt.Fprintf(stderr, "snowsync %s: %v\nRun 'snowsync %s --help' for usage.\n", name, err, name)
			return 2
		default:
			fmt.Fprintf(stderr, "snowsync %s: %v\n", name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "snowsync: unknown command %q\n", name)
	printMainUsage(stderr)
	return 2
}

func printMainUsage(w io.Writer) {
	var list string
	for _, c := range commands {
		list += fmt.Sprintf("  %-7s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, mainUsage, list)
}

// usageError is a mistake in the command line: exit status 2, with a pointer to --help.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// errHelp is returned after --help printed the usage: exit status 0.
var errHelp = errors.New("help requested")

// parseFlags parses args into fs. --help prints usage and fs's flags to stdout and returns errHelp;
// a bad flag or any positional argument is a usageError.
func parseFlags(fs *flag.FlagSet, usage string, args []string, stdout io.Writer) error {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, usage)
		fmt.Fprintln(stdout, "\nFlags:")
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return errHelp
	case err != nil:
		return usageError{err}
	case fs.NArg() > 0:
		return usageErrorf("unexpected argument %q (every input is a flag)", fs.Arg(0))
	}
	return nil
}

// listFlag is a flag that may be repeated; each use adds a value.
type listFlag []string

func (l *listFlag) String() string { return fmt.Sprint([]string(*l)) }

func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// parseTime reads a time flag as request.ParseTime does; its error is a usage error naming the flag.
func parseTime(flagName, v string, now time.Time) (time.Time, error) {
	t, err := request.ParseTime(v, now)
	if err != nil {
		return time.Time{}, usageErrorf("--%s %v", flagName, err)
	}
	return t, nil
}

// readInput reads the file name, or stdin for "-".
func readInput(name string, stdin io.Reader) ([]byte, error) {
	if name == "-" {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("read stdin: %w", err)
		}
		return b, nil
	}
	return os.ReadFile(name) // *fs.PathError names the operation and the file
}
