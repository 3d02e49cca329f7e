package functions

import (
	"time"

	"github.com/snowsync/snowsync/internal/task/outcome"
)

// TaskResponse is one task as the tasks API answers it (POST /api/sync, GET /api/tasks[/{id}]) and
// `snowsync tasks --json` prints it: the fields of its audit record under the audit table's property
// names (DESIGN §3). Nil pointers are JSON null; Resources is null when the record lists none.
type TaskResponse struct {
	PartitionKey string `json:"PartitionKey"`
	RowKey       string `json:"RowKey"`

	TaskID       *string           `json:"TaskId"`
	Status       outcome.Status    `json:"Status"`
	Reason       string            `json:"Reason"`
	ErrorType    outcome.ErrorType `json:"ErrorType"`
	ErrorMessage string            `json:"ErrorMessage"`

	Type       string `json:"Type"`
	Source     string `json:"Source"`
	AppType    string `json:"AppType"`
	AppSubType string `json:"AppSubType"`
	CreateTime string `json:"CreateTime"`

	EnqueuedTime time.Time `json:"EnqueuedTime"`
	StartedAt    time.Time `json:"StartedAt"`
	CompletedAt  time.Time `json:"CompletedAt"`
	DurationMs   int64     `json:"DurationMs"`

	EventHub       string `json:"EventHub"`
	ConsumerGroup  string `json:"ConsumerGroup"`
	Partition      string `json:"Partition"`
	Offset         string `json:"Offset"`
	SequenceNumber *int64 `json:"SequenceNumber"`

	ResourceCount  int    `json:"ResourceCount"`
	Synced         int    `json:"Synced"`
	Skipped        int    `json:"Skipped"`
	Failed         int    `json:"Failed"`
	Grants         int    `json:"Grants"`
	Revokes        int    `json:"Revokes"`
	MasksSet       int    `json:"MasksSet"`
	MasksSwapped   int    `json:"MasksSwapped"`
	MasksRemoved   int    `json:"MasksRemoved"`
	FiltersSet     int    `json:"FiltersSet"`
	FiltersSwapped int    `json:"FiltersSwapped"`
	FiltersRemoved int    `json:"FiltersRemoved"`
	DryRun         bool   `json:"DryRun"`
	InvocationID   string `json:"InvocationId"`
	Connector      string `json:"Connector"`
	PolicyVersion  *int64 `json:"PolicyVersion"`
	// PolicyVersionFrom is set on POLICY_CHANGE records only: the version reconciled from.
	PolicyVersionFrom *int64 `json:"PolicyVersionFrom"`

	Resources        []outcome.Resource `json:"Resources"`
	ResourcesOmitted int                `json:"ResourcesOmitted"`
}

// NewTaskResponse returns the answer for t.
func NewTaskResponse(t outcome.Task) TaskResponse {
	c := t.Counts
	return TaskResponse{
		PartitionKey: t.PartitionKey, RowKey: t.RowKey,
		TaskID: t.TaskID, Status: t.Status, Reason: t.Reason, ErrorType: t.ErrorType, ErrorMessage: t.ErrorMessage,
		Type: t.Type, Source: t.Source, AppType: t.AppType, AppSubType: t.AppSubType, CreateTime: t.CreateTime,
		EnqueuedTime: t.EnqueuedTime, StartedAt: t.StartedAt, CompletedAt: t.CompletedAt, DurationMs: t.DurationMs,
		EventHub: t.EventHub, ConsumerGroup: t.ConsumerGroup, Partition: t.Partition, Offset: t.Offset, SequenceNumber: t.SequenceNumber,
		ResourceCount: c.ResourceCount, Synced: c.Synced, Skipped: c.Skipped, Failed: c.Failed, Grants: c.Grants, Revokes: c.Revokes,
		MasksSet: c.MasksSet, MasksSwapped: c.MasksSwapped, MasksRemoved: c.MasksRemoved,
		FiltersSet: c.FiltersSet, FiltersSwapped: c.FiltersSwapped, FiltersRemoved: c.FiltersRemoved,
		DryRun: t.DryRun, InvocationID: t.InvocationID, Connector: t.Connector,
		PolicyVersion: t.PolicyVersion, PolicyVersionFrom: t.PolicyVersionFrom,
		Resources: t.Resources, ResourcesOmitted: t.ResourcesOmitted,
	}
}

// TaskResponses returns the answers for ts: an empty list, not null, when there are none.
func TaskResponses(ts []outcome.Task) []TaskResponse {
	out := make([]TaskResponse, len(ts))
	for i, t := range ts {
		out[i] = NewTaskResponse(t)
	}
	return out
}
