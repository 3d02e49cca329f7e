package failure

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
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

func TestEventsFitTheFailureHub(t *testing.T) {
	controls := func(n int) []byte { // every byte JSON-escapes to \u00XX: 6 bytes a byte
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i % 0x1f)
			if b[i] == '\n' || b[i] == '\t' || b[i] == '\r' || b[i] == '\b' || b[i] == '\f' {
				b[i] = 1
			}
		}
		return b
	}
	invalid := bytes.Repeat([]byte{0xff, 'a'}, 5<<20)
	hostileDetail := string(controls(3 * MaxDetail))
	hostileID := string(controls(4 << 10))
	tests := []struct {
		name      string
		body      []byte
		limit     int
		truncated bool
	}{
		{"small body", []byte(`{"id":"x"}`), 0, false},
		{"1 MiB of control characters", controls(1 << 20), 0, true},
		{"10 MiB of JSON", bytes.Repeat([]byte(`{"a":"b"},`), 1<<20), 0, true},
		{"10 MiB not UTF-8", invalid, 0, true},
		{"just below the limit", bytes.Repeat([]byte("a"), 1000), 1000, false},
		{"one byte over the limit", bytes.Repeat([]byte("a"), 1001), 1000, true},
		{"escaping crosses the limit", bytes.Repeat([]byte(`"`), 501), 1000, true},
		{"limit above the maximum", controls(1 << 20), 10 << 20, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Event{ErrorType: "INVALID_JSON", ErrorMessage: hostileDetail, StackTrace: hostileDetail, TaskID: &hostileID,
				AuditPartitionKey: "2026-11-24", AuditRowKey: "k"}
			if got := e.SetOriginalLimited(tt.body, tt.limit); got != tt.truncated {
				t.Fatalf("SetOriginalLimited = %v, want %v", got, tt.truncated)
			}
			s, err := e.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if len(s) > MaxEvent {
				t.Errorf("marshalled event is %d bytes, over %d", len(s), MaxEvent)
			}
			var back Event
			if err := json.Unmarshal([]byte(s), &back); err != nil {
				t.Fatal(err)
			}
			if !tt.truncated {
				if got, _ := back.Original(); !bytes.Equal(got, tt.body) || back.OriginalMessageTruncated {
					t.Errorf("a body within the limit was not kept whole")
				}
				return
			}
			sum := sha256.Sum256(tt.body)
			if !back.OriginalMessageTruncated || back.OriginalMessageLength != len(tt.body) || back.OriginalMessageSHA256 != hex.EncodeToString(sum[:]) ||
				back.OriginalMessageBase64 != "" || back.AuditRowKey != "k" {
				t.Errorf("truncated event lacks its marks: truncated %v, length %d, sha256 %q, base64 %d bytes, row key %q",
					back.OriginalMessageTruncated, back.OriginalMessageLength, back.OriginalMessageSHA256, len(back.OriginalMessageBase64), back.AuditRowKey)
			}
			limit := min(cmp.Or(tt.limit, DefaultOriginalLimit), MaxOriginalLimit)
			if n := escapedLen(back.OriginalMessage); n > limit || n < limit-6 {
				t.Errorf("original message takes %d bytes escaped, want the most that fits %d", n, limit)
			}
			if want := strings.ToValidUTF8(string(tt.body), "\uFFFD"); !strings.HasPrefix(want, back.OriginalMessage) {
				t.Errorf("original message is not the start of the body")
			}
		})
	}
}

func TestEscapedLenMatchesEncodingJSON(t *testing.T) {
	var all strings.Builder
	for r := rune(0); r < 0x3000; r++ {
		all.WriteRune(r)
	}
	for _, s := range []string{"", `a"b\c`, "\x00\x1f\u2028\u2029<>&", all.String(), "\uFFFD"} {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		want := buf.Len() - 3 // quotes and newline
		if got := escapedLen(s); got != want {
			t.Errorf("escapedLen(%.20q) = %d, encoding/json writes %d", s, got, want)
		}
	}
}

// The largest limit is stated in infra/main.bicep (@maxValue) and the README's settings table.
func TestMaxOriginalLimitAsDocumented(t *testing.T) {
	if MaxOriginalLimit != 933888 {
		t.Errorf("MaxOriginalLimit = %d; update infra/main.bicep and README.md, which say 933888", MaxOriginalLimit)
	}
}
