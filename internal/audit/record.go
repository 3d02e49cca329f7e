package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"github.com/snowsync/snowsync/internal/task/outcome"
)

// The record of a task is its outcome.Task, stored as one Table Storage entity per event (DESIGN §3)
// under the property names below; this file maps one to the other.
//
// Times are stored as Edm.DateTime in UTC at Table Storage's 100 ns precision; a zero time is not
// stored and reads back as zero. TaskID, SequenceNumber, PolicyVersion and PolicyVersionFrom are not
// stored when nil; the last three are Edm.Int64. A record whose times are UTC and whole multiples of
// 100 ns, and whose strings fit the limits below, reads back equal to the record written.
//
// Table Storage caps a string property at 32K UTF-16 code units and an entity at 1 MiB, and a
// record that cannot be stored would block its whole batch, so Put shortens what does not fit:
// Reason and ErrorMessage to 32K UTF-16 code units, the other strings to 1K, each ending in
// "…[truncated]". Resources is stored as a JSON array in one string property; when the array does
// not fit, Put keeps the longest prefix of resources that fits and adds how many it left out to
// ResourcesOmitted.

// Key identifies one record.
type Key struct {
	PartitionKey, RowKey string
}

// KeyOf returns the key of t's record.
func KeyOf(t outcome.Task) Key { return Key{PartitionKey: t.PartitionKey, RowKey: t.RowKey} }

// PartitionKeyFor returns the partition key for a task processed at t: the UTC date, YYYY-MM-DD.
// List's time filter assumes records are partitioned by the date of StartedAt.
func PartitionKeyFor(t time.Time) string {
	return t.UTC().Format(time.DateOnly)
}

// RowKeyForEvent returns the row key of the event at sequenceNumber in an Event Hub partition as
// read by a consumer group: "<eventHub>_<consumerGroup>_<partition>_<sequenceNumber>", with the
// sequence number zero-padded to 20 digits so that keys of one partition sort in event order, e.g.
// "sync-requests_$Default_3_00000000000000000017". The same event always gets the same key, so a
// re-delivery overwrites its record instead of adding one.
//
// Letters, digits, '.', '$' and '-' are kept; every other byte of a name, including '_' and '~',
// is written as "~XX" (hexadecimal). The key is thus free of the characters Table Storage forbids
// in keys ('/', '\\', '#', '?', control characters) and distinct events never share a key.
func RowKeyForEvent(eventHub, consumerGroup, partition string, sequenceNumber int64) string {
	return KeyPart(eventHub) + "_" + KeyPart(consumerGroup) + "_" + KeyPart(partition) + "_" +
		fmt.Sprintf("%020d", sequenceNumber)
}

// KeyPart writes s so that it can be part of a row key, as RowKeyForEvent writes each of its names.
func KeyPart(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '$', c == '-':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "~%02X", c)
		}
	}
	return b.String()
}

// maxKeyLen is Table Storage's limit on PartitionKey and RowKey: 1 KiB of UTF-16.
const maxKeyLen = 512

// checkKey reports whether k can key an entity. Besides the characters Table Storage forbids it
// rejects the single quote: aztables puts keys into transaction URLs without escaping it.
func checkKey(name, k string) error {
	switch {
	case k == "":
		return fmt.Errorf("%s is empty", name)
	case utf16Len(k) > maxKeyLen:
		return fmt.Errorf("%s is longer than %d UTF-16 code units", name, maxKeyLen)
	case !utf8.ValidString(k):
		return fmt.Errorf("%s %q is not valid UTF-8", name, k)
	}
	for _, r := range k {
		if strings.ContainsRune(`/\#?'`, r) || r < 0x20 || (0x7f <= r && r <= 0x9f) {
			return fmt.Errorf("%s %q contains %q, which a table key cannot hold", name, k, r)
		}
	}
	return nil
}

// Property names of the entity, exactly as DESIGN §3 and the seed product name them.
const (
	propTaskID             = "TaskId"
	propStatus             = "Status"
	propReason             = "Reason"
	propErrorType          = "ErrorType"
	propErrorMessage       = "ErrorMessage"
	propType               = "Type"
	propSource             = "Source"
	propAppType            = "AppType"
	propAppSubType         = "AppSubType"
	propCreateTime         = "CreateTime"
	propEnqueuedTime       = "EnqueuedTime"
	propStartedAt          = "StartedAt"
	propCompletedAt        = "CompletedAt"
	propDurationMs         = "DurationMs"
	propEventHub           = "EventHub"
	propConsumerGroup      = "ConsumerGroup"
	propPartition          = "Partition"
	propOffset             = "Offset"
	propSequenceNumber     = "SequenceNumber"
	propResourceCount      = "ResourceCount"
	propSynced             = "Synced"
	propSkipped            = "Skipped"
	propFailed             = "Failed"
	propGrants             = "Grants"
	propRevokes            = "Revokes"
	propMasksSet           = "MasksSet"
	propMasksSwapped       = "MasksSwapped"
	propMasksRemoved       = "MasksRemoved"
	propFiltersSet         = "FiltersSet"
	propFiltersSwapped     = "FiltersSwapped"
	propFiltersRemoved     = "FiltersRemoved"
	propDryRun             = "DryRun"
	propInvocationID       = "InvocationId"
	propConnector          = "Connector"
	propPolicyVersion      = "PolicyVersion"
	propPolicyVersionFrom  = "PolicyVersionFrom"
	propResources          = "Resources"
	propResourcesTruncated = "ResourcesTruncated"
	propResourcesOmitted   = "ResourcesOmitted"
)

// String limits, in UTF-16 code units (Table Storage measures strings so).
const (
	maxTextLen  = 32 << 10 // a string property holds at most 64 KiB of UTF-16
	maxShortLen = 1 << 10  // identifiers and metadata; keeps the entity far below 1 MiB
)

// truncationMark ends a string that was shortened to fit.
const truncationMark = "…[truncated]"

// entity converts r to the Table Storage entity Put writes, shortening what does not fit.
func entity(r outcome.Task) (aztables.EDMEntity, error) {
	resources, omitted, err := encodeResources(r.Resources, maxTextLen)
	if err != nil {
		return aztables.EDMEntity{}, err
	}
	short := func(s string) string { return clip(s, maxShortLen) }
	p := map[string]any{
		propStatus:         short(string(r.Status)),
		propReason:         clip(r.Reason, maxTextLen),
		propErrorType:      short(string(r.ErrorType)),
		propErrorMessage:   clip(r.ErrorMessage, maxTextLen),
		propType:           short(r.Type),
		propSource:         short(r.Source),
		propAppType:        short(r.AppType),
		propAppSubType:     short(r.AppSubType),
		propCreateTime:     short(r.CreateTime),
		propDurationMs:     aztables.EDMInt64(r.DurationMs),
		propEventHub:       short(r.EventHub),
		propConsumerGroup:  short(r.ConsumerGroup),
		propPartition:      short(r.Partition),
		propOffset:         short(r.Offset),
		propResourceCount:  int32(r.ResourceCount),
		propSynced:         int32(r.Synced),
		propSkipped:        int32(r.Skipped),
		propFailed:         int32(r.Failed),
		propGrants:         int32(r.Grants),
		propRevokes:        int32(r.Revokes),
		propMasksSet:       int32(r.MasksSet),
		propMasksSwapped:   int32(r.MasksSwapped),
		propMasksRemoved:   int32(r.MasksRemoved),
		propFiltersSet:     int32(r.FiltersSet),
		propFiltersSwapped: int32(r.FiltersSwapped),
		propFiltersRemoved: int32(r.FiltersRemoved),
		propDryRun:         r.DryRun,
		propInvocationID:   short(r.InvocationID),
		propConnector:      short(r.Connector),
	}
	if r.TaskID != nil {
		p[propTaskID] = short(*r.TaskID)
	}
	if r.SequenceNumber != nil {
		p[propSequenceNumber] = aztables.EDMInt64(*r.SequenceNumber)
	}
	if r.PolicyVersion != nil {
		p[propPolicyVersion] = aztables.EDMInt64(*r.PolicyVersion)
	}
	if r.PolicyVersionFrom != nil {
		p[propPolicyVersionFrom] = aztables.EDMInt64(*r.PolicyVersionFrom)
	}
	for name, t := range map[string]time.Time{propEnqueuedTime: r.EnqueuedTime, propStartedAt: r.StartedAt, propCompletedAt: r.CompletedAt} {
		if !t.IsZero() {
			p[name] = aztables.EDMDateTime(t.UTC())
		}
	}
	if r.Resources != nil {
		p[propResources] = resources
	}
	if omitted += r.ResourcesOmitted; omitted > 0 {
		p[propResourcesTruncated] = true
		p[propResourcesOmitted] = int32(omitted)
	}
	return aztables.EDMEntity{
		Entity:     aztables.Entity{PartitionKey: r.PartitionKey, RowKey: r.RowKey},
		Properties: p,
	}, nil
}

// taskFrom converts a stored entity back to the task it records.
func taskFrom(e aztables.EDMEntity) (outcome.Task, error) {
	p := propReader{props: e.Properties}
	r := outcome.Task{
		PartitionKey:  e.PartitionKey,
		RowKey:        e.RowKey,
		TaskID:        optional[string](&p, propTaskID),
		Status:        outcome.Status(get[string](&p, propStatus)),
		Reason:        get[string](&p, propReason),
		ErrorType:     outcome.ErrorType(get[string](&p, propErrorType)),
		ErrorMessage:  get[string](&p, propErrorMessage),
		Type:          get[string](&p, propType),
		Source:        get[string](&p, propSource),
		AppType:       get[string](&p, propAppType),
		AppSubType:    get[string](&p, propAppSubType),
		CreateTime:    get[string](&p, propCreateTime),
		EnqueuedTime:  p.time(propEnqueuedTime),
		StartedAt:     p.time(propStartedAt),
		CompletedAt:   p.time(propCompletedAt),
		DurationMs:    int64(get[aztables.EDMInt64](&p, propDurationMs)),
		EventHub:      get[string](&p, propEventHub),
		ConsumerGroup: get[string](&p, propConsumerGroup),
		Partition:     get[string](&p, propPartition),
		Offset:        get[string](&p, propOffset),
		Counts: outcome.Counts{
			ResourceCount: int(get[int32](&p, propResourceCount)),
			Synced:        int(get[int32](&p, propSynced)),
			Skipped:       int(get[int32](&p, propSkipped)),
			Failed:        int(get[int32](&p, propFailed)),
			Grants:        int(get[int32](&p, propGrants)),
			Revokes:       int(get[int32](&p, propRevokes)),
			PolicyChanges: outcome.PolicyChanges{
				MasksSet:       int(get[int32](&p, propMasksSet)),
				MasksSwapped:   int(get[int32](&p, propMasksSwapped)),
				MasksRemoved:   int(get[int32](&p, propMasksRemoved)),
				FiltersSet:     int(get[int32](&p, propFiltersSet)),
				FiltersSwapped: int(get[int32](&p, propFiltersSwapped)),
				FiltersRemoved: int(get[int32](&p, propFiltersRemoved)),
			},
		},
		DryRun:           get[bool](&p, propDryRun),
		InvocationID:     get[string](&p, propInvocationID),
		Connector:        get[string](&p, propConnector),
		ResourcesOmitted: int(get[int32](&p, propResourcesOmitted)),
	}
	if seq := optional[aztables.EDMInt64](&p, propSequenceNumber); seq != nil {
		r.SequenceNumber = (*int64)(seq)
	}
	if v := optional[aztables.EDMInt64](&p, propPolicyVersion); v != nil {
		r.PolicyVersion = (*int64)(v)
	}
	if v := optional[aztables.EDMInt64](&p, propPolicyVersionFrom); v != nil {
		r.PolicyVersionFrom = (*int64)(v)
	}
	if resources := optional[string](&p, propResources); resources != nil {
		if err := json.Unmarshal([]byte(*resources), &r.Resources); err != nil {
			p.fail(fmt.Errorf("property %s: %w", propResources, err))
		}
	}
	if p.err != nil {
		return outcome.Task{}, fmt.Errorf("audit: decode entity %q/%q: %w", e.PartitionKey, e.RowKey, p.err)
	}
	return r, nil
}

// propReader reads typed properties of an entity, keeping the first type mismatch.
type propReader struct {
	props map[string]any
	err   error
}

func (p *propReader) fail(err error) {
	if p.err == nil {
		p.err = err
	}
}

// optional returns the property's value, or nil when the entity does not have it.
func optional[T any](p *propReader, name string) *T {
	v, ok := p.props[name]
	if !ok || v == nil {
		return nil
	}
	t, ok := v.(T)
	if !ok {
		p.fail(fmt.Errorf("property %s: want %T, got %T", name, t, v))
		return nil
	}
	return &t
}

// get returns the property's value, or T's zero value when the entity does not have it.
func get[T any](p *propReader, name string) T {
	if v := optional[T](p, name); v != nil {
		return *v
	}
	var zero T
	return zero
}

func (p *propReader) time(name string) time.Time {
	if v := optional[aztables.EDMDateTime](p, name); v != nil {
		return time.Time(*v).UTC()
	}
	return time.Time{}
}

// encodeResources renders rs as the JSON stored in the Resources property. When the JSON is longer
// than limit UTF-16 code units it keeps the longest prefix of rs that fits and returns how many
// resources it left out.
func encodeResources(rs []outcome.Resource, limit int) (string, int, error) {
	full, err := marshalResources(rs)
	if err != nil || utf16Len(full) <= limit {
		return full, 0, err
	}
	// The encoding of a prefix grows with its length: search for the longest prefix that fits.
	lo, hi := 0, len(rs)-1 // the empty prefix always fits; the whole list does not
	best := "[]"
	for lo < hi {
		mid := (lo + hi + 1) / 2
		s, err := marshalResources(rs[:mid])
		if err != nil {
			return "", 0, err
		}
		if utf16Len(s) <= limit {
			lo, best = mid, s
		} else {
			hi = mid - 1
		}
	}
	return best, len(rs) - lo, nil
}

func marshalResources(rs []outcome.Resource) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // "\u0026" would spend six of the 32K code units on one '&'
	if err := enc.Encode(rs); err != nil {
		return "", fmt.Errorf("audit: encode resources: %w", err)
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// clip returns s, or when s is longer than limit UTF-16 code units, a prefix of s ending in
// truncationMark that is limit units long at most. It never splits a character.
func clip(s string, limit int) string {
	if utf16Len(s) <= limit {
		return s
	}
	budget := limit - utf16Len(truncationMark)
	n := 0
	for i, r := range s {
		w := utf16.RuneLen(r) // ranging over a string yields valid runes only
		if n+w > budget {
			return s[:i] + truncationMark
		}
		n += w
	}
	return s // unreachable: s is longer than limit
}

// utf16Len is the length of s in UTF-16 code units, as Table Storage counts it.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}
