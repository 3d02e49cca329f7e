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
	"io"
	"maps"
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
// whole. Every write is an upsert: a re-delivered event stores the same body again. A body is read back
// whole (Get); it is written as a stream (PutStream), so a body larger than memory can be kept.
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
	_, _, err := b.PutStream(ctx, key, bytes.NewReader(body))
	return err
}

// PutStream stores what r yields under key, replacing what was stored there, and returns its length
// and SHA-256 (hex). It holds two entities' bytes at a time, whatever the length: entity 0 waits in
// memory to be written last.
func (b *Bodies) PutStream(ctx context.Context, key Key, r io.Reader) (int64, string, error) {
	if err := errors.Join(checkKey("PartitionKey", key.PartitionKey), checkKey("RowKey", key.RowKey)); err != nil {
		return 0, "", fmt.Errorf("audit: put body: %w: %w", ErrInvalidKey, err)
	}
	h := sha256.New()
	var first []byte
	var length int64
	chunk := make([]byte, BodyChunk)
	finish := func(chunks int) (int64, string, error) { // entity 0, with the totals, makes the body visible
		sum := hex.EncodeToString(h.Sum(nil))
		return length, sum, b.putChunk(ctx, key, 0, first, map[string]any{
			"Length": aztables.EDMInt64(length), "Sha256": sum, "Chunks": int32(chunks)})
	}
	for i := 0; ; i++ {
		n, err := io.ReadFull(r, chunk)
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			return 0, "", fmt.Errorf("audit: put body %s/%s: read: %w", key.PartitionKey, key.RowKey, err)
		}
		if n == 0 && i > 0 {
			return finish(i)
		}
		if i == maxBodyChunks {
			return 0, "", fmt.Errorf("audit: put body %s/%s: over the limit of %d bytes", key.PartitionKey, key.RowKey, int64(maxBodyChunks)*BodyChunk)
		}
		h.Write(chunk[:n])
		length += int64(n)
		if i == 0 {
			first, chunk = chunk[:n], make([]byte, BodyChunk)
		} else if err := b.putChunk(ctx, key, i, chunk[:n], nil); err != nil {
			return 0, "", err
		}
		if n < BodyChunk {
			return finish(i + 1)
		}
	}
}

// putChunk upserts entity i of the body under key, holding data and the extra properties.
func (b *Bodies) putChunk(ctx context.Context, key Key, i int, data []byte, extra map[string]any) error {
	e := aztables.EDMEntity{Entity: aztables.Entity{PartitionKey: key.PartitionKey, RowKey: bodyRowKey(key.RowKey, i)},
		Properties: map[string]any{}}
	for j := 0; j*bodyProperty < len(data); j++ {
		e.Properties[fmt.Sprintf("D%02d", j)] = aztables.EDMBinary(data[j*bodyProperty : min((j+1)*bodyProperty, len(data))])
	}
	maps.Copy(e.Properties, extra)
	enc, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("audit: put body %s/%s: encode: %w", key.PartitionKey, key.RowKey, err)
	}
	err = withTable(ctx, b.client, &b.tableReady, func() error {
		_, err := b.client.UpsertEntity(ctx, enc, &aztables.UpsertEntityOptions{UpdateMode: aztables.UpdateModeReplace})
		return err
	})
	if err != nil {
		return fmt.Errorf("audit: put body %s/%s in table %s: %w", key.PartitionKey, key.RowKey, b.table, err)
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
