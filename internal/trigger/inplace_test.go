package trigger

import (
	"bytes"
	"encoding/json"
	"io"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"
)

// referenceBodies decodes Data.<binding> with encoding/json, as DecodeBatch did before it decoded in
// place; ok is false when that fails.
func referenceBodies(body []byte, binding string) (bodies []*string, ok bool) {
	var env struct {
		Data map[string]json.RawMessage `json:"Data"`
	}
	if json.Unmarshal(body, &env) != nil {
		return nil, false
	}
	raw, found := lookup(env.Data, binding)
	if !found || isNull(raw) || decodeValue(raw, &bodies) != nil {
		return nil, false
	}
	return bodies, true
}

// checkAgainstReference fails when DecodeBatchInPlace and encoding/json disagree on body (valid UTF-8).
func checkAgainstReference(t *testing.T, body []byte) {
	t.Helper()
	want, ok := referenceBodies(body, "events")
	got, err := DecodeBatchInPlace(bytes.Clone(body), "events")
	if ok != (err == nil) {
		t.Fatalf("encoding/json ok %v, DecodeBatchInPlace error %v, for %.200q", ok, err, body)
	}
	if !ok {
		return
	}
	if len(got.Events) != len(want) {
		t.Fatalf("%d events, encoding/json finds %d", len(got.Events), len(want))
	}
	for i, w := range want {
		if g := got.Events[i].Body; (w == nil) != (g == nil) || w != nil && string(g) != *w {
			t.Errorf("event %d: %q, encoding/json decodes %q", i, g, derefBody(w))
		}
	}
}

func derefBody(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func TestDecodeBatchInPlaceMatchesEncodingJSON(t *testing.T) {
	var hostile strings.Builder
	for r := rune(0); r < 0x800; r++ {
		hostile.WriteRune(r)
	}
	bodies := []string{"", `{"id":"a","type":"RESOURCE_SYNC"}`, hostile.String(), `\"\\\/` + "\u2028\U0001D11E", strings.Repeat("\x01\"", 5000)}
	for _, plain := range []bool{false, true} {
		var events []OutgoingEvent
		for i, b := range bodies {
			events = append(events, OutgoingEvent{Body: []byte(b), SequenceNumber: int64(i)})
		}
		body, err := EncodeBatch(OutgoingBatch{Binding: "events", Events: events}, EncodeOptions{Plain: plain})
		if err != nil {
			t.Fatal(err)
		}
		checkAgainstReference(t, body)
	}
	for _, body := range []string{
		` { "Metadata" : {} , "data" : { "other" : [1, {"a": "]"}], "Events" : "[\"folded\"]" } } `,
		`{"Data":{"Events":"[\"folded\"]","events":"[\"exact\", null]"}}`,
		`{"Data":{"events":"[\"\\ud800\\udc00\\ud800x\\udc00\"]"}}`,
		`{"Data":{"events":["a\u0000b", "\ud834\udd1e"]}}`,
		`{"Data":"x"}`, `{"Data":null}`, `{"Data":{"events":"[\"a\",]"}}`, `{"Data":{"events":true}}`,
	} {
		checkAgainstReference(t, []byte(body))
	}
}

func FuzzDecodeBatch(f *testing.F) {
	f.Add([]byte(`{"Data":{"events":"[\"{\\\"id\\\":1}\",null]"},"Metadata":{"SequenceNumberArray":"[1,2]"}}`))
	f.Add([]byte(`{"Data":{"events":["a\u0000b"]}}`))
	f.Add([]byte(`{"Data":{"events":"[\"\\ud800\"]"}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if !utf8.Valid(body) { // DecodeBatchInPlace keeps invalid bytes where encoding/json writes U+FFFD
			_, _ = DecodeBatch(body, "events") // must not panic
			return
		}
		checkAgainstReference(t, body)
	})
}

func BenchmarkDecodeBatch(b *testing.B) {
	// The largest batch the trigger delivers with host.json's defaults: 50 events of 1 MiB, the Event
	// Hubs limit; JSON request bodies, escaped twice on the wire (in the array, and the array in a string).
	event := []byte(`{"id":"x","type":"RESOURCE_SYNC","source":"KAFKA","requestInfo":{"resources":[` +
		strings.Repeat(`{"type":"table","values":{"database":"SALES","schema":"PUBLIC","table":"ORDERS_0001"}},`, 12600)[:1<<20-200] + `]}}`)
	var events []OutgoingEvent
	for i := range 50 {
		events = append(events, OutgoingEvent{Body: event, SequenceNumber: int64(i)})
	}
	body, err := EncodeBatch(OutgoingBatch{Binding: "events", Events: events}, EncodeOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("request of %d MiB for %d MiB of events", len(body)>>20, 50*len(event)>>20)
	// Each side reads the request as the handler does, then decodes it; peak-MiB is the most heap that
	// was in use during an operation, over what was in use before it.
	b.Run("before: ReadAll and encoding/json", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		peak := watchHeap(b)
		for b.Loop() {
			peak.start()
			read, err := io.ReadAll(bytes.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			bodies, ok := referenceBodies(read, "events")
			if !ok || len(bodies) != 50 {
				b.Fatal("decode failed")
			}
			events := make([][]byte, len(bodies))
			for i, s := range bodies {
				events[i] = []byte(*s) // as DecodeBatch did
			}
			peak.stop(events)
		}
	})
	b.Run("after: Content-Length buffer, in place", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		peak := watchHeap(b)
		for b.Loop() {
			peak.start()
			read := make([]byte, len(body))
			if _, err := io.ReadFull(bytes.NewReader(body), read); err != nil {
				b.Fatal(err)
			}
			got, err := DecodeBatchInPlace(read, "events")
			if err != nil || len(got.Events) != 50 {
				b.Fatal(err)
			}
			peak.stop(got)
		}
	})
}

// heapWatch samples the live heap while a benchmark operation runs.
type heapWatch struct {
	b        *testing.B
	base     uint64
	max      atomic.Uint64
	done     chan struct{}
	finished chan struct{}
	peaks    []float64
}

func watchHeap(b *testing.B) *heapWatch {
	w := &heapWatch{b: b}
	b.Cleanup(func() {
		var sum float64
		for _, p := range w.peaks {
			sum += p
		}
		if len(w.peaks) > 0 {
			b.ReportMetric(sum/float64(len(w.peaks)), "peak-MiB")
		}
	})
	return w
}

func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func (w *heapWatch) start() {
	w.b.StopTimer()
	runtime.GC()
	w.base = liveHeap()
	w.max.Store(w.base)
	w.done, w.finished = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(w.finished)
		for {
			if h := liveHeap(); h > w.max.Load() {
				w.max.Store(h)
			}
			select {
			case <-w.done:
				return
			case <-time.After(100 * time.Microsecond):
			}
		}
	}()
	w.b.StartTimer()
}

// stop ends the operation; keep is its result, alive until the end of the operation.
func (w *heapWatch) stop(keep any) {
	w.b.StopTimer()
	if h := liveHeap(); h > w.max.Load() {
		w.max.Store(h)
	}
	close(w.done)
	<-w.finished
	runtime.KeepAlive(keep)
	w.peaks = append(w.peaks, float64(w.max.Load()-w.base)/(1<<20))
	w.b.StartTimer()
}
