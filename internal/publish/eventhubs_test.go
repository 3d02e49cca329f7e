package publish

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/messaging/azeventhubs/v2"
)

// fakeHub hands Producer batches that hold at most limit body bytes, as the SDK's batches hold at
// most the hub's maximum message size, and records the batches sent.
type fakeHub struct {
	limit    int
	failSend int // the send (counting from 1) that fails; 0 means none
	created  int
	sends    int
	sent     [][]string
}

func (h *fakeHub) newBatch(context.Context) (batch, error) {
	h.created++
	return &fakeBatch{hub: h}, nil
}

type fakeBatch struct {
	hub    *fakeHub
	size   int
	events []string
}

func (b *fakeBatch) add(body []byte) error {
	if b.size+len(body) > b.hub.limit {
		return fmt.Errorf("fake batch of %d bytes: %w", b.size, azeventhubs.ErrEventDataTooLarge)
	}
	b.size += len(body)
	b.events = append(b.events, string(body))
	return nil
}

func (b *fakeBatch) len() int { return len(b.events) }

func (b *fakeBatch) send(context.Context) error {
	if b.hub.sends++; b.hub.sends == b.hub.failSend {
		return errors.New("link detached")
	}
	b.hub.sent = append(b.hub.sent, b.events)
	return nil
}

func TestProducerPublish(t *testing.T) {
	tests := []struct {
		name        string
		limit       int
		failSend    int
		bodies      []string
		wantSent    int
		wantBatches [][]string
		wantErr     string // "" means success
		wantTooBig  bool   // the error wraps azeventhubs.ErrEventDataTooLarge
	}{
		{name: "nothing to send", limit: 5, wantSent: 0},
		{name: "all in one batch", limit: 10, bodies: []string{"a", "b", "c"}, wantSent: 3, wantBatches: [][]string{{"a", "b", "c"}}},
		{name: "an exact fit stays in the batch", limit: 4, bodies: []string{"aa", "bb"}, wantSent: 2, wantBatches: [][]string{{"aa", "bb"}}},
		{name: "overflow starts a new batch", limit: 5, bodies: []string{"aa", "bb", "cc", "d", "eee"}, wantSent: 5,
			wantBatches: [][]string{{"aa", "bb"}, {"cc", "d"}, {"eee"}}},
		{name: "an oversized event after others", limit: 5, bodies: []string{"aa", "bbbbbb", "cc"}, wantSent: 1,
			wantBatches: [][]string{{"aa"}}, wantErr: "publish: event at index 1 of 3 (6 bytes) is larger than a batch may be", wantTooBig: true},
		{name: "an oversized first event", limit: 5, bodies: []string{"bbbbbb", "cc"}, wantSent: 0,
			wantErr: "publish: event at index 0 of 2 (6 bytes)", wantTooBig: true},
		{name: "a failed send counts the batches before it", limit: 5, failSend: 2, bodies: []string{"aa", "bb", "cc", "dd", "ee"}, wantSent: 2,
			wantBatches: [][]string{{"aa", "bb"}}, wantErr: "publish: send batch of events 2 to 3: link detached"},
		{name: "a failed last send", limit: 5, failSend: 1, bodies: []string{"a"}, wantSent: 0,
			wantErr: "publish: send batch of events 0 to 0: link detached"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hub := &fakeHub{limit: tt.limit, failSend: tt.failSend}
			p := &Producer{newBatch: hub.newBatch}
			bodies := make([][]byte, len(tt.bodies))
			for i, b := range tt.bodies {
				bodies[i] = []byte(b)
			}
			sent, err := p.Publish(context.Background(), bodies)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.wantErr)):
				t.Errorf("error = %v, want one starting %q", err, tt.wantErr)
			case errors.Is(err, azeventhubs.ErrEventDataTooLarge) != tt.wantTooBig:
				t.Errorf("error %v: wraps ErrEventDataTooLarge = %t, want %t", err, !tt.wantTooBig, tt.wantTooBig)
			}
			if sent != tt.wantSent {
				t.Errorf("sent = %d, want %d", sent, tt.wantSent)
			}
			if !reflect.DeepEqual(hub.sent, tt.wantBatches) {
				t.Errorf("batches sent = %q, want %q", hub.sent, tt.wantBatches)
			}
			if len(tt.bodies) == 0 && hub.created != 0 {
				t.Errorf("%d batches created for no events, want none", hub.created)
			}
		})
	}
}

func TestCursorAdd(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	ev := func(seq int64, after time.Duration) *azeventhubs.ReceivedEventData {
		enqueued := t0.Add(after)
		return &azeventhubs.ReceivedEventData{EventData: azeventhubs.EventData{Body: []byte(fmt.Sprint(seq))},
			EnqueuedTime: &enqueued, SequenceNumber: seq}
	}
	tests := []struct {
		name         string
		since, until time.Time
		last         int64
		batches      [][]*azeventhubs.ReceivedEventData
		wantSeqs     []int64
		wantDone     bool
		wantWant     int
	}{
		{"before the first event, ask for one", t0, time.Time{}, 1000, nil, nil, false, 1},
		{"events before since are dropped (the service reads from whole milliseconds)", t0.Add(500 * time.Microsecond), time.Time{}, 1000,
			[][]*azeventhubs.ReceivedEventData{{ev(5, 0), ev(6, time.Millisecond)}}, []int64{6}, false, receiveCount},
		{"then ask for no more than are left", t0, time.Time{}, 9,
			[][]*azeventhubs.ReceivedEventData{{ev(5, 0)}, {ev(6, 0)}}, []int64{5, 6}, false, 3},
		{"done on receiving the last sequence number", t0, time.Time{}, 7,
			[][]*azeventhubs.ReceivedEventData{{ev(5, 0), ev(6, 0)}, {ev(7, 0)}}, []int64{5, 6, 7}, true, 0},
		{"events after the last are dropped", t0, time.Time{}, 7,
			[][]*azeventhubs.ReceivedEventData{{ev(6, 0), ev(7, 0), ev(8, 0)}}, []int64{6, 7}, true, 0},
		{"done at an event beyond the last", t0, time.Time{}, 7,
			[][]*azeventhubs.ReceivedEventData{{ev(5, 0), ev(9, 0)}}, []int64{5}, true, 0},
		{"done at the first event at or after until", t0, t0.Add(time.Minute), 100,
			[][]*azeventhubs.ReceivedEventData{{ev(5, 0), ev(6, time.Minute-1), ev(7, time.Minute), ev(8, 0)}}, []int64{5, 6}, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cursor{partition: "3", since: tt.since, until: tt.until, last: tt.last}
			for _, events := range tt.batches {
				c.add(events)
			}
			var seqs []int64
			for _, r := range c.out {
				if r.Partition != "3" || string(r.Body) != fmt.Sprint(r.SequenceNumber) {
					t.Errorf("received %+v, want partition 3 and the event's body", r)
				}
				seqs = append(seqs, r.SequenceNumber)
			}
			if !reflect.DeepEqual(seqs, tt.wantSeqs) || c.done != tt.wantDone {
				t.Errorf("kept %v, done %t; want %v, done %t", seqs, c.done, tt.wantSeqs, tt.wantDone)
			}
			if !c.done && c.want() != tt.wantWant {
				t.Errorf("want() = %d, want %d", c.want(), tt.wantWant)
			}
		})
	}
}

func TestCursorUnread(t *testing.T) {
	tests := []struct {
		name    string
		c       cursor
		now     azeventhubs.PartitionProperties
		wantErr string // "" means the read is complete
	}{
		{"nothing received, events retained", cursor{last: 9}, azeventhubs.PartitionProperties{BeginningSequenceNumber: 2, LastEnqueuedSequenceNumber: 12},
			"received nothing in 1m0s, but events up to sequence number 9 are retained"},
		{"nothing received, all expired", cursor{last: 9}, azeventhubs.PartitionProperties{BeginningSequenceNumber: 10, LastEnqueuedSequenceNumber: 12}, ""},
		{"nothing received, partition now empty", cursor{last: 9}, azeventhubs.PartitionProperties{IsEmpty: true, BeginningSequenceNumber: 0}, ""},
		{"stopped early, events retained", cursor{last: 9, started: true, next: 5}, azeventhubs.PartitionProperties{BeginningSequenceNumber: 0, LastEnqueuedSequenceNumber: 9},
			"received nothing after sequence number 4, but events 5 to 9 are retained and were not read"},
		{"stopped early, some expired", cursor{last: 9, started: true, next: 5}, azeventhubs.PartitionProperties{BeginningSequenceNumber: 7, LastEnqueuedSequenceNumber: 11},
			"received nothing after sequence number 4, but events 7 to 9 are retained and were not read"},
		{"stopped early, the rest expired", cursor{last: 9, started: true, next: 5}, azeventhubs.PartitionProperties{BeginningSequenceNumber: 10, LastEnqueuedSequenceNumber: 11}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.unread(tt.now)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
				t.Errorf("error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
