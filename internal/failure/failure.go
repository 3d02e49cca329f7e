// Package failure builds the failure events snowsync sends to the failure hub (DESIGN §3): one JSON
// event per FAILED task, with enough context to debug it and the original body to replay it.
package failure

import (
	"bytes"
	"encoding/base64"
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
	// OriginalMessage is the event body exactly as received, so a fixed copy can be re-published.
	OriginalMessage string `json:"originalMessage"`
	// OriginalMessageBase64 carries the body when it is not valid UTF-8, which a JSON string cannot hold
	// byte for byte; OriginalMessage then holds the body with invalid bytes replaced. Omitted otherwise.
	OriginalMessageBase64 string `json:"originalMessageBase64,omitempty"`
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

// Original returns the body the event carries: the decoded OriginalMessageBase64 when present, else
// OriginalMessage.
func (e *Event) Original() ([]byte, error) {
	if e.OriginalMessageBase64 != "" {
		return base64.StdEncoding.DecodeString(e.OriginalMessageBase64)
	}
	return []byte(e.OriginalMessage), nil
}

// MaxDetail caps ErrorMessage and StackTrace in a marshalled event: an Event Hubs event holds at most
// 1 MiB (256 KiB on the Basic and Standard tiers), and the original message must fit beside them.
const MaxDetail = 8 << 10

// Marshal renders the event as compact JSON without HTML escaping, so originalMessage reads as sent.
// ErrorMessage and StackTrace are cut to MaxDetail bytes, saying so.
func (e *Event) Marshal() (string, error) {
	clipped := *e
	clipped.ErrorMessage, clipped.StackTrace = clip(e.ErrorMessage), clip(e.StackTrace)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(clipped); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// clip cuts s to MaxDetail bytes on a UTF-8 boundary, marking the cut.
func clip(s string) string {
	const mark = "…[truncated; see the audit record]"
	if len(s) <= MaxDetail {
		return s
	}
	cut := MaxDetail - len(mark)
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
