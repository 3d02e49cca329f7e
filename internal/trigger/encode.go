package trigger

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// OutgoingEvent is one event as the Functions host stand-in delivers it.
type OutgoingEvent struct {
	// Body is sent as a JSON string. Bytes that are not valid UTF-8 become U+FFFD, as the real host's
	// Encoding.UTF8.GetString does (Go replaces each invalid byte, .NET each maximal invalid
	// sequence, so the count of U+FFFD may differ for truncated multi-byte sequences).
	Body           []byte
	SequenceNumber int64
	Offset         string
	// EnqueuedTime is sent in UTC with millisecond precision.
	EnqueuedTime time.Time
	// PartitionKey nil sends null.
	PartitionKey *string
	// Properties are the application properties; nil sends {}.
	Properties map[string]string
}

// Sys is Metadata.sys, which the host adds to every invocation.
type Sys struct {
	MethodName string
	UtcNow     time.Time
	RandGuid   string
}

// OutgoingBatch is everything EncodeBatch needs to build one host request.
type OutgoingBatch struct {
	// Binding is the trigger binding's name in function.json: the key under Data.
	Binding string
	Events  []OutgoingEvent
	// Partition is sent as both PartitionContext and TriggerPartitionContext.
	Partition PartitionContext
	// Retry, when set, is sent as Metadata.RetryContext (with "Exception": null).
	Retry *RetryContext
	Sys   Sys
}

// EncodeOptions select the request form. The zero value is the real host's form.
type EncodeOptions struct {
	// Plain sends every array as plain JSON instead of JSON-encoded inside a string.
	Plain bool
}

// wireRequest is the host request body; field order follows the fixture (alphabetical, as the host
// writes binding data).
type wireRequest struct {
	Data     map[string]json.RawMessage `json:"Data"`
	Metadata wireMetadata               `json:"Metadata"`
}

type wireMetadata struct {
	EnqueuedTimeUtcArray    json.RawMessage   `json:"EnqueuedTimeUtcArray"`
	OffsetArray             json.RawMessage   `json:"OffsetArray"`
	PartitionContext        PartitionContext  `json:"PartitionContext"`
	PartitionKeyArray       json.RawMessage   `json:"PartitionKeyArray"`
	PropertiesArray         json.RawMessage   `json:"PropertiesArray"`
	RetryContext            *wireRetryContext `json:"RetryContext,omitempty"`
	SequenceNumberArray     json.RawMessage   `json:"SequenceNumberArray"`
	SystemPropertiesArray   json.RawMessage   `json:"SystemPropertiesArray"`
	TriggerPartitionContext PartitionContext  `json:"TriggerPartitionContext"`
	Sys                     wireSys           `json:"sys"`
}

type wireRetryContext struct {
	Exception     *struct{} `json:"Exception"` // the previous failure; the stand-in sends null
	MaxRetryCount int       `json:"MaxRetryCount"`
	RetryCount    int       `json:"RetryCount"`
}

type wireSys struct {
	MethodName string `json:"MethodName"`
	RandGuid   string `json:"RandGuid"`
	UtcNow     string `json:"UtcNow"`
}

// newWireSys is s as the host sends Metadata.sys.
func newWireSys(s Sys) wireSys {
	return wireSys{MethodName: s.MethodName, RandGuid: s.RandGuid, UtcNow: s.UtcNow.UTC().Format(enqueuedTimeLayout + "Z")}
}

type wireSystemProperties struct {
	EnqueuedTimeUtc    string  `json:"EnqueuedTimeUtc"`
	Offset             string  `json:"Offset"`
	PartitionKey       *string `json:"PartitionKey,omitempty"`
	SequenceNumber     int64   `json:"SequenceNumber"`
	XOptSequenceNumber int64   `json:"x-opt-sequence-number"`
}

// EncodeBatch builds the request body the Functions host POSTs to a custom handler for b, in the
// host's stringified form or, with opts.Plain, the plain form. DecodeBatch reads both.
func EncodeBatch(b OutgoingBatch, opts EncodeOptions) ([]byte, error) {
	if b.Binding == "" {
		return nil, errors.New("encode host request: empty trigger binding name")
	}
	n := len(b.Events)
	bodies := make([]string, n)
	seqs := make([]int64, n)
	offsets := make([]string, n)
	times := make([]string, n)
	keys := make([]*string, n)
	props := make([]map[string]string, n)
	sys := make([]wireSystemProperties, n)
	for i, e := range b.Events {
		bodies[i] = string(e.Body)
		seqs[i] = e.SequenceNumber
		offsets[i] = e.Offset
		times[i] = e.EnqueuedTime.UTC().Format(enqueuedTimeLayout)
		keys[i] = e.PartitionKey
		props[i] = e.Properties
		if props[i] == nil {
			props[i] = map[string]string{}
		}
		sys[i] = wireSystemProperties{
			EnqueuedTimeUtc:    times[i],
			Offset:             e.Offset,
			PartitionKey:       e.PartitionKey,
			SequenceNumber:     e.SequenceNumber,
			XOptSequenceNumber: e.SequenceNumber,
		}
	}

	stringify := !opts.Plain
	var req wireRequest
	var err error
	enc := func(dst *json.RawMessage, v any) {
		if err == nil {
			*dst, err = encodeValue(v, stringify)
		}
	}
	var data json.RawMessage
	enc(&data, bodies)
	m := &req.Metadata
	enc(&m.EnqueuedTimeUtcArray, times)
	enc(&m.OffsetArray, offsets)
	enc(&m.PartitionKeyArray, keys)
	enc(&m.PropertiesArray, props)
	enc(&m.SequenceNumberArray, seqs)
	enc(&m.SystemPropertiesArray, sys)
	if err != nil {
		return nil, fmt.Errorf("encode host request: %w", err)
	}
	req.Data = map[string]json.RawMessage{b.Binding: data}
	m.PartitionContext = b.Partition
	m.TriggerPartitionContext = b.Partition
	if b.Retry != nil {
		m.RetryContext = &wireRetryContext{MaxRetryCount: b.Retry.MaxRetryCount, RetryCount: b.Retry.RetryCount}
	}
	m.Sys = newWireSys(b.Sys)
	out, err := marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode host request: %w", err)
	}
	return out, nil
}
