package trigger

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// fixtureBatch is the OutgoingBatch the fixtures were built from.
func fixtureBatch(retry *RetryContext) OutgoingBatch {
	return OutgoingBatch{
		Binding: "events",
		Events: []OutgoingEvent{
			{Body: []byte(validBody), SequenceNumber: 17, Offset: "4294967296", EnqueuedTime: ms(123)},
			{Body: []byte("not json"), SequenceNumber: 18, Offset: "4294967848", EnqueuedTime: ms(456)},
		},
		Partition: PartitionContext{
			ConsumerGroup:                  "$Default",
			EventHubName:                   "sync-requests",
			FullyQualifiedNamespace:        "contoso-sync.servicebus.windows.net",
			IsCheckpointingAfterInvocation: true,
			PartitionID:                    "3",
		},
		Retry: retry,
		Sys: Sys{
			MethodName: "OnDemandSync",
			UtcNow:     ms(600),
			RandGuid:   "0f8fad5b-d9cb-469f-a165-70867728950e",
		},
	}
}

// TestEncodeBatchMatchesFixtures checks that the stand-in's requests have exactly the fixtures'
// shape. The fixtures are inputs built from the host's source, so -update never rewrites them.
func TestEncodeBatchMatchesFixtures(t *testing.T) {
	for _, tt := range fixtures {
		t.Run(tt.file, func(t *testing.T) {
			got, err := EncodeBatch(fixtureBatch(tt.retry), EncodeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			want := readFile(t, tt.file)
			if g, w := normalize(t, got), normalize(t, want); !bytes.Equal(g, w) {
				t.Errorf("EncodeBatch differs from %s\ngot:\n%s\nwant:\n%s", tt.file, g, w)
			}
		})
	}
}

// edgeBatch exercises what the fixtures do not: partition keys, properties, unicode, HTML
// characters, invalid UTF-8 and millisecond rounding.
func edgeBatch() OutgoingBatch {
	b := fixtureBatch(&RetryContext{RetryCount: 1, MaxRetryCount: -1})
	b.Events = []OutgoingEvent{
		{Body: []byte(`{"name":"café <&> 𝄞"}`), SequenceNumber: 1, Offset: "0",
			EnqueuedTime: time.Date(2026, 1, 2, 3, 4, 5, 678_900_000, time.FixedZone("CET", 3600)),
			PartitionKey: stringp("customer-7"), Properties: map[string]string{"origin": "dbt", "run": "42"}},
		{Body: []byte("bad \xff\xfe byte\n"), SequenceNumber: 2, Offset: "8", EnqueuedTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
	}
	return b
}

func TestEncodeBatchGolden(t *testing.T) {
	tests := []struct {
		golden string
		batch  OutgoingBatch
		opts   EncodeOptions
	}{
		{"fixture-plain.json", fixtureBatch(nil), EncodeOptions{Plain: true}},
		{"edge-stringified.json", edgeBatch(), EncodeOptions{}},
		{"edge-plain.json", edgeBatch(), EncodeOptions{Plain: true}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			got, err := EncodeBatch(tt.batch, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tt.golden, got)
		})
	}
}

func TestEncodeBatchRejectsEmptyBinding(t *testing.T) {
	b := fixtureBatch(nil)
	b.Binding = ""
	if _, err := EncodeBatch(b, EncodeOptions{}); err == nil {
		t.Fatal("EncodeBatch with an empty binding name succeeded")
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	batches := map[string]OutgoingBatch{
		"fixture": fixtureBatch(nil),
		"edge":    edgeBatch(),
		"empty":   {Binding: "events", Partition: PartitionContext{PartitionID: "0"}},
	}
	for name, b := range batches {
		for _, opts := range []EncodeOptions{{}, {Plain: true}} {
			t.Run(name+map[bool]string{false: "/stringified", true: "/plain"}[opts.Plain], func(t *testing.T) {
				body, err := EncodeBatch(b, opts)
				if err != nil {
					t.Fatal(err)
				}
				got, err := DecodeBatch(body, b.Binding)
				if err != nil {
					t.Fatal(err)
				}
				want := Batch{
					EventHub:      b.Partition.EventHubName,
					ConsumerGroup: b.Partition.ConsumerGroup,
					PartitionID:   b.Partition.PartitionID,
					Retry:         b.Retry,
					Events:        make([]Event, len(b.Events)),
				}
				for i, e := range b.Events {
					props, _ := json.Marshal(e.Properties)
					if e.Properties == nil {
						props = []byte(`{}`)
					}
					want.Events[i] = Event{
						// The one change: each invalid UTF-8 byte becomes U+FFFD, as a []rune conversion does.
						Body:           []byte(string([]rune(string(e.Body)))),
						Partition:      b.Partition.PartitionID,
						Offset:         e.Offset,
						SequenceNumber: int64p(e.SequenceNumber),
						EnqueuedTime:   e.EnqueuedTime.UTC().Truncate(time.Millisecond),
						PartitionKey:   e.PartitionKey,
						Properties:     props,
					}
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("round trip:\ngot  %+v\nwant %+v", got, want)
				}
			})
		}
	}
}
