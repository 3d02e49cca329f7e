package trigger

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Event is one Event Hubs event of a delivered batch, with its metadata matched by index.
type Event struct {
	// Body is the event body exactly as the host sent it: the bytes of the JSON string element,
	// unescaped (see the package doc for what the host did to invalid UTF-8 before that).
	Body []byte
	// Partition is PartitionContext.PartitionId (TriggerPartitionContext as fallback).
	Partition string
	// Offset is "" when unknown.
	Offset string
	// SequenceNumber is nil when unknown.
	SequenceNumber *int64
	// EnqueuedTime is in UTC; the zero time when unknown.
	EnqueuedTime time.Time
	// PartitionKey is nil when the event had none.
	PartitionKey *string
	// Properties is the event's application properties as a JSON object, or nil.
	Properties json.RawMessage
}

// Batch is one decoded invocation of an Event Hubs trigger function.
type Batch struct {
	// Events holds every body of Data.<binding>, in order; missing metadata never drops one.
	Events []Event
	// EventHub, ConsumerGroup and PartitionID come from PartitionContext, each falling back to
	// TriggerPartitionContext; "" when neither has it.
	EventHub, ConsumerGroup, PartitionID string
	// Retry is nil when the function has no retry policy (or the host sent none).
	Retry *RetryContext
	// Warnings say which metadata was missing, short or unusable, e.g.
	// "SequenceNumberArray has 1 entries for 2 events". Events are kept with what is known.
	Warnings []string
}

// systemProperties is the part of a SystemPropertiesArray element we use as a fallback when the
// per-field arrays are missing or short.
type systemProperties struct {
	EnqueuedTimeUtc *string    `json:"EnqueuedTimeUtc"`
	Offset          *flexValue `json:"Offset"`
	PartitionKey    *string    `json:"PartitionKey"`
	SequenceNumber  *int64     `json:"SequenceNumber"`
}

// flexValue is a JSON string or number kept as text: offsets are strings in current Event Hubs
// extensions and were numbers in older ones.
type flexValue string

// UnmarshalJSON accepts a JSON string or a JSON number.
func (f *flexValue) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexValue(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("want a string or a number, got %s", b)
	}
	*f = flexValue(n)
	return nil
}

// DecodeBatch decodes the body the host POSTs for an eventHubTrigger with cardinality many; binding
// is the trigger's name in function.json (e.g. "events"). It fails only when the envelope itself is
// unusable: the body is not a JSON object, or Data.<binding> is missing or not an array of strings.
// Missing, short or malformed metadata keeps every event and adds a warning instead. body is not
// modified; DecodeBatchInPlace avoids its copy.
func DecodeBatch(body []byte, binding string) (Batch, error) {
	return DecodeBatchInPlace(bytes.Clone(body), binding)
}

// newBatch matches the decoded bodies with the metadata.
func newBatch(bodies []*[]byte, meta map[string]json.RawMessage, binding string) Batch {
	d := batchDecoder{meta: meta, n: len(bodies)}
	d.decodePartition()
	d.decodeRetry()
	events := make([]Event, len(bodies))
	for i, b := range bodies {
		events[i] = Event{Partition: d.batch.PartitionID}
		if b == nil {
			d.warnf("Data.%s[%d] is null; decoded as an empty body", binding, i)
			continue
		}
		events[i].Body = *b
	}
	d.fillEvents(events)
	d.batch.Events = events
	return d.batch
}

// lookup finds key in m exactly, then case-insensitively (the host's binding data dictionaries are
// case-insensitive).
func lookup(m map[string]json.RawMessage, key string) (json.RawMessage, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// batchDecoder accumulates a Batch and its warnings while reading Metadata.
type batchDecoder struct {
	meta  map[string]json.RawMessage
	n     int // number of events
	batch Batch
}

func (d *batchDecoder) warnf(format string, args ...any) {
	d.batch.Warnings = append(d.batch.Warnings, fmt.Sprintf(format, args...))
}

// object decodes the Metadata object under key into v; it reports whether v was set.
func (d *batchDecoder) object(key string, v any) bool {
	raw, ok := lookup(d.meta, key)
	if !ok || isNull(raw) {
		return false
	}
	if err := decodeValue(raw, v); err != nil {
		d.warnf("%s is unusable: %v", key, err)
		return false
	}
	return true
}

func (d *batchDecoder) decodePartition() {
	var pc, tpc PartitionContext
	hasPC := d.object("PartitionContext", &pc)
	hasTPC := d.object("TriggerPartitionContext", &tpc)
	if !hasPC && !hasTPC {
		d.warnf("PartitionContext and TriggerPartitionContext are missing")
	}
	d.batch.EventHub = cmp.Or(pc.EventHubName, tpc.EventHubName)
	d.batch.ConsumerGroup = cmp.Or(pc.ConsumerGroup, tpc.ConsumerGroup)
	d.batch.PartitionID = cmp.Or(pc.PartitionID, tpc.PartitionID)
}

func (d *batchDecoder) decodeRetry() {
	var rc RetryContext
	if d.object("RetryContext", &rc) {
		d.batch.Retry = &rc
	}
}

// fillEvents sets each event's per-event metadata from the *Array keys, falling back to
// SystemPropertiesArray for sequence number, offset, enqueued time and partition key.
func (d *batchDecoder) fillEvents(events []Event) {
	seqs := metaArray[*int64](d, keySequenceNumbers)
	offsets := metaArray[*flexValue](d, keyOffsets)
	times := metaArray[*string](d, keyEnqueuedTimes)
	keys := metaArray[*string](d, keyPartitionKeys)
	props := metaArray[json.RawMessage](d, keyProperties)
	sys := metaArray[*systemProperties](d, keySystemProperties)

	for i := range events {
		e := &events[i]
		s := sys[i]
		if s == nil {
			s = &systemProperties{}
		}
		e.SequenceNumber = cmp.Or(seqs[i], s.SequenceNumber)
		if o := cmp.Or(offsets[i], s.Offset); o != nil {
			e.Offset = string(*o)
		}
		if t := cmp.Or(times[i], s.EnqueuedTimeUtc); t != nil {
			parsed, err := parseEnqueuedTime(*t)
			if err != nil {
				d.warnf("event %d: %v", i, err)
			}
			e.EnqueuedTime = parsed
		}
		e.PartitionKey = cmp.Or(keys[i], s.PartitionKey)
		if p := props[i]; len(p) > 0 && p[0] == '{' {
			e.Properties = p
		}
	}
}

// metaArray decodes the Metadata array under key into a slice of exactly d.n elements (zero values
// where the host sent nothing), warning when the array is missing, unusable or of the wrong length.
func metaArray[T any](d *batchDecoder, key string) []T {
	out := make([]T, d.n)
	raw, ok := lookup(d.meta, key)
	if !ok || isNull(raw) {
		if d.n > 0 {
			d.warnf("%s is missing", key)
		}
		return out
	}
	var got []T
	if err := decodeValue(raw, &got); err != nil {
		d.warnf("%s is unusable: %v", key, err)
		return out
	}
	if len(got) != d.n {
		d.warnf("%s has %d entries for %d events", key, len(got), d.n)
	}
	copy(out, got)
	return out
}

// parseEnqueuedTime parses the host's EnqueuedTimeUtc: ISO 8601 with any number of fraction digits,
// without a zone designator (meaning UTC) or with one.
func parseEnqueuedTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse("2006-01-02T15:04:05", s) // accepts a fraction; no zone means UTC
	if err != nil {
		return time.Time{}, fmt.Errorf("parse EnqueuedTimeUtc: %w", err)
	}
	return t, nil
}

func isNull(raw json.RawMessage) bool {
	return strings.TrimSpace(string(raw)) == "null"
}
