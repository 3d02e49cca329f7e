package functionhost_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/snowsync/snowsync/internal/testing/functionhost"
	"github.com/snowsync/snowsync/internal/trigger"
)

// A custom handler that fails every event whose body is not JSON, driven by the stand-in.
func ExampleHost_Deliver() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("POST /OnDemandSync", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		batch, err := trigger.DecodeBatch(body, "events")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var failures []string
		for _, e := range batch.Events {
			if !json.Valid(e.Body) {
				failures = append(failures, fmt.Sprintf(`{"sequenceNumber":%d}`, *e.SequenceNumber))
			}
		}
		resp := trigger.NewResponse()
		resp.SetFailures("failures", failures)
		resp.Logs = append(resp.Logs, fmt.Sprintf("partition %s: %d events", batch.PartitionID, len(batch.Events)))
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(resp); err != nil {
			log.Print(err)
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	fn, err := functionhost.LoadFunction("testdata/OnDemandSync")
	if err != nil {
		log.Fatal(err)
	}
	host := functionhost.New(srv.URL, fn, &functionhost.Options{EventHub: "sync-requests"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := host.WaitReady(ctx); err != nil {
		log.Fatal(err)
	}
	res := host.Deliver(ctx, functionhost.Delivery{Partition: "0", Events: []trigger.OutgoingEvent{
		{Body: []byte(`{"type":"RESOURCE_SYNC"}`), SequenceNumber: 1, Offset: "0", EnqueuedTime: time.Now()},
		{Body: []byte(`not json`), SequenceNumber: 2, Offset: "120", EnqueuedTime: time.Now()},
	}})
	fmt.Println(res.Attempts, res.Status, res.Err)
	fmt.Println(res.Failures)
	fmt.Println(res.Logs)
	// Output:
	// 1 200 <nil>
	// [{"sequenceNumber":2}]
	// [partition 0: 2 events]
}
