package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
)

// Checkpoint is where the Reconcile function stands (issue 14): the policy document it last applied,
// the drift sweep's cursor, and the lease of the run that holds it. It lives in the body table
// (Bodies), in partition CheckpointPartition, one entity per row name (the applied state and the dry
// run's are kept apart); the applied document is kept whole there too (PutDocument).
//
// Two runs never apply the same version: a run first claims the checkpoint (Claim), an optimistic write
// guarded by the entity's ETag that fails for every run but one, and that other runs then see as held
// until LeaseUntil. The claimed checkpoint is saved (Save) with the same guard, so that a run whose
// lease ran out and was taken over cannot overwrite the newer run's state.
type Checkpoint struct {
	// Version is the policyVersion of the applied document and Sum its SHA-256 (hex); Sum is "" while
	// no document was applied.
	Version int64
	Sum     string
	// CursorDatabase and CursorSchema name the last schema the drift sweep covered; both "" before the
	// first sweep.
	CursorDatabase, CursorSchema string
	// Owner holds the lease until LeaseUntil; "" when no run holds it.
	Owner      string
	LeaseUntil time.Time

	etag azcore.ETag
}

// CheckpointPartition is the partition of the body table that holds checkpoints and applied documents.
const CheckpointPartition = "reconcile"

// ErrLeased is wrapped by Claim's error when another run holds the checkpoint, or claimed it first.
var ErrLeased = errors.New("held by another reconciliation")

// ErrLeaseLost is wrapped by Save's error when the checkpoint changed since it was claimed: the lease
// ran out and another run took it over. Nothing was saved.
var ErrLeaseLost = errors.New("the checkpoint changed since it was claimed (the lease ran out)")

// checkpoint entity properties.
const (
	propCPVersion    = "Version"
	propCPSum        = "Sum"
	propCPDatabase   = "CursorDatabase"
	propCPSchema     = "CursorSchema"
	propCPOwner      = "Owner"
	propCPLeaseUntil = "LeaseUntil"
)

// Claim takes the lease on checkpoint row for owner until until, unless another owner holds it past
// now, and returns the checkpoint as stored (zero, with Sum "", when there is none yet). The error
// wraps ErrLeased when another run holds it or wins the race to claim it.
func (b *Bodies) Claim(ctx context.Context, row, owner string, now, until time.Time) (Checkpoint, error) {
	cp, found, err := b.readCheckpoint(ctx, row)
	if err != nil {
		return cp, err
	}
	if cp.Owner != "" && cp.Owner != owner && cp.LeaseUntil.After(now) {
		return cp, fmt.Errorf("audit: checkpoint %s: %w (%s, until %s)", row, ErrLeased, cp.Owner, cp.LeaseUntil.UTC().Format(time.RFC3339))
	}
	cp.Owner, cp.LeaseUntil = owner, until
	if !found {
		err = withTable(ctx, b.client, &b.tableReady, func() error {
			resp, err := b.client.AddEntity(ctx, b.checkpointEntity(row, cp), nil)
			cp.etag = resp.ETag
			return err
		})
	} else {
		err = b.updateCheckpoint(ctx, row, &cp)
	}
	if hasErrorCode(err, aztables.EntityAlreadyExists) || errors.Is(err, ErrLeaseLost) {
		return cp, fmt.Errorf("audit: checkpoint %s: %w (claimed first by another run)", row, ErrLeased)
	}
	if err != nil {
		return cp, fmt.Errorf("audit: claim checkpoint %s in table %s: %w", row, b.table, err)
	}
	return cp, nil
}

// Save writes cp, which Claim returned, under row if nobody changed it since; release ends the lease.
// The error wraps ErrLeaseLost when the checkpoint changed in between.
func (b *Bodies) Save(ctx context.Context, row string, cp *Checkpoint, release bool) error {
	if release {
		cp.Owner, cp.LeaseUntil = "", time.Time{}
	}
	if err := b.updateCheckpoint(ctx, row, cp); err != nil {
		return fmt.Errorf("audit: save checkpoint %s in table %s: %w", row, b.table, err)
	}
	return nil
}

// updateCheckpoint replaces the checkpoint entity if its ETag is still cp's, and takes the new ETag.
func (b *Bodies) updateCheckpoint(ctx context.Context, row string, cp *Checkpoint) error {
	etag := cp.etag
	resp, err := b.client.UpdateEntity(ctx, b.checkpointEntity(row, *cp), &aztables.UpdateEntityOptions{IfMatch: &etag, UpdateMode: aztables.UpdateModeReplace})
	err = serviceError(err)
	if hasErrorCode(err, aztables.UpdateConditionNotSatisfied) || hasErrorCode(err, aztables.ResourceNotFound) {
		return ErrLeaseLost
	}
	if err == nil {
		cp.etag = resp.ETag
	}
	return err
}

// readCheckpoint reads the checkpoint under row; found is false when there is none (or no table).
func (b *Bodies) readCheckpoint(ctx context.Context, row string) (cp Checkpoint, found bool, err error) {
	resp, err := b.client.GetEntity(ctx, CheckpointPartition, row, nil)
	err = serviceError(err)
	if hasErrorCode(err, aztables.ResourceNotFound) || hasErrorCode(err, aztables.TableNotFound) {
		return cp, false, nil
	}
	if err != nil {
		return cp, false, fmt.Errorf("audit: read checkpoint %s in table %s: %w", row, b.table, err)
	}
	var e aztables.EDMEntity
	if err := json.Unmarshal(resp.Value, &e); err != nil {
		return cp, false, fmt.Errorf("audit: checkpoint %s: decode: %w", row, err)
	}
	p := e.Properties
	version, _ := p[propCPVersion].(aztables.EDMInt64)
	until, _ := p[propCPLeaseUntil].(aztables.EDMDateTime)
	cp = Checkpoint{Version: int64(version), LeaseUntil: time.Time(until), etag: resp.ETag}
	cp.Sum, _ = p[propCPSum].(string)
	cp.CursorDatabase, _ = p[propCPDatabase].(string)
	cp.CursorSchema, _ = p[propCPSchema].(string)
	cp.Owner, _ = p[propCPOwner].(string)
	return cp, true, nil
}

// checkpointEntity encodes cp as the entity under row.
func (b *Bodies) checkpointEntity(row string, cp Checkpoint) []byte {
	e := aztables.EDMEntity{Entity: aztables.Entity{PartitionKey: CheckpointPartition, RowKey: row}, Properties: map[string]any{
		propCPVersion: aztables.EDMInt64(cp.Version), propCPSum: cp.Sum,
		propCPDatabase: cp.CursorDatabase, propCPSchema: cp.CursorSchema,
		propCPOwner: cp.Owner,
	}}
	if !cp.LeaseUntil.IsZero() { // Edm.DateTime starts in 1601: a free lease has no time
		e.Properties[propCPLeaseUntil] = aztables.EDMDateTime(cp.LeaseUntil.UTC())
	}
	data, err := json.Marshal(e)
	if err != nil { // cannot happen: strings, integers and a time
		panic(fmt.Sprintf("audit: encode checkpoint: %v", err))
	}
	return data
}

// documentKey is where the applied document with SHA-256 sum is kept.
func documentKey(sum string) Key {
	return Key{PartitionKey: CheckpointPartition, RowKey: "document-" + sum}
}

// PutDocument keeps the policy document whose SHA-256 (hex) is sum, so that a later run, on any
// instance, can compare the next document with it.
func (b *Bodies) PutDocument(ctx context.Context, sum string, doc []byte) error {
	return b.Put(ctx, documentKey(sum), doc)
}

// Document returns the policy document kept under sum; the error wraps ErrNoBody when there is none.
func (b *Bodies) Document(ctx context.Context, sum string) ([]byte, error) {
	return b.Get(ctx, documentKey(sum))
}
