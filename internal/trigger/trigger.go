// Package trigger owns the Azure Functions host wire format for an Event Hubs trigger with
// "cardinality": "many" and "dataType": "string" (DESIGN §4), in both directions: DecodeBatch reads
// what the host POSTs to a custom handler, Response is what the handler answers, and EncodeBatch
// produces the host's request for the Go stand-in of the host (package functionhost).
//
// How the real host builds the request (Azure/azure-functions-host ScriptInvocationContextExtensions,
// Azure/azure-sdk-for-net EventHubTriggerBindingStrategy):
//
//   - Every binding-data value goes through JObject.FromObject, and when that throws (arrays,
//     strings, numbers) through JsonConvert.SerializeObject. So arrays arrive JSON-encoded inside a
//     string ("stringified"), while PartitionContext, TriggerPartitionContext, sys and RetryContext
//     stay objects. Data.<binding> is the string[] of bodies, stringified the same way.
//   - Each body is Encoding.UTF8.GetString of the event's bytes: bytes that are not valid UTF-8 are
//     replaced by U+FFFD before the handler sees them, so a JSON string can never carry them and the
//     original bytes are unrecoverable on our side. Event.Body is the string exactly as received.
//   - EnqueuedTimeUtcArray holds EventData.EnqueuedTime.DateTime, a DateTime of kind Unspecified,
//     which Json.NET writes without a zone designator ("2026-11-24T10:15:00.123"); it is UTC.
//   - RetryContext (RetryCount, MaxRetryCount, Exception) is added to Metadata on every attempt of a
//     function that has a retry policy (the WebJobs SDK creates it before the first attempt, with
//     RetryCount 0); a function without one gets none.
//
// The decoder accepts each value both stringified and plain, so a host that one day stops
// stringifying (or a test that never did) is read the same way.
package trigger

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// InvocationIDHeader is the request header carrying the host's id of the invocation; each retry is
// a new invocation with a new id.
const InvocationIDHeader = "X-Azure-Functions-InvocationId"

// RetryContext is Metadata.RetryContext, sent on every attempt of a function with a retry policy:
// RetryCount is 0 on the first attempt and 1 on the first retry; MaxRetryCount is the function's
// retry.maxRetryCount (-1 for unlimited). The attempt with RetryCount = MaxRetryCount is the last: the
// Event Hubs extension checkpoints the batch after it whatever the answer.
type RetryContext struct {
	RetryCount    int `json:"RetryCount"`
	MaxRetryCount int `json:"MaxRetryCount"`
}

// PartitionContext is the shape of Metadata.PartitionContext and Metadata.TriggerPartitionContext.
type PartitionContext struct {
	ConsumerGroup                  string `json:"ConsumerGroup"`
	EventHubName                   string `json:"EventHubName"`
	FullyQualifiedNamespace        string `json:"FullyQualifiedNamespace"`
	IsCheckpointingAfterInvocation bool   `json:"IsCheckpointingAfterInvocation"`
	PartitionID                    string `json:"PartitionId"`
}

// Names of the Metadata keys the Event Hubs extension sets for a batch (cardinality many).
const (
	keyEnqueuedTimes    = "EnqueuedTimeUtcArray"
	keyOffsets          = "OffsetArray"
	keyPartitionKeys    = "PartitionKeyArray"
	keyProperties       = "PropertiesArray"
	keySequenceNumbers  = "SequenceNumberArray"
	keySystemProperties = "SystemPropertiesArray"
)

// enqueuedTimeLayout is how the stand-in writes EnqueuedTimeUtc values: UTC without a zone, with
// the millisecond precision Event Hubs assigns (the fixture's shape).
const enqueuedTimeLayout = "2006-01-02T15:04:05.000"

// decodeValue unmarshals a host value into v, whether it arrived plain ([17,18], {...}) or
// JSON-encoded inside a JSON string ("[17,18]"), as the host sends every array.
func decodeValue(raw json.RawMessage, v any) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return fmt.Errorf("decode JSON string: %w", err)
		}
		if err := json.Unmarshal([]byte(s), v); err != nil {
			return fmt.Errorf("decode JSON inside string: %w", err)
		}
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("decode JSON: %w", err)
	}
	return nil
}

// encodeValue marshals v as the host does: JSON-encoded inside a JSON string when stringify is set,
// plain JSON otherwise. Like Json.NET (and unlike encoding/json's default) it leaves <, > and &
// unescaped.
func encodeValue(v any, stringify bool) (json.RawMessage, error) {
	b, err := marshal(v)
	if err != nil || !stringify {
		return b, err
	}
	return marshal(string(b))
}

// marshal is json.Marshal without HTML escaping.
func marshal(v any) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode JSON: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
