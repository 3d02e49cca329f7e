package trigger

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

const validBody = `{"id":"task-1","type":"RESOURCE_SYNC","appType":"PS_CONNECTOR","appSubType":"SNOWFLAKE",` +
	`"source":"KAFKA","createTime":"2026-11-24T10:14:59Z","requestInfo":{"resources":[{"type":"table",` +
	`"values":{"database":"SALES","schema":"PUBLIC","table":"ORDERS"}}]}}`

func int64p(v int64) *int64    { return &v }
func stringp(v string) *string { return &v }

func ms(msec int) time.Time {
	return time.Date(2026, 11, 24, 10, 15, 0, msec*int(time.Millisecond), time.UTC)
}

// fixtureEvents is what both fixtures must decode to.
func fixtureEvents() []Event {
	return []Event{
		{Body: []byte(validBody), Partition: "3", Offset: "4294967296", SequenceNumber: int64p(17),
			EnqueuedTime: ms(123), Properties: json.RawMessage(`{}`)},
		{Body: []byte("not json"), Partition: "3", Offset: "4294967848", SequenceNumber: int64p(18),
			EnqueuedTime: ms(456), Properties: json.RawMessage(`{}`)},
	}
}

func TestDecodeBatchFixtures(t *testing.T) {
	for _, tt := range fixtures {
		t.Run(tt.file, func(t *testing.T) {
			got, err := DecodeBatch(readFile(t, tt.file), "events")
			if err != nil {
				t.Fatal(err)
			}
			want := Batch{
				Events:        fixtureEvents(),
				EventHub:      "sync-requests",
				ConsumerGroup: "$Default",
				PartitionID:   "3",
				Retry:         tt.retry,
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("DecodeBatch:\ngot  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestDecodeBatchPlainForm(t *testing.T) {
	body := `{
	  "Data": {"Events": ["{\"a\":1}", "second"]},
	  "Metadata": {
	    "EnqueuedTimeUtcArray": ["2026-11-24T10:15:00.1", "2026-11-24T10:15:00.4560000Z"],
	    "OffsetArray": [4294967296, "4294967848"],
	    "PartitionKeyArray": ["customer-7", null],
	    "PropertiesArray": [{"origin": "dbt"}, null],
	    "SequenceNumberArray": [17, 18],
	    "SystemPropertiesArray": [{}, {}],
	    "TriggerPartitionContext": {"ConsumerGroup": "cg", "EventHubName": "hub", "PartitionId": "0",
	      "FullyQualifiedNamespace": "ns.servicebus.windows.net"},
	    "RetryContext": "{\"RetryCount\":1,\"MaxRetryCount\":-1,\"Exception\":{\"Message\":\"boom\"}}"
	  }
	}`
	got, err := DecodeBatch([]byte(body), "events") // binding names match case-insensitively
	if err != nil {
		t.Fatal(err)
	}
	want := Batch{
		Events: []Event{
			{Body: []byte(`{"a":1}`), Partition: "0", Offset: "4294967296", SequenceNumber: int64p(17),
				EnqueuedTime: ms(100), PartitionKey: stringp("customer-7"), Properties: json.RawMessage(`{"origin": "dbt"}`)},
			{Body: []byte("second"), Partition: "0", Offset: "4294967848", SequenceNumber: int64p(18),
				EnqueuedTime: ms(456)},
		},
		EventHub: "hub", ConsumerGroup: "cg", PartitionID: "0",
		Retry: &RetryContext{RetryCount: 1, MaxRetryCount: -1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DecodeBatch:\ngot  %+v\nwant %+v", got, want)
	}
}

func TestDecodeBatchIncompleteMetadata(t *testing.T) {
	const events = `"Data":{"events":"[\"a\",\"b\"]"}`
	const pc = `"PartitionContext":{"PartitionId":"3","EventHubName":"hub","ConsumerGroup":"$Default"}`
	const rest = `"EnqueuedTimeUtcArray":"[\"2026-11-24T10:15:00.123\",\"2026-11-24T10:15:00.456\"]",` +
		`"OffsetArray":"[\"10\",\"20\"]","PartitionKeyArray":"[null,null]","PropertiesArray":"[{},{}]",`
	const sys = `"SystemPropertiesArray":"[{},{}]"`
	tests := []struct {
		name         string
		body         string
		seqs         []*int64
		offsets      []string
		times        []time.Time
		partition    string
		wantWarnings []string
	}{
		{
			name:      "short sequence numbers",
			body:      `{` + events + `,"Metadata":{` + pc + `,` + rest + `"SequenceNumberArray":"[17]",` + sys + `}}`,
			seqs:      []*int64{int64p(17), nil},
			offsets:   []string{"10", "20"},
			times:     []time.Time{ms(123), ms(456)},
			partition: "3",
			wantWarnings: []string{
				"SequenceNumberArray has 1 entries for 2 events",
			},
		},
		{
			name: "system properties fill missing arrays",
			body: `{` + events + `,"Metadata":{` + pc + `,"SystemPropertiesArray":"[{\"SequenceNumber\":5,` +
				`\"Offset\":\"50\",\"EnqueuedTimeUtc\":\"2026-11-24T10:15:00.001\"},{\"SequenceNumber\":6,` +
				`\"Offset\":60}]"}}`,
			seqs:      []*int64{int64p(5), int64p(6)},
			offsets:   []string{"50", "60"},
			times:     []time.Time{ms(1), {}},
			partition: "3",
			wantWarnings: []string{
				"SequenceNumberArray is missing",
				"OffsetArray is missing",
				"EnqueuedTimeUtcArray is missing",
				"PartitionKeyArray is missing",
				"PropertiesArray is missing",
			},
		},
		{
			name:      "no metadata at all",
			body:      `{` + events + `}`,
			seqs:      []*int64{nil, nil},
			offsets:   []string{"", ""},
			times:     []time.Time{{}, {}},
			partition: "",
			wantWarnings: []string{
				"PartitionContext and TriggerPartitionContext are missing",
				"SequenceNumberArray is missing",
				"OffsetArray is missing",
				"EnqueuedTimeUtcArray is missing",
				"PartitionKeyArray is missing",
				"PropertiesArray is missing",
				"SystemPropertiesArray is missing",
			},
		},
		{
			name: "malformed values",
			body: `{` + events + `,"Metadata":{"PartitionContext":"not an object",` +
				`"TriggerPartitionContext":{"PartitionId":"7"},` +
				`"EnqueuedTimeUtcArray":"[\"yesterday\",\"2026-11-24T10:15:00.456\"]",` +
				`"OffsetArray":"[true,\"20\"]","PartitionKeyArray":"[null,null]","PropertiesArray":"[{},{}]",` +
				`"SequenceNumberArray":"[17,18,19]",` + sys + `}}`,
			seqs:      []*int64{int64p(17), int64p(18)},
			offsets:   []string{"", ""},
			times:     []time.Time{{}, ms(456)},
			partition: "7",
			wantWarnings: []string{
				`PartitionContext is unusable: decode JSON inside string: invalid character 'o' in literal null (expecting 'u')`,
				"SequenceNumberArray has 3 entries for 2 events",
				`OffsetArray is unusable: decode JSON inside string: want a string or a number, got true`,
				`event 0: parse EnqueuedTimeUtc: parsing time "yesterday" as "2006-01-02T15:04:05": cannot parse "yesterday" as "2006"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeBatch([]byte(tt.body), "events")
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Events) != 2 {
				t.Fatalf("got %d events, want 2 (missing metadata must not lose events)", len(got.Events))
			}
			for i, e := range got.Events {
				if string(e.Body) != []string{"a", "b"}[i] {
					t.Errorf("event %d: body %q", i, e.Body)
				}
				if !reflect.DeepEqual(e.SequenceNumber, tt.seqs[i]) {
					t.Errorf("event %d: SequenceNumber = %v, want %v", i, deref(e.SequenceNumber), deref(tt.seqs[i]))
				}
				if e.Offset != tt.offsets[i] {
					t.Errorf("event %d: Offset = %q, want %q", i, e.Offset, tt.offsets[i])
				}
				if !e.EnqueuedTime.Equal(tt.times[i]) {
					t.Errorf("event %d: EnqueuedTime = %v, want %v", i, e.EnqueuedTime, tt.times[i])
				}
				if e.Partition != tt.partition {
					t.Errorf("event %d: Partition = %q, want %q", i, e.Partition, tt.partition)
				}
			}
			if !reflect.DeepEqual(got.Warnings, tt.wantWarnings) {
				t.Errorf("Warnings:\ngot  %q\nwant %q", got.Warnings, tt.wantWarnings)
			}
		})
	}
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestDecodeBatchEnvelopeErrors(t *testing.T) {
	tests := []struct {
		name, body, wantErr string
	}{
		{"not JSON", `not json`, "decode host request: invalid character"},
		{"JSON array", `[]`, "decode host request: json: cannot unmarshal array"},
		{"no Data", `{"Metadata":{}}`, "Data.events is missing"},
		{"other binding only", `{"Data":{"input":"[]"}}`, "Data.events is missing"},
		{"null", `{"Data":{"events":null}}`, "Data.events is missing"},
		{"number", `{"Data":{"events":42}}`, "Data.events is not an array of strings"},
		{"string that is not an array", `{"Data":{"events":"hello"}}`, "Data.events is not an array of strings: decode JSON inside string"},
		{"array of numbers", `{"Data":{"events":"[1,2]"}}`, "Data.events is not an array of strings"},
		{"plain array of objects", `{"Data":{"events":[{"a":1}]}}`, "Data.events is not an array of strings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeBatch([]byte(tt.body), "events")
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestDecodeBatchEmptyAndNullBodies(t *testing.T) {
	got, err := DecodeBatch([]byte(`{"Data":{"events":"[]"},"Metadata":{"PartitionContext":{"PartitionId":"1"}}}`), "events")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Events) != 0 || len(got.Warnings) != 0 {
		t.Errorf("empty batch: events %v warnings %q", got.Events, got.Warnings)
	}

	got, err = DecodeBatch([]byte(`{"Data":{"events":"[null,\"x\"]"}}`), "events")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Events) != 2 || got.Events[0].Body != nil || string(got.Events[1].Body) != "x" {
		t.Errorf("null body: got %+v", got.Events)
	}
	if !slices.Contains(got.Warnings, "Data.events[0] is null; decoded as an empty body") {
		t.Errorf("no warning for the null body in %q", got.Warnings)
	}
}

// TestDecodeBatchBodies pins what arrives in Event.Body for bodies the host escapes. The host sends
// valid UTF-8 only (it decoded the event bytes with Encoding.UTF8.GetString, turning invalid bytes
// into U+FFFD); an escaped lone surrogate, which .NET could in theory write, decodes to U+FFFD.
func TestDecodeBatchBodies(t *testing.T) {
	tests := []struct {
		name    string
		element string // one JSON string element of the events array, as it appears inside the array
		want    string
	}{
		{"ascii", `"plain"`, "plain"},
		{"unicode unescaped", `"café ✓ 𝄞"`, "café ✓ 𝄞"},
		{"unicode escaped", `"caf\u00e9 \ud834\udd1e"`, "café 𝄞"},
		{"quotes and backslashes", `"{\"a\":\"b\\\\c\"}"`, `{"a":"b\\c"}`},
		{"control characters", `"line1\nline2\t\u0000\r"`, "line1\nline2\t\x00\r"},
		{"html characters", `"<a href=\"x\">&amp;</a>"`, `<a href="x">&amp;</a>`},
		{"replacement character from the host", `"bad \ufffd byte"`, "bad \uFFFD byte"},
		{"escaped lone surrogate", `"\ud800x"`, "\uFFFDx"},
		{"empty", `""`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			array := "[" + tt.element + "]"
			stringified, err := json.Marshal(array)
			if err != nil {
				t.Fatal(err)
			}
			for form, data := range map[string]string{"plain": array, "stringified": string(stringified)} {
				got, err := DecodeBatch([]byte(`{"Data":{"events":`+data+`}}`), "events")
				if err != nil {
					t.Fatalf("%s: %v", form, err)
				}
				if string(got.Events[0].Body) != tt.want {
					t.Errorf("%s: Body = %q, want %q", form, got.Events[0].Body, tt.want)
				}
			}
		})
	}
}
