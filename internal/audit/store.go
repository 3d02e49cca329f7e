// Package audit keeps the audit trail of sync tasks in Azure Table Storage (DESIGN §3): one entity
// per event, keyed by the event's position in its Event Hub so that a re-delivered batch overwrites
// its records instead of adding new ones.
//
// Writes go in entity-group transactions, one per partition key and up to 100 entities and 4 MiB
// each, so a batch of 50 events costs one round trip. Every write is an upsert (insert or
// replace): a failed batch can be written again whole, which is what makes at-least-once delivery
// leave exactly one record per event.
package audit

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"golang.org/x/sync/errgroup"

	"github.com/snowsync/snowsync/internal/guard"
	"github.com/snowsync/snowsync/internal/task/outcome"
)

// DefaultTable is the table used when Options.Table is empty
// (CONNECTOR_ON_DEMAND_V2_AUDIT_TABLE_NAME's default).
const DefaultTable = "OnDemandSyncTasks"

// Azurite's well-known development account. Its key is public: Azurite documents it.
const (
	DevelopmentAccountName = "devstoreaccount1"
	DevelopmentAccountKey  = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// developmentTableEndpoint is where "UseDevelopmentStorage=true" points: Azurite's default table port.
const developmentTableEndpoint = "http://127.0.0.1:10002/" + DevelopmentAccountName

// DevelopmentConnectionString returns the explicit connection string of Azurite's development
// account with its table service at tableEndpoint (http://HOST:PORT/devstoreaccount1).
func DevelopmentConnectionString(tableEndpoint string) string {
	return "DefaultEndpointsProtocol=http;AccountName=" + DevelopmentAccountName +
		";AccountKey=" + DevelopmentAccountKey + ";TableEndpoint=" + tableEndpoint + ";"
}

// Connection says how to reach the table service: either ConnectionString, or ServiceURL with
// Credential for identity-based access (the …__tableServiceUri setting). ServiceURL without
// Credential is used as is, e.g. with a SAS token in its query.
type Connection struct {
	// ConnectionString is an Azure Storage connection string, with an account key or a SAS (see
	// parseConnectionString). "UseDevelopmentStorage=true" means Azurite's development account on
	// 127.0.0.1:10002.
	ConnectionString string
	ServiceURL       string
	Credential       azcore.TokenCredential
}

// Options configures a Store. A nil *Options means the defaults.
type Options struct {
	// Table is the table name; empty means DefaultTable.
	Table string
	// ClientOptions configures the aztables client (transport, retries); nil means its defaults.
	ClientOptions *aztables.ClientOptions
}

// Store reads and writes audit records (see record.go for the mapping) in one table. It is safe for concurrent use.
type Store struct {
	client *aztables.Client
	// tableReady is set once the table is known to exist, and cleared when a write finds it
	// missing, so that the next write creates it first.
	tableReady atomic.Bool
}

// NewStore returns a store for the table in opts. It does not contact the service: the handler
// starts without Table Storage being reachable, and Put creates the table on first use.
func NewStore(conn Connection, opts *Options) (*Store, error) {
	if opts == nil {
		opts = &Options{}
	}
	svc, err := newServiceClient(conn, opts)
	if err != nil {
		return nil, err
	}
	return &Store{client: svc.NewClient(cmp.Or(opts.Table, DefaultTable))}, nil
}

// newServiceClient returns the table service client of conn.
func newServiceClient(conn Connection, opts *Options) (*aztables.ServiceClient, error) {
	var (
		svc *aztables.ServiceClient
		err error
	)
	switch {
	case conn.ConnectionString != "":
		var c storageConnection
		if c, err = parseConnectionString(conn.ConnectionString); err == nil {
			svc, err = c.serviceClient(opts.ClientOptions)
		}
	case conn.ServiceURL != "" && conn.Credential != nil:
		svc, err = aztables.NewServiceClient(conn.ServiceURL, conn.Credential, opts.ClientOptions)
	case conn.ServiceURL != "":
		svc, err = aztables.NewServiceClientWithNoCredential(conn.ServiceURL, opts.ClientOptions)
	default:
		return nil, errors.New("audit: new store: neither a connection string nor a table service URL is set")
	}
	if err != nil {
		// Neither parseConnectionString's nor aztables' errors quote the connection, so no secret leaks here.
		return nil, fmt.Errorf("audit: new store: %w", err)
	}
	return svc, nil
}

// EnsureTable creates the table unless it exists.
func (s *Store) EnsureTable(ctx context.Context) error {
	return ensureTable(ctx, s.client, &s.tableReady)
}

// ensureTable creates client's table unless it exists, and marks it ready.
func ensureTable(ctx context.Context, client *aztables.Client, ready *atomic.Bool) error {
	_, err := client.CreateTable(ctx, nil)
	err = serviceError(err)
	if err != nil && !hasErrorCode(err, aztables.TableAlreadyExists) {
		return fmt.Errorf("audit: create table: %w", err)
	}
	ready.Store(true)
	return nil
}

// withTable runs write on client's table, creating the table first when it is not known to exist,
// and again, once, when write finds it missing (dropped since, or an emulator restarted).
func withTable(ctx context.Context, client *aztables.Client, ready *atomic.Bool, write func() error) error {
	if !ready.Load() {
		if err := ensureTable(ctx, client, ready); err != nil {
			return err
		}
	}
	err := serviceError(write())
	if hasErrorCode(err, aztables.TableNotFound) {
		ready.Store(false)
		if err := ensureTable(ctx, client, ready); err != nil {
			return err
		}
		err = serviceError(write())
	}
	return err
}

// Limits of one entity-group transaction.
const (
	maxBatchEntities = 100
	// maxBatchPayload keeps a transaction under the 4 MiB request limit, with room for the
	// multipart framing that batchPartOverhead does not count.
	maxBatchPayload = 4<<20 - 64<<10
	// batchPartOverhead bounds what a transaction adds to each entity's JSON besides its keys: the
	// changeset part headers and the request line; partSize adds the keys, percent-encoded in the URL.
	batchPartOverhead = 1 << 10
)

// Put stores recs, replacing any records with the same keys. Records with equal keys collapse into
// the last one. Records are written in one entity-group transaction per partition key and per 100
// entities or 4 MiB; each transaction is atomic, but Put as a whole is not: on error some
// transactions may have been applied. Writing the same records again then completes the set,
// since every write is an upsert. Put creates the table when it is missing.
//
// The error wraps the service's: IsRejected tells a record that can never be stored (the handler
// sends its event to the failure hub) from anything else, which may pass on a retry.
func (s *Store) Put(ctx context.Context, recs []outcome.Task) error {
	batches, err := transactions(recs)
	if err != nil {
		return err
	}
	for _, batch := range batches {
		if err := s.submit(ctx, batch); err != nil {
			return fmt.Errorf("audit: put %d records in partition %s: %w", len(batch), batch[0].partitionKey, err)
		}
	}
	return nil
}

// pendingEntity is one record ready to be written.
type pendingEntity struct {
	partitionKey, rowKey string
	json                 []byte
}

// partSize bounds the bytes the entity takes in a transaction.
func (e pendingEntity) partSize() int {
	return len(e.json) + batchPartOverhead + 3*(len(e.partitionKey)+len(e.rowKey))
}

// transactions validates and encodes recs, and groups them into transactions.
func transactions(recs []outcome.Task) ([][]pendingEntity, error) {
	byKey := make(map[Key]pendingEntity, len(recs))
	for _, r := range recs {
		if err := errors.Join(checkKey("PartitionKey", r.PartitionKey), checkKey("RowKey", r.RowKey)); err != nil {
			return nil, fmt.Errorf("audit: put: %w: %w", ErrInvalidKey, err)
		}
		e, err := entity(r)
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("audit: put: encode entity %q/%q: %w", r.PartitionKey, r.RowKey, err)
		}
		byKey[KeyOf(r)] = pendingEntity{partitionKey: r.PartitionKey, rowKey: r.RowKey, json: b}
	}
	keys := slices.SortedFunc(maps.Keys(byKey), compareKeys)
	var (
		batches [][]pendingEntity
		payload int
	)
	for _, k := range keys {
		e := byKey[k]
		size := e.partSize()
		if n := len(batches); n == 0 ||
			batches[n-1][0].partitionKey != e.partitionKey ||
			len(batches[n-1]) == maxBatchEntities ||
			payload+size > maxBatchPayload {
			batches = append(batches, nil)
			payload = 0
		}
		batches[len(batches)-1] = append(batches[len(batches)-1], e)
		payload += size
	}
	return batches, nil
}

// compareKeys orders keys as Table Storage returns entities: by PartitionKey, then RowKey.
func compareKeys(a, b Key) int {
	return cmp.Or(strings.Compare(a.PartitionKey, b.PartitionKey), strings.Compare(a.RowKey, b.RowKey))
}

// submit writes one transaction, creating the table first when it is missing.
func (s *Store) submit(ctx context.Context, batch []pendingEntity) error {
	actions := make([]aztables.TransactionAction, len(batch))
	for i, e := range batch {
		actions[i] = aztables.TransactionAction{ActionType: aztables.TransactionTypeInsertReplace, Entity: e.json}
	}
	return withTable(ctx, s.client, &s.tableReady, func() error {
		_, err := s.client.SubmitTransaction(ctx, actions, nil)
		return err
	})
}

// Existing returns the stored records among keys, by key, with one range query per partition key (today
// and yesterday for a batch read around midnight), run concurrently.
func (s *Store) Existing(ctx context.Context, keys []Key) (map[Key]outcome.Task, error) {
	rowKeys := map[string][]string{}
	for _, k := range keys {
		rowKeys[k.PartitionKey] = append(rowKeys[k.PartitionKey], k.RowKey)
	}
	wanted := make(map[Key]bool, len(keys))
	for _, k := range keys {
		wanted[k] = true
	}
	pks := slices.Sorted(maps.Keys(rowKeys))
	parts := make([][]outcome.Task, len(pks)) // each goroutine writes its own slot
	g, gctx := errgroup.WithContext(ctx)
	for i, pk := range pks {
		rks := rowKeys[pk]
		guard.Go(g, func() error {
			f := and(
				compare("PartitionKey", "eq", pk),
				compare("RowKey", "ge", slices.Min(rks)),
				compare("RowKey", "le", slices.Max(rks)),
			)
			err := s.query(gctx, f, 0, func(r outcome.Task) {
				if wanted[KeyOf(r)] {
					parts[i] = append(parts[i], r)
				}
			})
			if err != nil && !IsNoTable(err) { // no table yet: nothing was recorded; Put creates it
				return fmt.Errorf("audit: read existing records in partition %s: %w", pk, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	found := map[Key]outcome.Task{}
	for _, part := range parts {
		for _, r := range part {
			found[KeyOf(r)] = r
		}
	}
	return found, nil
}

// Get returns the records whose RowKey or TaskId is id, in key order. It scans the table, so it is
// meant for operators, not for the hot path.
func (s *Store) Get(ctx context.Context, id string) ([]outcome.Task, error) {
	var recs []outcome.Task
	f := or(compare("RowKey", "eq", id), compare(propTaskID, "eq", id))
	if err := s.query(ctx, f, 0, func(r outcome.Task) { recs = append(recs, r) }); err != nil {
		return nil, fmt.Errorf("audit: get task %q: %w", id, err)
	}
	return recs, nil
}

// Filter selects records for List. Zero fields do not filter.
type Filter struct {
	Status outcome.Status
	// Sources keeps the records whose Source is one of these, compared exactly as stored: Table
	// Storage compares strings case-sensitively and its filters have no function to fold case
	// (https://learn.microsoft.com/en-us/rest/api/storageservices/querying-tables-and-entities).
	// ParseSources reads an operator's list. At most MaxSources.
	Sources []string
	// Since (inclusive) and Until (exclusive) bound StartedAt. They also bound the partition keys
	// scanned, which assumes PartitionKey = PartitionKeyFor(StartedAt).
	Since, Until time.Time
	TaskID       string
	// Limit caps the number of records returned; zero means no cap.
	Limit int
}

// List returns the records that match f, in key order (oldest day first).
func (s *Store) List(ctx context.Context, f Filter) ([]outcome.Task, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	var clauses []string
	if f.Status != "" {
		clauses = append(clauses, compare(propStatus, "eq", string(f.Status)))
	}
	if len(f.Sources) > 0 {
		bySource := make([]string, len(f.Sources))
		for i, src := range f.Sources {
			bySource[i] = compare(propSource, "eq", src)
		}
		clauses = append(clauses, or(bySource...))
	}
	if f.TaskID != "" {
		clauses = append(clauses, compare(propTaskID, "eq", f.TaskID))
	}
	if !f.Since.IsZero() {
		clauses = append(clauses,
			compare("PartitionKey", "ge", PartitionKeyFor(f.Since)),
			compare(propStartedAt, "ge", f.Since))
	}
	if !f.Until.IsZero() {
		clauses = append(clauses,
			compare("PartitionKey", "le", PartitionKeyFor(f.Until)),
			compare(propStartedAt, "lt", f.Until))
	}
	var recs []outcome.Task
	err := s.query(ctx, and(clauses...), f.Limit, func(r outcome.Task) { recs = append(recs, r) })
	if err != nil {
		return nil, fmt.Errorf("audit: list records: %w", err)
	}
	return recs, nil
}

// query calls each for every record matching filter (all records when filter is empty), stopping
// after limit records when limit is positive.
func (s *Store) query(ctx context.Context, filter string, limit int, each func(outcome.Task)) error {
	opts := &aztables.ListEntitiesOptions{}
	if filter != "" {
		opts.Filter = &filter
	}
	if limit > 0 {
		top := int32(min(limit, 1000)) // the service's page size limit
		opts.Top = &top
	}
	pager := s.client.NewListEntitiesPager(opts)
	n := 0
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return serviceError(err)
		}
		for _, raw := range page.Entities {
			var e aztables.EDMEntity
			if err := json.Unmarshal(raw, &e); err != nil {
				return fmt.Errorf("decode entity: %w", err)
			}
			r, err := taskFrom(e)
			if err != nil {
				return err
			}
			each(r)
			if n++; limit > 0 && n == limit {
				return nil
			}
		}
	}
	return nil
}
