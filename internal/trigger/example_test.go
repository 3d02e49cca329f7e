package trigger_test

import (
	"encoding/json"
	"fmt"
	"log"

	"github.com/snowsync/snowsync/internal/trigger"
)

func ExampleDecodeBatch() {
	body := `{"Data":{"events":"[\"{\\\"id\\\":\\\"t-1\\\"}\",\"not json\"]"},` +
		`"Metadata":{"PartitionContext":{"EventHubName":"sync-requests","ConsumerGroup":"$Default","PartitionId":"3"},` +
		`"SequenceNumberArray":"[17]","OffsetArray":"[\"4294967296\",\"4294967848\"]",` +
		`"EnqueuedTimeUtcArray":"[\"2026-11-24T10:15:00.123\",\"2026-11-24T10:15:00.456\"]",` +
		`"PartitionKeyArray":"[null,null]","PropertiesArray":"[{},{}]","SystemPropertiesArray":"[{},{}]"}}`
	batch, err := trigger.DecodeBatch([]byte(body), "events")
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range batch.Events {
		seq := "unknown"
		if e.SequenceNumber != nil {
			seq = fmt.Sprint(*e.SequenceNumber)
		}
		fmt.Printf("%s/%s #%s at %s: %s\n", batch.EventHub, e.Partition, seq, e.EnqueuedTime.Format("15:04:05.000Z07:00"), e.Body)
	}
	fmt.Println("warnings:", batch.Warnings)

	resp := trigger.NewResponse()
	resp.SetFailures("failures", []string{`{"errorType":"INVALID_JSON"}`})
	out, err := json.Marshal(resp)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(out))
	// Output:
	// sync-requests/3 #17 at 10:15:00.123Z: {"id":"t-1"}
	// sync-requests/3 #unknown at 10:15:00.456Z: not json
	// warnings: [SequenceNumberArray has 1 entries for 2 events]
	// {"Outputs":{"failures":["{\"errorType\":\"INVALID_JSON\"}"]},"Logs":[],"ReturnValue":null}
}

func ExampleDecodeTimer() {
	body := `{"Data":{"timer":{"Schedule":{"AdjustForDST":true},"ScheduleStatus":{"Last":"2026-12-01T05:00:00+00:00",` +
		`"Next":"2026-12-01T05:05:00+00:00","LastUpdated":"2026-12-01T05:00:00+00:00"},"IsPastDue":true}},` +
		`"Metadata":{"sys":{"MethodName":"Reconcile","UtcNow":"2026-12-01T05:07:12.5Z","RandGuid":"35e6e68c-5583-436c-a277-5aec2b416ba8"}}}`
	timer, err := trigger.DecodeTimer([]byte(body), "timer")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(timer.Sys.MethodName, "past due:", timer.PastDue, "scheduled next:", timer.Status.Next.Format("15:04"))
	// Output: Reconcile past due: true scheduled next: 05:05
}
