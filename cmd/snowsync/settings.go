package main

import (
	"fmt"
	"strings"

	"github.com/snowsync/snowsync/internal/config"
	"github.com/snowsync/snowsync/internal/publish"
	"github.com/snowsync/snowsync/internal/secret"
)

// need says which groups of settings a command uses.
type need int

const (
	// needAudit is the audit table: CONNECTOR_ON_DEMAND_V2_AUDIT_* and AzureWebJobsStorage.
	needAudit need = 1 << iota
	// needSnowflake is the Snowflake connection and the policy source, which plan uses together.
	needSnowflake
)

// group is a set of settings, by name prefix, that only some commands use, and the placeholders
// that stand in for it in the others.
type group struct {
	need         need
	prefixes     []string
	placeholders map[string]string
}

// groups are the settings config.Load requires that some command does not use. The placeholders are
// never connected to: a command that does not need a group never opens what the group configures.
var groups = []group{
	{needAudit, []string{"CONNECTOR_ON_DEMAND_V2_AUDIT_", "AzureWebJobsStorage"},
		map[string]string{"CONNECTOR_ON_DEMAND_V2_AUDIT_STORAGE_CONNECTION": "UseDevelopmentStorage=true"}},
	{needSnowflake, []string{"CONNECTOR_SNOWFLAKE_JDBC_", "CONNECTOR_SNOWFLAKE_PRIVATE_KEY"},
		map[string]string{
			"CONNECTOR_SNOWFLAKE_JDBC_URL":      "jdbc:snowflake://unused.invalid/",
			"CONNECTOR_SNOWFLAKE_JDBC_USERNAME": "unused",
			"CONNECTOR_SNOWFLAKE_JDBC_PASSWORD": "unused",
		}},
	{needSnowflake, []string{"CONNECTOR_POLICY_", "CONNECTOR_RANGER_"},
		map[string]string{"CONNECTOR_POLICY_FILE": "unused.json"}},
}

// fixed are settings the CLI never uses whatever the command, with the value it loads them with.
// The CLI serves nothing (the port), and the two *_ENABLED switches turn the handler's trigger and
// output binding on and off: the CLI checks the hub settings a command uses itself (syncHub,
// failureHub), naming the command, whatever the switches say.
var fixed = map[string]string{
	"FUNCTIONS_CUSTOMHANDLER_PORT":                     "1",
	"CONNECTOR_ON_DEMAND_V2_AZURE_EVENT_HUB_ENABLED":   "false",
	"CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_ENABLED": "false",
}

// loadConfig reads the settings with config.Load, checking only the groups in n. The settings of
// the other groups are hidden from config.Load and replaced by placeholders, so that a setting the
// command does not use, missing or half-written, never stops it; errors name the setting to fix.
func loadConfig(getenv func(string) (string, bool), n need) (config.Config, error) {
	cfg, err := config.Load(func(name string) (string, bool) {
		if v, ok := fixed[name]; ok {
			return v, true
		}
		if name == syncHubName || name == failureHubName {
			if v, ok := getenv(name); ok && strings.TrimSpace(v) != "" {
				return v, true
			}
			return unsetHubName, true
		}
		for _, g := range groups {
			if n&g.need != 0 || !hasAnyPrefix(name, g.prefixes) {
				continue
			}
			v, ok := g.placeholders[name]
			return v, ok
		}
		return getenv(name)
	})
	if err != nil {
		return config.Config{}, fmt.Errorf("settings:\n%w", err)
	}
	for _, name := range []*string{&cfg.EventHub.Name, &cfg.FailureHub.Name} {
		if *name == unsetHubName {
			*name = ""
		}
	}
	return cfg, nil
}

// unsetHubName stands in for a hub name the environment does not set. The handler needs both names
// (function.json refers to them), but the CLI may find a hub's name in its connection string's
// EntityPath instead (hubFrom checks), and most commands use no hub at all.
const unsetHubName = "\x00unset"

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// Settings of the two hubs.
const (
	syncHubName       = "CONNECTOR_ON_DEMAND_V2_AZURE_EVENT_HUB_NAME"
	syncHubConnection = "CONNECTOR_ON_DEMAND_V2_AZURE_CONNECTION_STRING"
	failureHubName    = "CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_NAME"
	failureHubConn    = "CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_CONNECTION_STRING"

	// syncHubSettings and failureHubSettings name a hub's settings in errors about the hub.
	syncHubSettings    = "settings " + syncHubName + ", " + syncHubConnection
	failureHubSettings = "settings " + failureHubName + ", " + failureHubConn
)

// syncHub is where sync requests are published, from the trigger's settings.
func syncHub(cfg config.Config) (publish.Hub, error) {
	return hubFrom(cfg.EventHub.Name, cfg.EventHub.Connection, cfg.EventHub.Namespace, syncHubName, syncHubConnection)
}

// failureHub is where failure events are read, from the failure hub's settings.
func failureHub(cfg config.Config) (publish.Hub, error) {
	return hubFrom(cfg.FailureHub.Name, cfg.FailureHub.Connection, cfg.FailureHub.Namespace, failureHubName, failureHubConn)
}

// hubFrom checks that a hub is located by its settings: a connection string or a namespace. The name
// may come from the connection string's EntityPath instead, which the publish package checks.
func hubFrom(name string, conn secret.String, namespace, nameSetting, connSetting string) (publish.Hub, error) {
	hub := publish.Hub{Name: name, ConnectionString: conn.Reveal(), Namespace: namespace}
	switch {
	case hub.ConnectionString == "" && namespace == "":
		return hub, fmt.Errorf("setting %s is required (a connection string), or %s__fullyQualifiedNamespace for Entra ID", connSetting, connSetting)
	case name == "" && hub.ConnectionString == "":
		return hub, fmt.Errorf("setting %s is required", nameSetting)
	}
	return hub, nil
}
