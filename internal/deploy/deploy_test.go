package deploy

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/snowsync/snowsync/internal/app"
	"github.com/snowsync/snowsync/internal/config"
	"github.com/snowsync/snowsync/internal/testing/module"
)

// Where a setting may be absent.
const (
	fromLocal = 1 << iota // local.settings.json.example
	fromBicep             // infra/main.bicep app settings
)

// Names of the sources, as problems report them.
const (
	localSource = "local.settings.json.example"
	bicepSource = "infra/main.bicep app settings"
)

// optionalSetting is a setting config reads that a source deliberately leaves out.
type optionalSetting struct {
	name   string
	absent int // fromLocal and/or fromBicep
	reason string
}

// optional is the one list of settings that may be missing, and why. Everything else config.Names()
// returns must be in both sources.
var optional = []optionalSetting{
	{"FUNCTIONS_CUSTOMHANDLER_PORT", fromLocal | fromBicep, "set by the Functions host when it starts the handler"},

	{"CONNECTOR_ON_DEMAND_V2_AZURE_CONNECTION_STRING", fromBicep, "Azure connects with the app's identity (__fullyQualifiedNamespace); the namespace has local auth disabled"},
	{"CONNECTOR_ON_DEMAND_V2_AZURE_CONNECTION_STRING__fullyQualifiedNamespace", fromLocal, "a local run uses a connection string"},
	{"CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_CONNECTION_STRING", fromBicep, "Azure connects with the app's identity (__fullyQualifiedNamespace)"},
	{"CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_CONNECTION_STRING__fullyQualifiedNamespace", fromLocal, "a local run uses a connection string"},

	{"CONNECTOR_ON_DEMAND_V2_AUDIT_STORAGE_CONNECTION", fromBicep, "Azure reaches the audit table with the app's identity (__tableServiceUri); shared keys are off"},
	{"CONNECTOR_ON_DEMAND_V2_AUDIT_STORAGE_CONNECTION__tableServiceUri", fromLocal, "a local run uses Azurite's connection string"},
	{"CONNECTOR_ON_DEMAND_V2_AUDIT_STORAGE_CONNECTION__accountName", fromLocal | fromBicep, "alternative to __tableServiceUri; Bicep sets the full table endpoint"},
	{"CONNECTOR_ON_DEMAND_V2_AUDIT_STORAGE_CONNECTION__clientId", fromLocal, "a local run uses a connection string, not a managed identity"},

	{"AzureWebJobsStorage", fromBicep, "the host uses its identity (AzureWebJobsStorage__accountName); shared keys are off"},
	{"AzureWebJobsStorage__accountName", fromLocal, "a local run uses Azurite (UseDevelopmentStorage=true)"},
	{"AzureWebJobsStorage__tableServiceUri", fromLocal | fromBicep, "alternative to __accountName, which covers blobs and tables"},
	{"AzureWebJobsStorage__clientId", fromLocal, "a local run uses Azurite, not a managed identity"},

	{"CONNECTOR_SNOWFLAKE_JDBC_PASSWORD", fromBicep, "Azure uses key-pair auth with the key in Key Vault; passwords are for local emulators"},
}

// bicepForbidden are settings Flex Consumption rejects: the runtime comes from functionAppConfig.
var bicepForbidden = []string{"FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_EXTENSION_VERSION"}

// tree is the deployment files, by slash-separated path relative to the repository root.
type tree map[string]string

const (
	hostPath  = "host.json"
	localPath = "local.settings.json.example"
	bicepPath = "infra/main.bicep"
)

// loadTree reads the deployment files from the repository holding the working directory.
func loadTree(t *testing.T) tree {
	t.Helper()
	root := repoRoot(t)
	fns, err := filepath.Glob(filepath.Join(root, "functions", "*", "function.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(fns) == 0 {
		t.Fatalf("no functions/*/function.json under %s", root)
	}
	paths := []string{hostPath, localPath, bicepPath}
	for _, f := range fns {
		rel, err := filepath.Rel(root, f)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, filepath.ToSlash(rel))
	}
	tr := tree{}
	for _, p := range paths {
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(p)))
		if err != nil {
			t.Fatalf("read deployment file: %v", err)
		}
		tr[p] = string(b)
	}
	return tr
}

// repoRoot is the source tree the deployment files are read from.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := module.Root()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// with returns a copy of tr in which old, which must occur exactly once in path, is replaced by new.
func (tr tree) with(path, old, new string) (tree, error) {
	text, ok := tr[path]
	if !ok {
		return nil, fmt.Errorf("mutate %s: no such file", path)
	}
	if n := strings.Count(text, old); n != 1 {
		return nil, fmt.Errorf("mutate %s: %q occurs %d times, want 1", path, old, n)
	}
	cp := tree{}
	for k, v := range tr {
		cp[k] = v
	}
	cp[path] = strings.Replace(text, old, new, 1)
	return cp, nil
}

// inputs are the parsed deployment files.
type inputs struct {
	host      hostFile
	local     localFile
	bicep     bicepFile
	functions []function
}

type hostFile struct {
	FunctionTimeout string `json:"functionTimeout"`
	CustomHandler   struct {
		Description struct {
			DefaultExecutablePath string `json:"defaultExecutablePath"`
		} `json:"description"`
		EnableForwardingHttpRequest bool `json:"enableForwardingHttpRequest"`
	} `json:"customHandler"`
	ExtensionBundle struct {
		ID      string `json:"id"`
		Version string `json:"version"`
	} `json:"extensionBundle"`
	Extensions struct {
		EventHubs struct {
			MaxEventBatchSize int    `json:"maxEventBatchSize"`
			MinEventBatchSize int    `json:"minEventBatchSize"`
			MaxWaitTime       string `json:"maxWaitTime"`
		} `json:"eventHubs"`
	} `json:"extensions"`
}

type localFile struct {
	IsEncrypted bool              `json:"IsEncrypted"`
	Values      map[string]string `json:"Values"`
}

// bicepFile is what the test reads from infra/main.bicep: app setting names with their value
// expressions, and parameter defaults as written.
type bicepFile struct {
	settings map[string]string
	params   map[string]string
}

// function is one functions/<Name>/function.json.
type function struct {
	path     string
	name     string
	bindings []binding
	retry    *struct {
		Strategy      string `json:"strategy"`
		MaxRetryCount int    `json:"maxRetryCount"`
	}
	refs []string // %NAME% app-setting references, in file order
}

type binding struct {
	Type        string   `json:"type"`
	Name        string   `json:"name"`
	Direction   string   `json:"direction"`
	Cardinality string   `json:"cardinality"`
	DataType    string   `json:"dataType"`
	Connection  string   `json:"connection"`
	AuthLevel   string   `json:"authLevel"`
	Methods     []string `json:"methods"`
	Route       string   `json:"route"`
	// A timerTrigger's; nil booleans are the host's defaults (runOnStartup false, useMonitor true).
	Schedule     string `json:"schedule"`
	RunOnStartup *bool  `json:"runOnStartup"`
	UseMonitor   *bool  `json:"useMonitor"`
}

var (
	appSettingsBlock = regexp.MustCompile(`(?ms)^var appSettings = \[\n(.*?)^\]$`)
	appSettingEntry  = regexp.MustCompile(`(?m)\{\s*name:\s*'([^']+)',\s*value:\s*(.*?)\s*\}\s*$`)
	bicepParam       = regexp.MustCompile(`(?m)^param\s+(\w+)\s+\w+\s*=\s*(.+?)\s*$`)
	settingRef       = regexp.MustCompile(`%([^%]+)%`)
)

// parse parses every file of tr.
func parse(tr tree) (inputs, error) {
	var in inputs
	if err := json.Unmarshal([]byte(tr[hostPath]), &in.host); err != nil {
		return in, fmt.Errorf("parse %s: %w", hostPath, err)
	}
	if err := json.Unmarshal([]byte(tr[localPath]), &in.local); err != nil {
		return in, fmt.Errorf("parse %s: %w", localPath, err)
	}
	var err error
	if in.bicep, err = parseBicep(tr[bicepPath]); err != nil {
		return in, err
	}
	for path, text := range tr {
		if !strings.HasPrefix(path, "functions/") {
			continue
		}
		fn, err := parseFunction(path, text)
		if err != nil {
			return in, err
		}
		in.functions = append(in.functions, fn)
	}
	slices.SortFunc(in.functions, func(a, b function) int { return strings.Compare(a.path, b.path) })
	return in, nil
}

func parseBicep(text string) (bicepFile, error) {
	block := appSettingsBlock.FindStringSubmatch(text)
	if block == nil {
		return bicepFile{}, fmt.Errorf("parse %s: no `var appSettings = [` ... `]` block", bicepPath)
	}
	b := bicepFile{settings: map[string]string{}, params: map[string]string{}}
	entries := appSettingEntry.FindAllStringSubmatch(block[1], -1)
	if n := strings.Count(block[1], "name:"); n != len(entries) {
		return b, fmt.Errorf("parse %s: appSettings has %d `name:` but %d one-line `{ name: '...', value: ... }` entries", bicepPath, n, len(entries))
	}
	for _, m := range entries {
		if _, dup := b.settings[m[1]]; dup {
			return b, fmt.Errorf("parse %s: app setting %s set twice", bicepPath, m[1])
		}
		b.settings[m[1]] = m[2]
	}
	for _, m := range bicepParam.FindAllStringSubmatch(text, -1) {
		b.params[m[1]] = m[2]
	}
	return b, nil
}

func parseFunction(path, text string) (function, error) {
	fn := function{path: path, name: filepath.Base(filepath.Dir(filepath.FromSlash(path)))}
	var raw struct {
		Bindings []json.RawMessage `json:"bindings"`
		Retry    json.RawMessage   `json:"retry"`
	}
	if err := json.Unmarshal([]byte(text), &raw); err != nil {
		return fn, fmt.Errorf("parse %s: %w", path, err)
	}
	for _, r := range raw.Bindings {
		var b binding
		if err := json.Unmarshal(r, &b); err != nil {
			return fn, fmt.Errorf("parse %s: binding: %w", path, err)
		}
		fn.bindings = append(fn.bindings, b)
		// Any string property may hold %NAME% expressions; collect them from the raw binding.
		for _, m := range settingRef.FindAllStringSubmatch(string(r), -1) {
			fn.refs = append(fn.refs, m[1])
		}
	}
	if len(raw.Retry) > 0 {
		if err := json.Unmarshal(raw.Retry, &fn.retry); err != nil {
			return fn, fmt.Errorf("parse %s: retry: %w", path, err)
		}
	}
	return fn, nil
}

// seed is the batch behaviour the seed product defaults to, as config applies it, and the defaults of
// our own settings that Bicep repeats.
type seed struct {
	batchSize         int
	batchTimeout      time.Duration
	reconcileSchedule string
}

// seedDefaults reads the defaults from config itself, so that changing them there without changing
// host.json and Bicep fails this test. Load applies every default before it validates, so the
// validation errors an empty environment produces do not matter here.
func seedDefaults() seed {
	c, _ := config.Load(func(string) (string, bool) { return "", false })
	return seed{batchSize: c.EventHub.BatchSize, batchTimeout: c.EventHub.BatchTimeout, reconcileSchedule: c.ReconcileSchedule}
}

// check returns every disagreement between the deployment files, the settings config reads and the
// seed defaults, sorted. Each problem names the file and the setting.
func check(in inputs, names []string, s seed) []string {
	var p []string
	p = append(p, settingProblems(in, names)...)
	p = append(p, bindingReferenceProblems(in)...)
	p = append(p, batchProblems(in, s)...)
	p = append(p, functionShapeProblems(in.functions)...)
	p = append(p, timerProblems(in, s)...)
	p = append(p, hostProblems(in.host)...)
	slices.Sort(p)
	return p
}

// settingProblems checks that every setting config reads is in both sources unless listed as optional
// for that source, and that the optional list itself is current.
func settingProblems(in inputs, names []string) []string {
	var p []string
	sources := []struct {
		name string
		flag int
		has  func(string) bool
	}{
		{localSource, fromLocal, func(n string) bool { _, ok := in.local.Values[n]; return ok }},
		{bicepSource, fromBicep, func(n string) bool { _, ok := in.bicep.settings[n]; return ok }},
	}
	opt := map[string]optionalSetting{}
	for _, o := range optional {
		opt[o.name] = o
		if !slices.Contains(names, o.name) {
			p = append(p, fmt.Sprintf("%s: listed as optional but config.Names() does not read it", o.name))
		}
	}
	for _, n := range names {
		for _, src := range sources {
			absentOK := opt[n].absent&src.flag != 0
			switch has := src.has(n); {
			case !has && !absentOK:
				p = append(p, fmt.Sprintf("%s: not in %s", n, src.name))
			case has && absentOK:
				p = append(p, fmt.Sprintf("%s: in %s but listed as optional there (%s)", n, src.name, opt[n].reason))
			}
		}
	}
	if got := in.local.Values["FUNCTIONS_WORKER_RUNTIME"]; got != "custom" {
		p = append(p, fmt.Sprintf("FUNCTIONS_WORKER_RUNTIME: %s has %q, want custom", localSource, got))
	}
	if in.local.IsEncrypted {
		p = append(p, fmt.Sprintf("%s: IsEncrypted is true; the example must be plain text", localSource))
	}
	for _, n := range bicepForbidden {
		if _, ok := in.bicep.settings[n]; ok {
			p = append(p, fmt.Sprintf("%s: in %s; Flex Consumption takes the runtime from functionAppConfig", n, bicepSource))
		}
	}
	return p
}

// bindingReferenceProblems checks that every %NAME% and connection in a function.json resolves in both
// sources. A connection resolves by its own name (a connection string) or by the identity-based
// NAME__fullyQualifiedNamespace.
func bindingReferenceProblems(in inputs) []string {
	sources := []struct {
		name string
		has  func(string) bool
	}{
		{localSource, func(n string) bool { _, ok := in.local.Values[n]; return ok }},
		{bicepSource, func(n string) bool { _, ok := in.bicep.settings[n]; return ok }},
	}
	var p []string
	for _, fn := range in.functions {
		for _, src := range sources {
			for _, ref := range fn.refs {
				if !src.has(ref) {
					p = append(p, fmt.Sprintf("%s: %%%s%% is not provided by %s", fn.path, ref, src.name))
				}
			}
			for _, b := range fn.bindings {
				if c := b.Connection; c != "" && !src.has(c) && !src.has(c+"__fullyQualifiedNamespace") {
					p = append(p, fmt.Sprintf("%s: connection %s is not provided by %s (neither %s nor %s__fullyQualifiedNamespace)",
						fn.path, c, src.name, c, c))
				}
			}
		}
	}
	return p
}

// batchProblems checks host.json's Event Hubs batch settings and Bicep's per-app overrides against the
// seed defaults.
func batchProblems(in inputs, s seed) []string {
	var p []string
	eh := in.host.Extensions.EventHubs
	if eh.MaxEventBatchSize != s.batchSize {
		p = append(p, fmt.Sprintf("host.json: extensions.eventHubs.maxEventBatchSize is %d, want the seed default %d (CONNECTOR_ON_DEMAND_V2_BATCH_SIZE)",
			eh.MaxEventBatchSize, s.batchSize))
	}
	// maxWaitTime only applies when minEventBatchSize > 1: the trigger then waits up to maxWaitTime to
	// fill a batch, which is the seed's "batch size or timeout, whichever first".
	if eh.MinEventBatchSize <= 1 || eh.MinEventBatchSize > eh.MaxEventBatchSize {
		p = append(p, fmt.Sprintf("host.json: extensions.eventHubs.minEventBatchSize is %d, want 2..maxEventBatchSize so that maxWaitTime applies",
			eh.MinEventBatchSize))
	}
	if d, err := parseTimeSpan(eh.MaxWaitTime); err != nil || d != s.batchTimeout {
		p = append(p, fmt.Sprintf("host.json: extensions.eventHubs.maxWaitTime is %q, want the seed default %v (CONNECTOR_ON_DEMAND_V2_BATCH_TIMEOUT_MS)",
			eh.MaxWaitTime, s.batchTimeout))
	}
	overrides := []struct {
		param, want string
		settings    []string
	}{
		{"batchSize", strconv.Itoa(s.batchSize), []string{
			"CONNECTOR_ON_DEMAND_V2_BATCH_SIZE",
			"AzureFunctionsJobHost__extensions__eventHubs__maxEventBatchSize",
			"AzureFunctionsJobHost__extensions__eventHubs__minEventBatchSize",
		}},
		{"batchTimeoutMs", strconv.FormatInt(s.batchTimeout.Milliseconds(), 10), []string{
			"CONNECTOR_ON_DEMAND_V2_BATCH_TIMEOUT_MS",
			"AzureFunctionsJobHost__extensions__eventHubs__maxWaitTime",
		}},
	}
	for _, o := range overrides {
		if got, ok := in.bicep.params[o.param]; !ok || got != o.want {
			p = append(p, fmt.Sprintf("%s: param %s defaults to %q, want the seed default %s", bicepPath, o.param, got, o.want))
		}
		for _, name := range o.settings {
			value, ok := in.bicep.settings[name]
			if !ok {
				p = append(p, fmt.Sprintf("%s: not in %s", name, bicepSource))
				continue
			}
			if !regexp.MustCompile(`\b` + o.param + `\b`).MatchString(value) {
				p = append(p, fmt.Sprintf("%s: %s value %q does not use param %s", name, bicepSource, value, o.param))
			}
		}
	}
	return p
}

// parseTimeSpan parses the hh:mm:ss[.fff] form of a .NET TimeSpan.
func parseTimeSpan(s string) (time.Duration, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return 0, fmt.Errorf("parse TimeSpan %q: want hh:mm:ss", s)
	}
	h, errH := strconv.Atoi(parts[0])
	m, errM := strconv.Atoi(parts[1])
	sec, errS := strconv.ParseFloat(parts[2], 64)
	if errH != nil || errM != nil || errS != nil {
		return 0, fmt.Errorf("parse TimeSpan %q: want hh:mm:ss", s)
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec*float64(time.Second)), nil
}

// wantBinding is a binding the handler depends on; empty fields are not checked.
type wantBinding struct {
	binding
	methods string // comma list, lower case
}

// wantFunctions are the functions the handler serves and the bindings its routes rely on.
var wantFunctions = map[string][]wantBinding{
	"OnDemandSync": {
		{binding: binding{Type: "eventHubTrigger", Name: "events", Direction: "in", Cardinality: "many", DataType: "string"}},
		{binding: binding{Type: "eventHub", Name: "failures", Direction: "out"}},
	},
	"Sync": {
		{binding: binding{Type: "httpTrigger", Direction: "in", AuthLevel: "function", Route: "sync"}, methods: "post"},
		{binding: binding{Type: "http", Direction: "out"}},
	},
	"Tasks": {
		{binding: binding{Type: "httpTrigger", Direction: "in", AuthLevel: "function", Route: "tasks/{id?}"}, methods: "get"},
		{binding: binding{Type: "http", Direction: "out"}},
	},
	"Reconcile": {
		{binding: binding{Type: "timerTrigger", Name: "timer", Direction: "in"}},
	},
	"ReconcileNow": {
		{binding: binding{Type: "httpTrigger", Direction: "in", AuthLevel: "function", Route: "reconcile"}, methods: "post"},
		{binding: binding{Type: "http", Direction: "out"}},
	},
}

// reconcileSetting is the app setting that holds the Reconcile timer's schedule.
const reconcileSetting = "CONNECTOR_ON_DEMAND_V2_RECONCILE_SCHEDULE"

// timerProblems checks the Reconcile timer: its schedule comes from the setting (a %NAME% binding
// expression, which the timer trigger resolves: TimerSchedule.Create calls
// INameResolver.ResolveWholeString; https://learn.microsoft.com/azure/azure-functions/functions-bindings-timer#configuration),
// it does not run on start-up (every scale-out would run it) and keeps the schedule monitor (which
// makes IsPastDue and ScheduleStatus meaningful), and the default config applies is the one Bicep
// and the local example set.
func timerProblems(in inputs, s seed) []string {
	var p []string
	for _, fn := range in.functions {
		for _, b := range fn.bindings {
			if !strings.EqualFold(b.Type, "timerTrigger") {
				continue
			}
			if want := "%" + reconcileSetting + "%"; b.Schedule != want {
				p = append(p, fmt.Sprintf("%s: timerTrigger schedule is %q, want %q", fn.path, b.Schedule, want))
			}
			if b.RunOnStartup == nil || *b.RunOnStartup {
				p = append(p, fmt.Sprintf("%s: timerTrigger runOnStartup must be false, and written: true runs it on every start and scale-out", fn.path))
			}
			if b.UseMonitor != nil && !*b.UseMonitor {
				p = append(p, fmt.Sprintf("%s: timerTrigger useMonitor is false; without the monitor IsPastDue and ScheduleStatus mean nothing", fn.path))
			}
		}
	}
	if got := in.bicep.params["reconcileSchedule"]; got != "'"+s.reconcileSchedule+"'" {
		p = append(p, fmt.Sprintf("%s: param reconcileSchedule defaults to %s, want '%s' (config's default)", bicepPath, got, s.reconcileSchedule))
	}
	if got, ok := in.bicep.settings[reconcileSetting]; ok && got != "reconcileSchedule" {
		p = append(p, fmt.Sprintf("%s: %s value %q does not use param reconcileSchedule", reconcileSetting, bicepSource, got))
	}
	if got, ok := in.local.Values[reconcileSetting]; ok && got != s.reconcileSchedule {
		p = append(p, fmt.Sprintf("%s: %s has %q, want config's default %q", reconcileSetting, localSource, got, s.reconcileSchedule))
	}
	return p
}

// functionShapeProblems checks that each function the handler serves exists with the bindings it
// expects, and that the Event Hubs trigger has a retry policy (systemic failures rely on it).
func functionShapeProblems(fns []function) []string {
	var p []string
	byName := map[string]function{}
	for _, fn := range fns {
		byName[fn.name] = fn
	}
	for name, wants := range wantFunctions {
		fn, ok := byName[name]
		if !ok {
			p = append(p, fmt.Sprintf("functions/%s/function.json: missing", name))
			continue
		}
		for _, w := range wants {
			if !slices.ContainsFunc(fn.bindings, w.matches) {
				p = append(p, fmt.Sprintf("%s: no binding %+v methods=%q", fn.path, w.binding, w.methods))
			}
		}
	}
	if fn, ok := byName["OnDemandSync"]; ok && (fn.retry == nil || fn.retry.Strategy == "" || fn.retry.MaxRetryCount < 1) {
		p = append(p, fmt.Sprintf("%s: no retry policy; systemic failures (HTTP 500) rely on the host re-delivering the batch", fn.path))
	}
	return p
}

func (w wantBinding) matches(b binding) bool {
	eq := func(want, got string) bool { return want == "" || strings.EqualFold(want, got) }
	methods := strings.ToLower(strings.Join(b.Methods, ","))
	return eq(w.Type, b.Type) && eq(w.Name, b.Name) && eq(w.Direction, b.Direction) &&
		eq(w.Cardinality, b.Cardinality) && eq(w.DataType, b.DataType) && eq(w.AuthLevel, b.AuthLevel) &&
		eq(w.Route, b.Route) && (w.methods == "" || w.methods == methods)
}

// hostProblems checks the host.json settings the packaging and the handler's routes rely on.
func hostProblems(h hostFile) []string {
	var p []string
	if got := h.CustomHandler.Description.DefaultExecutablePath; got != "handler" {
		p = append(p, fmt.Sprintf("host.json: customHandler.description.defaultExecutablePath is %q, want handler (the binary make package builds)", got))
	}
	if !h.CustomHandler.EnableForwardingHttpRequest {
		p = append(p, "host.json: customHandler.enableForwardingHttpRequest is false; the handler serves the original /api/... paths")
	}
	// The handler stops syncing at app.SyncTimeout and needs the rest to record and answer.
	if d, err := parseTimeSpan(h.FunctionTimeout); err != nil || d < app.SyncTimeout+30*time.Second {
		p = append(p, fmt.Sprintf("host.json: functionTimeout %q must be at least 30s over the handler's sync timeout (%s)", h.FunctionTimeout, app.SyncTimeout))
	}
	if h.ExtensionBundle.ID != "Microsoft.Azure.Functions.ExtensionBundle" || h.ExtensionBundle.Version != "[4.*, 5.0.0)" {
		p = append(p, fmt.Sprintf("host.json: extensionBundle is %s %s, want Microsoft.Azure.Functions.ExtensionBundle [4.*, 5.0.0)",
			h.ExtensionBundle.ID, h.ExtensionBundle.Version))
	}
	return p
}

func TestDeploymentFilesAgree(t *testing.T) {
	in, err := parse(loadTree(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, problem := range check(in, config.Names(), seedDefaults()) {
		t.Error(problem)
	}
}

// TestChecksCatchOneSidedChanges feeds mutated copies of the real files to the checks: a change made in
// one place only must be reported, naming exactly what is wrong.
func TestChecksCatchOneSidedChanges(t *testing.T) {
	const hubName = "CONNECTOR_ON_DEMAND_V2_AZURE_EVENT_HUB_NAME"
	tests := []struct {
		name           string
		path, old, new string
		want           []string
	}{
		{
			name: "setting renamed in local settings only",
			path: localPath, old: `"CONNECTOR_NAME":`, new: `"CONNECTOR_NAMES":`,
			want: []string{"CONNECTOR_NAME: not in local.settings.json.example"},
		},
		{
			name: "setting renamed in Bicep only",
			path: bicepPath, old: `name: 'CONNECTOR_SNOWFLAKE_GRANT_UPDATES'`, new: `name: 'CONNECTOR_SNOWFLAKE_GRANT_UPDATE'`,
			want: []string{"CONNECTOR_SNOWFLAKE_GRANT_UPDATES: not in infra/main.bicep app settings"},
		},
		{
			name: "hub name setting renamed in local settings only",
			path: localPath, old: `"` + hubName + `":`, new: `"EVENT_HUB_NAME":`,
			want: []string{
				hubName + ": not in local.settings.json.example",
				"functions/OnDemandSync/function.json: %" + hubName + "% is not provided by local.settings.json.example",
			},
		},
		{
			name: "expression renamed in function.json only",
			path: "functions/OnDemandSync/function.json", old: "%" + hubName + "%", new: "%CONNECTOR_ON_DEMAND_V2_AZURE_HUB_NAME%",
			want: []string{
				"functions/OnDemandSync/function.json: %CONNECTOR_ON_DEMAND_V2_AZURE_HUB_NAME% is not provided by infra/main.bicep app settings",
				"functions/OnDemandSync/function.json: %CONNECTOR_ON_DEMAND_V2_AZURE_HUB_NAME% is not provided by local.settings.json.example",
			},
		},
		{
			name: "identity-based connection dropped from Bicep",
			path: bicepPath,
			old:  `name: 'CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_CONNECTION_STRING__fullyQualifiedNamespace'`,
			new:  `name: 'CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_NAMESPACE'`,
			want: []string{
				"CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_CONNECTION_STRING__fullyQualifiedNamespace: not in infra/main.bicep app settings",
				"functions/OnDemandSync/function.json: connection CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_CONNECTION_STRING is not provided by infra/main.bicep app settings" +
					" (neither CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_CONNECTION_STRING nor CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_CONNECTION_STRING__fullyQualifiedNamespace)",
				"functions/Reconcile/function.json: connection CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_CONNECTION_STRING is not provided by infra/main.bicep app settings" +
					" (neither CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_CONNECTION_STRING nor CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_CONNECTION_STRING__fullyQualifiedNamespace)",
			},
		},
		{
			name: "optional setting set after all",
			path: bicepPath, old: `name: 'CONNECTOR_LOG_LEVEL'`, new: `name: 'AzureWebJobsStorage'`,
			want: []string{
				"AzureWebJobsStorage: in infra/main.bicep app settings but listed as optional there (the host uses its identity (AzureWebJobsStorage__accountName); shared keys are off)",
				"CONNECTOR_LOG_LEVEL: not in infra/main.bicep app settings",
			},
		},
		{
			name: "host.json batch size changed",
			path: hostPath, old: `"maxEventBatchSize": 50`, new: `"maxEventBatchSize": 100`,
			want: []string{"host.json: extensions.eventHubs.maxEventBatchSize is 100, want the seed default 50 (CONNECTOR_ON_DEMAND_V2_BATCH_SIZE)"},
		},
		{
			name: "host.json wait time changed",
			path: hostPath, old: `"maxWaitTime": "00:00:05"`, new: `"maxWaitTime": "00:01:00"`,
			want: []string{`host.json: extensions.eventHubs.maxWaitTime is "00:01:00", want the seed default 5s (CONNECTOR_ON_DEMAND_V2_BATCH_TIMEOUT_MS)`},
		},
		{
			name: "min batch size 1 makes maxWaitTime inert",
			path: hostPath, old: `"minEventBatchSize": 50`, new: `"minEventBatchSize": 1`,
			want: []string{"host.json: extensions.eventHubs.minEventBatchSize is 1, want 2..maxEventBatchSize so that maxWaitTime applies"},
		},
		{
			name: "Bicep batch default changed",
			path: bicepPath, old: "param batchTimeoutMs int = 5000", new: "param batchTimeoutMs int = 60000",
			want: []string{`infra/main.bicep: param batchTimeoutMs defaults to "60000", want the seed default 5000`},
		},
		{
			name: "Bicep override no longer mapped from the param",
			path: bicepPath,
			old:  `{ name: 'AzureFunctionsJobHost__extensions__eventHubs__maxEventBatchSize', value: string(batchSize) }`,
			new:  `{ name: 'AzureFunctionsJobHost__extensions__eventHubs__maxEventBatchSize', value: '50' }`,
			want: []string{`AzureFunctionsJobHost__extensions__eventHubs__maxEventBatchSize: infra/main.bicep app settings value "'50'" does not use param batchSize`},
		},
		{
			name: "trigger binding renamed",
			path: "functions/OnDemandSync/function.json", old: `"name": "events"`, new: `"name": "messages"`,
			want: []string{`functions/OnDemandSync/function.json: no binding {Type:eventHubTrigger Name:events Direction:in Cardinality:many DataType:string Connection: AuthLevel: Methods:[] Route: Schedule: RunOnStartup:<nil> UseMonitor:<nil>} methods=""`},
		},
		{
			name: "retry policy removed",
			path: "functions/OnDemandSync/function.json", old: `"strategy": "exponentialBackoff"`, new: `"strategy": ""`,
			want: []string{"functions/OnDemandSync/function.json: no retry policy; systemic failures (HTTP 500) rely on the host re-delivering the batch"},
		},
		{
			name: "timer schedule written into function.json",
			path: "functions/Reconcile/function.json", old: "%" + reconcileSetting + "%", new: "0 */5 * * * *",
			want: []string{`functions/Reconcile/function.json: timerTrigger schedule is "0 */5 * * * *", want "%` + reconcileSetting + `%"`},
		},
		{
			name: "timer runs on start-up",
			path: "functions/Reconcile/function.json", old: `"runOnStartup": false`, new: `"runOnStartup": true`,
			want: []string{"functions/Reconcile/function.json: timerTrigger runOnStartup must be false, and written: true runs it on every start and scale-out"},
		},
		{
			name: "timer without its monitor",
			path: "functions/Reconcile/function.json", old: `"runOnStartup": false`, new: `"runOnStartup": false, "useMonitor": false`,
			want: []string{"functions/Reconcile/function.json: timerTrigger useMonitor is false; without the monitor IsPastDue and ScheduleStatus mean nothing"},
		},
		{
			name: "timer binding renamed",
			path: "functions/Reconcile/function.json", old: `"name": "timer"`, new: `"name": "myTimer"`,
			want: []string{`functions/Reconcile/function.json: no binding {Type:timerTrigger Name:timer Direction:in Cardinality: DataType: Connection: AuthLevel: Methods:[] Route: Schedule: RunOnStartup:<nil> UseMonitor:<nil>} methods=""`},
		},
		{
			name: "reconcile API open to anyone",
			path: "functions/ReconcileNow/function.json", old: `"authLevel": "function"`, new: `"authLevel": "anonymous"`,
			want: []string{`functions/ReconcileNow/function.json: no binding {Type:httpTrigger Name: Direction:in Cardinality: DataType: Connection: AuthLevel:function Methods:[] Route:reconcile Schedule: RunOnStartup:<nil> UseMonitor:<nil>} methods="post"`},
		},
		{
			name: "schedule setting missing from local settings",
			path: localPath, old: `"` + reconcileSetting + `":`, new: `"RECONCILE_SCHEDULE":`,
			want: []string{
				reconcileSetting + ": not in local.settings.json.example",
				"functions/Reconcile/function.json: %" + reconcileSetting + "% is not provided by local.settings.json.example",
			},
		},
		{
			name: "Bicep schedule default changed",
			path: bicepPath, old: `param reconcileSchedule string = '0 */5 * * * *'`, new: `param reconcileSchedule string = '0 0 * * * *'`,
			want: []string{`infra/main.bicep: param reconcileSchedule defaults to '0 0 * * * *', want '0 */5 * * * *' (config's default)`},
		},
		{
			name: "Bicep schedule setting hard-coded",
			path: bicepPath, old: `value: reconcileSchedule }`, new: `value: '0 */5 * * * *' }`,
			want: []string{reconcileSetting + `: infra/main.bicep app settings value "'0 */5 * * * *'" does not use param reconcileSchedule`},
		},
		{
			name: "local schedule differs from the default",
			path: localPath, old: `"` + reconcileSetting + `": "0 */5 * * * *"`, new: `"` + reconcileSetting + `": "0 */1 * * * *"`,
			want: []string{reconcileSetting + `: local.settings.json.example has "0 */1 * * * *", want config's default "0 */5 * * * *"`},
		},
		{
			name: "Flex-incompatible setting added to Bicep",
			path: bicepPath, old: `name: 'CONNECTOR_NAME'`, new: `name: 'FUNCTIONS_WORKER_RUNTIME'`,
			want: []string{
				"CONNECTOR_NAME: not in infra/main.bicep app settings",
				"FUNCTIONS_WORKER_RUNTIME: in infra/main.bicep app settings; Flex Consumption takes the runtime from functionAppConfig",
			},
		},
	}
	base := loadTree(t)
	names, defaults := config.Names(), seedDefaults()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mutated, err := base.with(tt.path, tt.old, tt.new)
			if err != nil {
				t.Fatal(err)
			}
			in, err := parse(mutated)
			if err != nil {
				t.Fatal(err)
			}
			got := check(in, names, defaults)
			if !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

func TestParseTimeSpan(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"00:00:05", 5 * time.Second, true},
		{"00:01:30.250", 90*time.Second + 250*time.Millisecond, true},
		{"01:00:00", time.Hour, true},
		{"5s", 0, false},
		{"00:05", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseTimeSpan(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("parseTimeSpan(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}

// A setting written over several lines would be invisible to the lenient reader; parsing must refuse
// it rather than report the setting missing or, worse, skip it.
func TestParseBicepRejectsEntriesItCannotRead(t *testing.T) {
	mutated, err := loadTree(t).with(bicepPath,
		`{ name: 'CONNECTOR_NAME', value: connectorName }`,
		"{\n    name: 'CONNECTOR_NAME'\n    value: connectorName\n  }")
	if err != nil {
		t.Fatal(err)
	}
	_, err = parse(mutated)
	if err == nil || !strings.Contains(err.Error(), "one-line") {
		t.Errorf("parse = %v, want an error about one-line entries", err)
	}
}
