// Package publish moves event bodies in and out of Azure Event Hubs for the operator CLI: a Publisher
// sends sync requests to the sync hub, a FailureReader reads failure events back from the failure hub
// over a range of enqueued times.
//
// Producer and HubReader implement them over azeventhubs/v2; Memory implements both in memory, for
// tests and anything else that has no Event Hub to talk to.
package publish

import (
	"context"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

// Publisher sends event bodies to an Event Hub.
type Publisher interface {
	// Publish sends bodies in order, each as one event whose body is exactly the given bytes, in as
	// few batches as fit. It returns len(bodies) and nil once every event was accepted. On error,
	// sent < len(bodies) is how many bodies, from the first, the hub accepted: bodies[sent] is the
	// first not known to be sent (it may have been, when an acknowledgement was lost).
	Publish(ctx context.Context, bodies [][]byte) (sent int, err error)
}

// Received is one event read from a hub.
type Received struct {
	Body           []byte
	EnqueuedTime   time.Time
	Partition      string
	SequenceNumber int64
}

// FailureReader reads the events of a hub over a range of enqueued times.
type FailureReader interface {
	// Read returns the events of every partition enqueued at or after since and before until,
	// ordered by enqueued time, then partition and sequence number. A zero until means "up to the
	// last event enqueued when Read started": Read never waits for events that are still to come.
	Read(ctx context.Context, since, until time.Time) ([]Received, error)
}

// Hub locates an Event Hub: by ConnectionString, or by Namespace with Credential (Entra ID).
type Hub struct {
	// Name is the Event Hub. It may be empty when ConnectionString carries an EntityPath.
	Name string
	// ConnectionString is a Shared Access Signature connection string; it wins over Namespace.
	ConnectionString string
	// Namespace is the fully qualified namespace, e.g. "myns.servicebus.windows.net".
	Namespace  string
	Credential azcore.TokenCredential
}
