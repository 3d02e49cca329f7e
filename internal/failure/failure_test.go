package failure

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestOriginalMessageIsByteIdentical(t *testing.T) {
	bodies := [][]byte{
		[]byte(`{"id":"a<b>&c","type":"RESOURCE_SYNC"}`),
		[]byte("not json \u2603 \t\n"),
		[]byte("\xff\xfe invalid utf-8"),
		{},
	}
	for _, body := range bodies {
		e := Event{ErrorType: "INVALID_JSON", Timestamp: "2026-11-24T10:15:01.002Z"}
		e.SetOriginal(body)
		s, err := e.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		var back Event
		if err := json.Unmarshal([]byte(s), &back); err != nil {
			t.Fatalf("failure event is not JSON: %v\n%s", err, s)
		}
		got, err := back.Original()
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(body) {
			t.Errorf("original = %q, want %q", got, body)
		}
	}
}

func TestEventFieldsAndNulls(t *testing.T) {
	seq := int64(17)
	e := Event{ErrorType: "SYNC_ERROR", ConnectorName: "snowflake", Topic: "sync-requests", ConsumerGroup: "$Default",
		Partition: "3", Offset: "4294967296", SequenceNumber: &seq,
		EnqueuedTime: FormatTime(time.Date(2026, 11, 24, 10, 15, 0, 123e6, time.UTC)), Timestamp: "t"}
	s, err := e.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"errorType", "errorMessage", "connectorName", "stackTrace", "topic", "consumerGroup", "partition",
		"offset", "sequenceNumber", "enqueuedTime", "taskId", "timestamp", "originalMessage"} {
		if _, ok := m[k]; !ok {
			t.Errorf("field %s missing from %s", k, s)
		}
	}
	if m["taskId"] != nil || m["enqueuedTime"] != "2026-11-24T10:15:00.123Z" || m["sequenceNumber"] != float64(17) {
		t.Errorf("unexpected values in %s", s)
	}
	if _, ok := m["originalMessageBase64"]; ok {
		t.Errorf("originalMessageBase64 present for a UTF-8 body: %s", s)
	}
}

func TestChain(t *testing.T) {
	root := errors.New("002003: table does not exist")
	err := fmt.Errorf("sync SALES.PUBLIC.ORDERS: %w", errors.Join(fmt.Errorf("apply: %w", root), errors.New("second")))
	want := "sync SALES.PUBLIC.ORDERS: apply: 002003: table does not exist\nsecond\n" +
		"  apply: 002003: table does not exist\n  002003: table does not exist\n  second"
	if got := Chain(err); got != want {
		t.Errorf("Chain =\n%s\nwant\n%s", got, want)
	}
}

func TestDetailsAreClipped(t *testing.T) {
	long := strings.Repeat("é", 20000) // 40,000 bytes
	e := Event{ErrorMessage: long, StackTrace: long, AuditPartitionKey: "2026-11-24", AuditRowKey: "k"}
	e.SetOriginal([]byte(long))
	s, err := e.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var back Event
	if err := json.Unmarshal([]byte(s), &back); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{back.ErrorMessage, back.StackTrace} {
		if len(f) > MaxDetail || !utf8.ValidString(f) || !strings.HasSuffix(f, "see the audit record]") {
			t.Errorf("clipped field: %d bytes, valid %v, ends %q", len(f), utf8.ValidString(f), f[len(f)-20:])
		}
	}
	if back.OriginalMessage != long || back.AuditRowKey != "k" || e.ErrorMessage != long {
		t.Error("the original message must stay whole, the audit key present, and the event itself unchanged")
	}
}
