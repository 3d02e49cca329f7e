// Package failure builds the failure events snowsync sends to the failure hub (DESIGN §3): one JSON
// event per FAILED task, with enough context to debug it and the original body to replay it.
package failure

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"
)

// Event is one failure event. Field names and shapes are the seed product's.
type Event struct {
	ErrorType      string  `json:"errorType"`
	ErrorMessage   string  `json:"errorMessage"`
	ConnectorName  string  `json:"connectorName"`
	StackTrace     string  `json:"stackTrace"`
	Topic          string  `json:"topic"`
	ConsumerGroup  string  `json:"consumerGroup"`
	Partition      string  `json:"partition"`
	Offset         string  `json:"offset"`
	SequenceNumber *int64  `json:"sequenceNumber"`
	EnqueuedTime   *string `json:"enqueuedTime"`
	TaskID         *string `json:"taskId"`
	Timestamp      string  `json:"timestamp"`
	// AuditPartitionKey and AuditRowKey locate the task's audit record, which has every detail that
	// ErrorMessage and StackTrace leave out.
	AuditPartitionKey string `json:"auditPartitionKey,omitempty"`
	AuditRowKey       string `json:"auditRowKey,omitempty"`
	// What the task changed before it failed (a task fails when one of its resources does; the others
	// may have been synced): statements that succeeded, summed over its resources as in the audit
	// record. Omitted when zero, as for events that fail before any sync.
	Grants         int `json:"grants,omitempty"`
	Revokes        int `json:"revokes,omitempty"`
	MasksSet       int `json:"masksSet,omitempty"`
	MasksSwapped   int `json:"masksSwapped,omitempty"`
	MasksRemoved   int `json:"masksRemoved,omitempty"`
	FiltersSet     int `json:"filtersSet,omitempty"`
	FiltersSwapped int `json:"filtersSwapped,omitempty"`
	FiltersRemoved int `json:"filtersRemoved,omitempty"`
	// PolicyVersion is the policyVersion of the policy set the event was processed with (the audit
	// record's PolicyVersion); omitted when none was loaded.
	PolicyVersion *int64 `json:"policyVersion,omitempty"`
	// OriginalMessage is the event body exactly as received, so a fixed copy can be re-published.
	OriginalMessage string `json:"originalMessage"`
	// OriginalMessageBase64 carries the body when it is not valid UTF-8, which a JSON string cannot hold
	// byte for byte; OriginalMessage then holds the body with invalid bytes replaced. Omitted otherwise.
	OriginalMessageBase64 string `json:"originalMessageBase64,omitempty"`
	// OriginalMessageTruncated says OriginalMessage holds only the start of the body (valid UTF-8, no
	// originalMessageBase64), because the whole body would not fit an Event Hubs event. The body's
	// length and SHA-256 follow, and OriginalMessageStore says where the whole body was kept.
	OriginalMessageTruncated bool   `json:"originalMessageTruncated,omitempty"`
	OriginalMessageLength    int    `json:"originalMessageLength,omitempty"`
	OriginalMessageSHA256    string `json:"originalMessageSha256,omitempty"`
	// OriginalMessageStore names where the whole body of a truncated message is kept, under the audit
	// keys (e.g. "table:OnDemandSyncBodies"); "" when it could not be kept (see ErrorMessage).
	OriginalMessageStore string `json:"originalMessageStore,omitempty"`
	// OriginalMessageStoreError says why the whole body of a truncated message could not be kept.
	OriginalMessageStoreError string `json:"originalMessageStoreError,omitempty"`
}

// TimeFormat is how times are written in failure events: UTC, milliseconds, Z.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// FormatTime renders t in TimeFormat, or nil when t is zero (unknown).
func FormatTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(TimeFormat)
	return &s
}

// SetOriginal stores body in the event, byte for byte.
func (e *Event) SetOriginal(body []byte) {
	e.OriginalMessage = string(body)
	if !utf8.Valid(body) {
		e.OriginalMessage = strings.ToValidUTF8(string(body), "\uFFFD")
		e.OriginalMessageBase64 = base64.StdEncoding.EncodeToString(body)
	}
}

// Limits on the size of a marshalled event. The failure hub is an Event Hub: an event holds at most
// 1 MiB (Standard and above; 256 KiB on Basic), and the output binding fails the whole invocation on a
// larger one.
const (
	// MaxEvent is the most a marshalled event may take.
	MaxEvent = 1 << 20
	// MaxEnvelope bounds what an event takes besides its original message: ErrorMessage and StackTrace
	// of MaxDetail bytes each, TaskID and OriginalMessageStoreError of 1 KiB each, JSON-escaped at worst 6 bytes a byte, and the other
	// fields (names and numbers the host and snowsync set).
	MaxEnvelope = 2*6*MaxDetail + 2*6*maxTaskID + 4<<10
	// MaxOriginalLimit is the largest original-message limit that still keeps every event within MaxEvent.
	MaxOriginalLimit = MaxEvent - MaxEnvelope
	// DefaultOriginalLimit is the default of SetOriginalLimited's limit
	// (CONNECTOR_ON_DEMAND_V2_FAILURE_MESSAGE_MAX_BYTES).
	DefaultOriginalLimit = 768 << 10
)

// SetOriginalLimited stores body as SetOriginal does when it takes at most limit bytes in the
// marshalled event (JSON-escaped, originalMessageBase64 included); limit is capped at
// MaxOriginalLimit, and zero or less means DefaultOriginalLimit. A longer body is cut: OriginalMessage
// holds the longest start of it (invalid bytes replaced) that fits, marked truncated, with the body's
// length and SHA-256. It reports whether the body was cut; the caller then keeps the whole body
// elsewhere and sets OriginalMessageStore.
func (e *Event) SetOriginalLimited(body []byte, limit int) bool {
	if limit <= 0 {
		limit = DefaultOriginalLimit
	}
	limit = min(limit, MaxOriginalLimit)
	e.SetOriginal(body)
	if escapedLen(e.OriginalMessage)+len(e.OriginalMessageBase64) <= limit {
		return false
	}
	sum := sha256.Sum256(body)
	e.OriginalMessage = cutEscaped(e.OriginalMessage, limit)
	e.OriginalMessageBase64 = ""
	e.OriginalMessageTruncated, e.OriginalMessageLength, e.OriginalMessageSHA256 = true, len(body), hex.EncodeToString(sum[:])
	return true
}

// escapedLen is how many bytes s, valid UTF-8, takes inside a JSON string as Marshal writes it.
func escapedLen(s string) int {
	n := 0
	for _, r := range s {
		n += escapedRuneLen(r)
	}
	return n
}

// escapedRuneLen is how many bytes r takes inside a JSON string as encoding/json writes it without
// HTML escaping.
func escapedRuneLen(r rune) int {
	switch {
	case r == '"' || r == '\\' || r == '\n' || r == '\r' || r == '\t' || r == '\b' || r == '\f':
		return 2
	case r < 0x20 || r == '\u2028' || r == '\u2029':
		return 6
	}
	return utf8.RuneLen(r)
}

// cutEscaped returns the longest start of s, cut on a rune boundary, that takes at most limit bytes
// JSON-escaped.
func cutEscaped(s string, limit int) string {
	n := 0
	for i, r := range s {
		if n += escapedRuneLen(r); n > limit {
			return s[:i]
		}
	}
	return s
}

// Original returns the body the event carries: the decoded OriginalMessageBase64 when present, else
// OriginalMessage.
func (e *Event) Original() ([]byte, error) {
	if e.OriginalMessageBase64 != "" {
		return base64.StdEncoding.DecodeString(e.OriginalMessageBase64)
	}
	return []byte(e.OriginalMessage), nil
}

// MaxDetail caps ErrorMessage and StackTrace in a marshalled event, so that the original message fits
// beside them (see MaxEvent).
const MaxDetail = 8 << 10

// Marshal renders the event as compact JSON without HTML escaping, so originalMessage reads as sent.
// ErrorMessage and StackTrace are cut to MaxDetail bytes and TaskID to 1 KiB, saying so. An event
// whose original message was set by SetOriginalLimited takes at most MaxEvent bytes.
func (e *Event) Marshal() (string, error) {
	clipped := *e
	clipped.ErrorMessage, clipped.StackTrace = clip(e.ErrorMessage, MaxDetail), clip(e.StackTrace, MaxDetail)
	clipped.OriginalMessageStoreError = clip(e.OriginalMessageStoreError, maxTaskID)
	if e.TaskID != nil && len(*e.TaskID) > maxTaskID { // a client's id; the audit record has it whole
		id := clip(*e.TaskID, maxTaskID)
		clipped.TaskID = &id
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(clipped); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// maxTaskID caps TaskID in a marshalled event (see MaxEnvelope).
const maxTaskID = 1 << 10

// clip cuts s to max bytes on a UTF-8 boundary, marking the cut.
func clip(s string, max int) string {
	const mark = "…[truncated; see the audit record]"
	if len(s) <= max {
		return s
	}
	cut := max - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}

// Chain renders an error and its causes, one a line, outermost first: the "stack trace" of an error
// that did not panic. A joined error contributes each of its errors' chains, indented.
func Chain(err error) string {
	var lines []string
	var walk func(error, string)
	walk = func(e error, indent string) {
		for e != nil {
			if joined, ok := e.(interface{ Unwrap() []error }); ok {
				for _, inner := range joined.Unwrap() {
					walk(inner, indent+"  ")
				}
				return
			}
			lines = append(lines, indent+e.Error())
			e = errors.Unwrap(e)
		}
	}
	walk(err, "")
	return strings.Join(lines, "\n")
}
