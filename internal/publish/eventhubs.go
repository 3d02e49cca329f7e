package publish

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azeventhubs/v2"
	"golang.org/x/sync/errgroup"
)

// entityName returns the hub name to give the SDK's connection-string constructors, which refuse a
// name when the connection string names the hub itself (EntityPath). The SDK's parse errors never
// quote the connection string, so they are safe to wrap.
func (h Hub) entityName() (string, error) {
	props, err := azeventhubs.ParseConnectionString(h.ConnectionString)
	if err != nil {
		return "", fmt.Errorf("connection string: %w", err)
	}
	switch {
	case props.EntityPath == nil:
		if h.Name == "" {
			return "", errors.New("no event hub name: the connection string has no EntityPath")
		}
		return h.Name, nil
	case h.Name != "" && h.Name != *props.EntityPath:
		return "", fmt.Errorf("the connection string's EntityPath %q is not the event hub %q", *props.EntityPath, h.Name)
	}
	return "", nil
}

// check reports a Hub that cannot be connected to.
func (h Hub) check() error {
	switch {
	case h.ConnectionString != "":
		return nil
	case h.Namespace == "":
		return errors.New("neither a connection string nor a namespace is set")
	case h.Credential == nil:
		return errors.New("a namespace without a credential")
	case h.Name == "":
		return errors.New("no event hub name")
	}
	return nil
}

// Producer is the Publisher over an azeventhubs ProducerClient. Events go to partitions of the
// service's choosing (no partition key), as the sync hub's events need no order.
type Producer struct {
	client *azeventhubs.ProducerClient
}

// NewProducer returns a Producer for hub. It does not connect: the first Publish does.
func NewProducer(hub Hub) (*Producer, error) {
	if err := hub.check(); err != nil {
		return nil, fmt.Errorf("publish: new producer: %w", err)
	}
	var (
		client *azeventhubs.ProducerClient
		err    error
	)
	if hub.ConnectionString != "" {
		var name string
		if name, err = hub.entityName(); err == nil {
			client, err = azeventhubs.NewProducerClientFromConnectionString(hub.ConnectionString, name, nil)
		}
	} else {
		client, err = azeventhubs.NewProducerClient(hub.Namespace, hub.Name, hub.Credential, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("publish: new producer: %w", err)
	}
	return &Producer{client: client}, nil
}

// Publish implements Publisher with the producer's batch API: events are added to a batch until it
// is full (the hub's maximum message size), which is then sent and replaced by a new one.
func (p *Producer) Publish(ctx context.Context, bodies [][]byte) error {
	sent := 0
	batch, err := p.client.NewEventDataBatch(ctx, nil)
	if err != nil {
		return fmt.Errorf("publish: new batch: %w", err)
	}
	send := func() error {
		if err := p.client.SendEventDataBatch(ctx, batch, nil); err != nil {
			return fmt.Errorf("publish: send batch of %d events (%d of %d sent before): %w", batch.NumEvents(), sent, len(bodies), err)
		}
		sent += int(batch.NumEvents())
		return nil
	}
	for i, body := range bodies {
		ev := &azeventhubs.EventData{Body: body}
		err := batch.AddEventData(ev, nil)
		if errors.Is(err, azeventhubs.ErrEventDataTooLarge) && batch.NumEvents() > 0 {
			if err := send(); err != nil {
				return err
			}
			if batch, err = p.client.NewEventDataBatch(ctx, nil); err != nil {
				return fmt.Errorf("publish: new batch (%d of %d sent): %w", sent, len(bodies), err)
			}
			err = batch.AddEventData(ev, nil)
		}
		if err != nil {
			return fmt.Errorf("publish: event %d of %d (%d bytes; %d sent): %w", i+1, len(bodies), len(body), sent, err)
		}
	}
	if batch.NumEvents() == 0 {
		return nil
	}
	return send()
}

// Close closes the connection to the hub.
func (p *Producer) Close(ctx context.Context) error { return p.client.Close(ctx) }

// HubReaderOptions configure a HubReader. A nil *HubReaderOptions means the defaults.
type HubReaderOptions struct {
	// Idle is how long a partition may deliver nothing before Read takes it as caught up (events
	// older than the hub's retention are gone); 0 means 10 s.
	Idle time.Duration
	// Partitions bounds how many partitions are read at once; 0 means 8.
	Partitions int
}

// HubReader is the FailureReader over an azeventhubs ConsumerClient. It reads every partition from
// an enqueued-time start position, without checkpoints, so it moves no consumer's position.
type HubReader struct {
	client *azeventhubs.ConsumerClient
	opts   HubReaderOptions
}

// NewHubReader returns a HubReader for hub as consumerGroup ("" means $Default). It does not
// connect: Read does.
func NewHubReader(hub Hub, consumerGroup string, opts *HubReaderOptions) (*HubReader, error) {
	if err := hub.check(); err != nil {
		return nil, fmt.Errorf("publish: new hub reader: %w", err)
	}
	o := HubReaderOptions{}
	if opts != nil {
		o = *opts
	}
	o.Idle = cmp.Or(o.Idle, 10*time.Second)
	o.Partitions = cmp.Or(o.Partitions, 8)
	consumerGroup = cmp.Or(consumerGroup, azeventhubs.DefaultConsumerGroup)
	var (
		client *azeventhubs.ConsumerClient
		err    error
	)
	if hub.ConnectionString != "" {
		var name string
		if name, err = hub.entityName(); err == nil {
			client, err = azeventhubs.NewConsumerClientFromConnectionString(hub.ConnectionString, name, consumerGroup, nil)
		}
	} else {
		client, err = azeventhubs.NewConsumerClient(hub.Namespace, hub.Name, consumerGroup, hub.Credential, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("publish: new hub reader: %w", err)
	}
	return &HubReader{client: client, opts: o}, nil
}

// Read implements FailureReader. Each partition is read up to the last event it held when Read
// started, or to the first event enqueued at or after until, whichever comes first.
func (r *HubReader) Read(ctx context.Context, since, until time.Time) ([]Received, error) {
	props, err := r.client.GetEventHubProperties(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("publish: read hub properties: %w", err)
	}
	perPartition := make([][]Received, len(props.PartitionIDs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.opts.Partitions)
	for i, id := range props.PartitionIDs {
		g.Go(func() error {
			events, err := r.readPartition(gctx, id, since, until)
			if err != nil {
				return fmt.Errorf("publish: read partition %s: %w", id, err)
			}
			perPartition[i] = events
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	all := slices.Concat(perPartition...)
	sortReceived(all)
	return all, nil
}

// Receiving: ReceiveEvents returns when it has count events or its context ends, so each call is
// bounded by receiveWindow, and asks for no more events than the partition has left once that is known.
const (
	receiveCount  = 300
	receiveWindow = 2 * time.Second
)

func (r *HubReader) readPartition(ctx context.Context, id string, since, until time.Time) ([]Received, error) {
	props, err := r.client.GetPartitionProperties(ctx, id, nil)
	if err != nil {
		return nil, err
	}
	if props.IsEmpty || props.LastEnqueuedOn.Before(since) {
		return nil, nil
	}
	pc, err := r.client.NewPartitionClient(id, &azeventhubs.PartitionClientOptions{
		StartPosition: azeventhubs.StartPosition{EnqueuedTime: &since, Inclusive: true},
	})
	if err != nil {
		return nil, err
	}
	defer pc.Close(context.WithoutCancel(ctx))
	var out []Received
	count := receiveCount
	lastEvent := time.Now()
	for {
		rctx, cancel := context.WithTimeout(ctx, receiveWindow)
		events, err := pc.ReceiveEvents(rctx, count, nil)
		cancel()
		if err != nil { // ReceiveEvents reports an error only when it received nothing
			if !errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
				return nil, err
			}
			if time.Since(lastEvent) >= r.opts.Idle {
				return out, nil // what is left has expired since Read started
			}
			continue
		}
		lastEvent = time.Now()
		for _, ev := range events {
			var enqueued time.Time
			if ev.EnqueuedTime != nil {
				enqueued = *ev.EnqueuedTime
			}
			if ev.SequenceNumber > props.LastEnqueuedSequenceNumber || !until.IsZero() && !enqueued.Before(until) {
				return out, nil
			}
			out = append(out, Received{Body: ev.Body, EnqueuedTime: enqueued, Partition: id, SequenceNumber: ev.SequenceNumber})
			if ev.SequenceNumber == props.LastEnqueuedSequenceNumber {
				return out, nil
			}
		}
		// Sequence numbers of a partition are consecutive.
		count = int(min(int64(receiveCount), props.LastEnqueuedSequenceNumber-out[len(out)-1].SequenceNumber))
	}
}

// Close closes the connection to the hub.
func (r *HubReader) Close(ctx context.Context) error { return r.client.Close(ctx) }

// sortReceived orders events by enqueued time, then partition and sequence number.
func sortReceived(events []Received) {
	slices.SortStableFunc(events, func(a, b Received) int {
		return cmp.Or(a.EnqueuedTime.Compare(b.EnqueuedTime), strings.Compare(a.Partition, b.Partition),
			cmp.Compare(a.SequenceNumber, b.SequenceNumber))
	})
}
