package main

import (
	"fmt"

	"github.com/snowsync/snowsync/internal/config"
	"github.com/snowsync/snowsync/internal/publish"
	"github.com/snowsync/snowsync/internal/secret"
)

// loadSettings reads one section of the settings with load (config.LoadAudit, config.LoadHubs,
// config.LoadSync), so that a command reads and checks only the settings it uses: a setting of
// another section, missing or half-written, never stops it. Errors name the setting to fix.
func loadSettings[T any](getenv func(string) (string, bool), load func(func(string) (string, bool)) (T, error)) (T, error) {
	v, err := load(getenv)
	if err != nil {
		return v, fmt.Errorf("settings:\n%w", err)
	}
	return v, nil
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
func syncHub(h config.Hubs) (publish.Hub, error) {
	return hubFrom(h.EventHub.Name, h.EventHub.Connection, h.EventHub.Namespace, syncHubName, syncHubConnection)
}

// failureHub is where failure events are read, from the failure hub's settings.
func failureHub(h config.Hubs) (publish.Hub, error) {
	return hubFrom(h.FailureHub.Name, h.FailureHub.Connection, h.FailureHub.Namespace, failureHubName, failureHubConn)
}

// hubFrom checks that a hub is located by its settings: a connection string or a namespace. The name
// may come from the connection string's EntityPath instead, which the publish package checks. The
// handler's *_ENABLED switches do not matter here: the CLI checks the hubs a command uses, naming the
// settings, whatever they say.
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
