package audit

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
)

// DefaultBodyTable is the table of Bodies when Options.Table is empty
// (CONNECTOR_ON_DEMAND_V2_AUDIT_BODY_TABLE_NAME's default).
const DefaultBodyTable = "OnDemandSyncBodies"

// Bodies keeps the whole bodies of failed events whose failure events carry only the start of the
// body (failure.Event.OriginalMessageTruncated), so that a replay can restore them.
//
// They live in a table of the audit store's account, reached with the same connection or identity:
// no other service or SDK is needed. A body is stored under its event's audit key, cut into entities
// of BodyChunk bytes, each in binary properties of 64 KiB (Table Storage's limits: 64 KiB a property,
// 1 MiB an entity, which Azurite measures on the base64-encoded request). Entity i has RowKey "<audit row key>-<i, 5 digits>"; entity 0 also carries the
// body's length, SHA-256 and number of entities, and is written last, so a body is readable only once
// whole. Every write is an upsert: a re-delivered event stores the same body again.
type Bodies struct {
	client     *aztables.Client
	table      string
	tableReady atomic.Bool
}

// Body storage layout.
const (
	bodyProperty   = 64 << 10 // bytes in one binary property
	bodyProperties = 8        // binary properties in one entity: 512 KiB, 683 KiB base64-encoded
	// BodyChunk is how many bytes of a body one entity holds.
	BodyChunk = bodyProperty * bodyProperties
	// maxBodyChunks bounds the entities of one body (a 5-digit suffix): 75 GiB.
	maxBodyChunks = 100000
)

// NewBodies returns the body table of conn named in opts (DefaultBodyTable when empty). Like NewStore it
// does not contact the service; Put creates the table on first use.
func NewBodies(conn Connection, opts *Options) (*Bodies, error) {
	if opts == nil {
		opts = &Options{}
	}
	svc, err := newServiceClient(conn, opts)
	if err != nil {
		return nil, err
	}
	table := cmp.Or(opts.Table, DefaultBodyTable)
	return &Bodies{client: svc.NewClient(table), table: table}, nil
}

// Table is the name of the table bodies are kept in.
func (b *Bodies) Table() string { return b.table }

// Location names where bodies are kept, as failure events say it: "table:" and the table name.
func (b *Bodies) Location() string { return "table:" + b.table }

// Put stores body under key, replacing what was stored there.
func (b *Bodies) Put(ctx context.Context, key Key, body []byte) error {
	if err := errors.Join(checkKey("PartitionKey", key.PartitionKey), checkKey("RowKey", key.RowKey)); err != nil {
		return fmt.Errorf("audit: put body: %w: %w", ErrInvalidKey, err)
	}
	chunks := max(1, (len(body)+BodyChunk-1)/BodyChunk)
	if chunks > maxBodyChunks {
		return fmt.Errorf("audit: put body %s/%s: %d bytes is over the limit of %d", key.PartitionKey, key.RowKey, len(body), maxBodyChunks*BodyChunk)
	}
	sum := sha256.Sum256(body)
	for i := chunks - 1; i >= 0; i-- { // entity 0 last: it makes the body visible
		chunk := body[min(i*BodyChunk, len(body)):min((i+1)*BodyChunk, len(body))]
		e := aztables.EDMEntity{Entity: aztables.Entity{PartitionKey: key.PartitionKey, RowKey: bodyRowKey(key.RowKey, i)},
			Properties: map[string]any{}}
		for j := 0; j*bodyProperty < len(chunk); j++ {
			e.Properties[fmt.Sprintf("D%02d", j)] = aztables.EDMBinary(chunk[j*bodyProperty : min((j+1)*bodyProperty, len(chunk))])
		}
		if i == 0 {
			e.Properties["Length"] = aztables.EDMInt64(len(body))
			e.Properties["Sha256"] = hex.EncodeToString(sum[:])
			e.Properties["Chunks"] = int32(chunks)
		}
		data, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("audit: put body %s/%s: encode: %w", key.PartitionKey, key.RowKey, err)
		}
		err = withTable(ctx, b.client, &b.tableReady, func() error {
			_, err := b.client.UpsertEntity(ctx, data, &aztables.UpsertEntityOptions{UpdateMode: aztables.UpdateModeReplace})
			return err
		})
		if err != nil {
			return fmt.Errorf("audit: put body %s/%s in table %s: %w", key.PartitionKey, key.RowKey, b.table, err)
		}
	}
	return nil
}

// ErrNoBody is wrapped by Get's error when no whole body is stored under the key.
var ErrNoBody = errors.New("no body stored")

// Get returns the body stored under key, checked against its stored length and SHA-256.
func (b *Bodies) Get(ctx context.Context, key Key) ([]byte, error) {
	first, err := b.chunk(ctx, key, 0)
	if err != nil {
		return nil, err
	}
	length, _ := first.Properties["Length"].(aztables.EDMInt64)
	chunks, _ := first.Properties["Chunks"].(int32)
	want, _ := first.Properties["Sha256"].(string)
	if chunks < 1 || length < 0 {
		return nil, fmt.Errorf("audit: body %s/%s: entity 0 has no length or chunk count", key.PartitionKey, key.RowKey)
	}
	body := bytes.NewBuffer(make([]byte, 0, int(length)))
	for i := range int(chunks) {
		e := first
		if i > 0 {
			if e, err = b.chunk(ctx, key, i); err != nil {
				return nil, err
			}
		}
		for j := 0; ; j++ {
			d, ok := e.Properties[fmt.Sprintf("D%02d", j)].(aztables.EDMBinary)
			if !ok {
				break
			}
			body.Write(d)
		}
	}
	sum := sha256.Sum256(body.Bytes())
	if body.Len() != int(length) || hex.EncodeToString(sum[:]) != want {
		return nil, fmt.Errorf("audit: body %s/%s: %d bytes stored do not match the recorded length %d and SHA-256",
			key.PartitionKey, key.RowKey, body.Len(), length)
	}
	return body.Bytes(), nil
}

// chunk reads entity i of the body under key.
func (b *Bodies) chunk(ctx context.Context, key Key, i int) (aztables.EDMEntity, error) {
	var e aztables.EDMEntity
	resp, err := b.client.GetEntity(ctx, key.PartitionKey, bodyRowKey(key.RowKey, i), nil)
	err = serviceError(err)
	if hasErrorCode(err, aztables.ResourceNotFound) || hasErrorCode(err, aztables.TableNotFound) {
		return e, fmt.Errorf("audit: body %s/%s (entity %d) in table %s: %w", key.PartitionKey, key.RowKey, i, b.table, ErrNoBody)
	}
	if err != nil {
		return e, fmt.Errorf("audit: read body %s/%s in table %s: %w", key.PartitionKey, key.RowKey, b.table, err)
	}
	if err := json.Unmarshal(resp.Value, &e); err != nil {
		return e, fmt.Errorf("audit: body %s/%s: decode entity %d: %w", key.PartitionKey, key.RowKey, i, err)
	}
	return e, nil
}

func bodyRowKey(rowKey string, i int) string { return fmt.Sprintf("%s-%05d", rowKey, i) }
