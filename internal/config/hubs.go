package config

import (
	"time"

	"github.com/snowsync/snowsync/functions"
	"github.com/snowsync/snowsync/internal/failure"
	"github.com/snowsync/snowsync/internal/secret"
)

// Hubs are the two Event Hubs: the trigger's and the failure hub.
type Hubs struct {
	EventHub   EventHub
	FailureHub FailureHub
}

// EventHub is the trigger's side of the configuration. The Functions host reads these settings itself
// (function.json and host.json refer to them); snowsync validates them and records the hub and consumer
// group it was configured with.
type EventHub struct {
	Enabled       bool
	Name          string
	ConsumerGroup string
	// Connection is the connection string; empty with identity-based access (Namespace set).
	Connection   secret.String
	Namespace    string
	BatchSize    int
	BatchTimeout time.Duration
}

// FailureHub is where failed events go, through the function's `failures` output binding.
type FailureHub struct {
	Enabled    bool
	Name       string
	Connection secret.String
	Namespace  string
	// MaxOriginal caps the JSON-escaped original message in a failure event; a longer body is cut
	// there and kept whole in the audit store's body table (Audit.BodyTable).
	MaxOriginal int
}

// LoadHubs reads the hubs' settings alone and checks each value, but requires none of them: the CLI
// checks the hubs a command uses itself, and may find a hub's name in its connection string's
// EntityPath. Load also requires what function.json needs.
func LoadHubs(getenv func(string) (string, bool)) (Hubs, error) { return load(getenv, readHubs) }

func readHubs(r *reader) Hubs {
	return Hubs{
		EventHub: EventHub{
			Enabled:       r.boolean("CONNECTOR_ON_DEMAND_V2_AZURE_EVENT_HUB_ENABLED", true),
			Connection:    r.secret("CONNECTOR_ON_DEMAND_V2_AZURE_CONNECTION_STRING"),
			Namespace:     r.str("CONNECTOR_ON_DEMAND_V2_AZURE_CONNECTION_STRING__fullyQualifiedNamespace", ""),
			Name:          r.str("CONNECTOR_ON_DEMAND_V2_AZURE_EVENT_HUB_NAME", ""),
			ConsumerGroup: r.str("CONNECTOR_ON_DEMAND_V2_AZURE_CONSUMER_GROUP", "$Default"),
			BatchSize:     r.integer("CONNECTOR_ON_DEMAND_V2_BATCH_SIZE", functions.DefaultBatchSize, 1, 1000),
			BatchTimeout:  r.duration("CONNECTOR_ON_DEMAND_V2_BATCH_TIMEOUT_MS", 5000, 1, 600000, time.Millisecond),
		},
		FailureHub: FailureHub{
			Enabled:    r.boolean("CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_ENABLED", true),
			Connection: r.secret("CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_CONNECTION_STRING"),
			Namespace:  r.str("CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_CONNECTION_STRING__fullyQualifiedNamespace", ""),
			Name:       r.str("CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_NAME", ""),
			MaxOriginal: r.integer("CONNECTOR_ON_DEMAND_V2_FAILURE_MESSAGE_MAX_BYTES", failure.DefaultOriginalLimit,
				1<<10, failure.MaxOriginalLimit),
		},
	}
}

// require checks what the handler needs of the hubs. function.json names both hubs (%...%): the host
// cannot index OnDemandSync without the names, even with the trigger or the failure hub disabled.
// Connections are needed only when enabled.
func (h Hubs) require(r *reader) {
	r.require(h.EventHub.Name != "", "CONNECTOR_ON_DEMAND_V2_AZURE_EVENT_HUB_NAME", "(function.json's trigger names it)")
	if h.EventHub.Enabled {
		r.require(h.EventHub.Connection.IsSet() || h.EventHub.Namespace != "", "CONNECTOR_ON_DEMAND_V2_AZURE_CONNECTION_STRING",
			"(or its __fullyQualifiedNamespace form) when the event hub trigger is enabled")
	}
	r.require(h.FailureHub.Name != "", "CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_NAME", "(function.json's failures binding names it)")
	if h.FailureHub.Enabled {
		r.require(h.FailureHub.Connection.IsSet() || h.FailureHub.Namespace != "", "CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_CONNECTION_STRING",
			"(or its __fullyQualifiedNamespace form) when the failure hub is enabled")
	}
}
