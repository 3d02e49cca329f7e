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

	"github.com/snowsync/snowsync/internal/guard"
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
	// newBatch starts an empty batch; it is the client's, except in tests.
	newBatch func(ctx context.Context) (batch, error)
}

// batch is what Publish needs of an azeventhubs EventDataBatch and of sending it. It lets tests
// check the batching against a batch with a byte limit of their choosing.
type batch interface {
	// add appends an event with body; an error wrapping azeventhubs.ErrEventDataTooLarge means it
	// does not fit, and the batch is unchanged.
	add(body []byte) error
	// len is the number of events added.
	len() int
	// send sends the batch's events to the hub, all or none.
	send(ctx context.Context) error
}

// sdkBatch is a batch of the SDK's producer client.
type sdkBatch struct {
	client *azeventhubs.ProducerClient
	events *azeventhubs.EventDataBatch
}

func (b sdkBatch) add(body []byte) error {
	return b.events.AddEventData(&azeventhubs.EventData{Body: body}, nil)
}

func (b sdkBatch) len() int { return int(b.events.NumEvents()) }

func (b sdkBatch) send(ctx context.Context) error {
	return b.client.SendEventDataBatch(ctx, b.events, nil)
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
	newBatch := func(ctx context.Context) (batch, error) {
		events, err := client.NewEventDataBatch(ctx, nil)
		if err != nil {
			return nil, err
		}
		return sdkBatch{client: client, events: events}, nil
	}
	return &Producer{client: client, newBatch: newBatch}, nil
}

// Publish implements Publisher with the producer's batch API: events are added to a batch until it
// is full (the hub's maximum message size), which is then sent and replaced by a new one. sent
// counts the events of the batches the hub acknowledged; a send that fails may still have been
// delivered, so resending from sent on can duplicate events (delivery is at-least-once anyway). An
// event too large for an empty batch is an error naming its index; the batches before it are sent.
func (p *Producer) Publish(ctx context.Context, bodies [][]byte) (sent int, err error) {
	var b batch // nil until an event is to be added, and again once sent
	send := func() error {
		if err := b.send(ctx); err != nil {
			return fmt.Errorf("publish: send batch of events %d to %d: %w", sent, sent+b.len()-1, err)
		}
		sent += b.len()
		b = nil
		return nil
	}
	add := func(body []byte) (err error) {
		if b == nil {
			if b, err = p.newBatch(ctx); err != nil {
				return fmt.Errorf("new batch: %w", err)
			}
		}
		return b.add(body)
	}
	for i, body := range bodies {
		err := add(body)
		if errors.Is(err, azeventhubs.ErrEventDataTooLarge) && b.len() > 0 {
			if err := send(); err != nil {
				return sent, err
			}
			err = add(body)
		}
		switch {
		case errors.Is(err, azeventhubs.ErrEventDataTooLarge):
			return sent, fmt.Errorf("publish: event at index %d of %d (%d bytes) is larger than a batch may be: %w", i, len(bodies), len(body), err)
		case err != nil:
			return sent, fmt.Errorf("publish: add event at index %d: %w", i, err)
		}
	}
	if b != nil {
		if err := send(); err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// Close closes the connection to the hub.
func (p *Producer) Close(ctx context.Context) error { return p.client.Close(ctx) }

// HubReaderOptions configure a HubReader. A nil *HubReaderOptions means the defaults.
type HubReaderOptions struct {
	// Idle is how long a partition may deliver nothing, once it delivered its first event, before
	// Read stops waiting for the rest; 0 means 10 s. Read then fails unless the events it did not
	// get are no longer retained (they expired while it ran). The first event may take up to a
	// minute, as it waits for the link to open.
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
// started, or to the first event enqueued at or after until, whichever comes first. A partition
// that stops delivering before then (see HubReaderOptions.Idle) fails Read with an error naming
// the partition and the sequence numbers not read, unless those are no longer retained.
func (r *HubReader) Read(ctx context.Context, since, until time.Time) ([]Received, error) {
	props, err := r.client.GetEventHubProperties(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("publish: read hub properties: %w", err)
	}
	perPartition := make([][]Received, len(props.PartitionIDs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.opts.Partitions)
	for i, id := range props.PartitionIDs {
		guard.Go(g, func() error {
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

// Receiving: ReceiveEvents returns when it has count events or its context ends. The first call
// asks for one event and may take up to firstReceiveTimeout, as it opens the link (and may fetch an
// Entra ID token first); later calls ask for no more events than the partition has left and are
// bounded by receiveWindow, so that HubReaderOptions.Idle is checked between them.
const (
	receiveCount        = 300
	firstReceiveTimeout = 60 * time.Second
	receiveWindow       = 2 * time.Second
	// partitionCloseTimeout bounds closing a partition client: Read is done with it, and a close
	// that fails loses nothing.
	partitionCloseTimeout = 10 * time.Second
)

func (r *HubReader) readPartition(ctx context.Context, id string, since, until time.Time) ([]Received, error) {
	props, err := r.client.GetPartitionProperties(ctx, id, nil)
	if err != nil {
		return nil, fmt.Errorf("get properties: %w", err)
	}
	if props.IsEmpty || props.LastEnqueuedOn.Before(since) {
		return nil, nil
	}
	pc, err := r.client.NewPartitionClient(id, &azeventhubs.PartitionClientOptions{
		StartPosition: azeventhubs.StartPosition{EnqueuedTime: &since, Inclusive: true},
	})
	if err != nil {
		return nil, fmt.Errorf("new partition client: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), partitionCloseTimeout)
		defer cancel()
		_ = pc.Close(cctx)
	}()
	c := cursor{partition: id, since: since, until: until, last: props.LastEnqueuedSequenceNumber}
	var lastEvent time.Time // when the last events arrived; the idle clock starts with the first
	for !c.done {
		count, window := c.want(), receiveWindow
		if !c.started {
			window = firstReceiveTimeout
		}
		rctx, cancel := context.WithTimeout(ctx, window)
		events, err := pc.ReceiveEvents(rctx, count, nil)
		cancel()
		switch {
		case err == nil:
			c.add(events)
			lastEvent = time.Now()
			continue
		case !errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil:
			// ReceiveEvents reports an error only when it received nothing.
			return nil, fmt.Errorf("receive: %w", err)
		case c.started && time.Since(lastEvent) < r.opts.Idle:
			continue
		}
		now, err := r.client.GetPartitionProperties(ctx, id, nil)
		if err != nil {
			return nil, fmt.Errorf("get properties after receiving nothing: %w", err)
		}
		if err := c.unread(now); err != nil {
			return nil, err
		}
		return c.out, nil
	}
	return c.out, nil
}

// cursor follows the read of one partition from since up to the last sequence number the
// partition held when the read began, or to the first event enqueued at or after until.
type cursor struct {
	partition    string
	since, until time.Time
	last         int64 // the last sequence number to read
	started      bool  // whether any event has arrived
	next         int64 // once started, the sequence number expected next
	done         bool
	out          []Received
}

// want is how many events to ask for next: one before the first (which opens the link), then
// the rest of the partition, at most receiveCount.
func (c *cursor) want() int {
	if !c.started {
		return 1
	}
	// Sequence numbers of a partition are consecutive.
	return int(min(receiveCount, c.last-c.next+1))
}

// add takes the next events of the partition, in order. It keeps those enqueued at or after since
// (the service reads from since truncated to milliseconds) and sets done on reaching the last
// sequence number, or an event beyond it or enqueued at or after until.
func (c *cursor) add(events []*azeventhubs.ReceivedEventData) {
	for _, ev := range events {
		if c.done {
			return
		}
		c.started, c.next = true, ev.SequenceNumber+1
		var enqueued time.Time
		if ev.EnqueuedTime != nil {
			enqueued = *ev.EnqueuedTime
		}
		if ev.SequenceNumber > c.last || !c.until.IsZero() && !enqueued.Before(c.until) {
			c.done = true
			return
		}
		if !enqueued.Before(c.since) {
			c.out = append(c.out, Received{Body: ev.Body, EnqueuedTime: enqueued, Partition: c.partition, SequenceNumber: ev.SequenceNumber})
		}
		c.done = ev.SequenceNumber == c.last
	}
}

// unread decides a read that stopped receiving before it was done, given the partition's
// properties fetched after it stopped: nil when every event it did not read is no longer retained
// (they expired while it ran), otherwise an error naming the sequence numbers still retained.
func (c *cursor) unread(now azeventhubs.PartitionProperties) error {
	if now.IsEmpty || now.BeginningSequenceNumber > c.last {
		return nil
	}
	if !c.started {
		return fmt.Errorf("received nothing in %s, but events up to sequence number %d are retained", firstReceiveTimeout, c.last)
	}
	from := max(c.next, now.BeginningSequenceNumber)
	return fmt.Errorf("received nothing after sequence number %d, but events %d to %d are retained and were not read", c.next-1, from, c.last)
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
