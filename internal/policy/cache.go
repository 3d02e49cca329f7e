package policy

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Cache holds the current policy Set between invocations and refreshes it from a Source.
//
// The first call to Current loads the policies; later calls return the cached Set until refresh has
// passed since the last attempt, then check the source again (passing the cached version, so a Ranger
// Admin answers "unchanged" cheaply; a blob is asked with If-None-Match; a file is re-read and
// compared). A refresh that fails, or yields a malformed document, is logged as a warning and the last
// good Set stays in use; the next attempt waits for another interval. Only while nothing was ever
// loaded does Current return an error, and then every call tries again.
//
// Stale policies never revoke. Flex Consumption runs many instances, each with its own Cache, so an
// instance may hold an older set than the one another instance has just applied. A Set older than the
// refresh interval is therefore always checked against the source before it is returned; callers that
// find that check in progress wait for it (bounded by their context). When the check fails, the Set
// still serves, marked Stale: the engine still GRANTs by it but sends no REVOKE, so that it never
// undoes what newer policies granted.
//
// Cache is safe for concurrent use. At most one fetch runs at a time.
type Cache struct {
	src     Source
	mapping Mapping
	refresh time.Duration
	logger  *slog.Logger
	now     func() time.Time

	fetching chan struct{} // a token: held by the one caller that fetches

	mu      sync.Mutex // guards the fields below
	set     *Set
	sum     [sha256.Size]byte // of the document set was parsed from
	checked time.Time         // last fetch attempt that counts against refresh
	// confirmed is when the source last confirmed set as current; failed is why the check since then
	// failed, nil when the last one succeeded.
	confirmed time.Time
	failed    error
}

// NewCache returns a cache of the policies src serves, with roles named by m. refresh is the time
// between checks of the source (0 or less: every call checks). logger nil means slog.Default(); now
// nil means time.Now.
func NewCache(src Source, m Mapping, refresh time.Duration, logger *slog.Logger, now func() time.Time) *Cache {
	if logger == nil {
		logger = slog.Default()
	}
	if now == nil {
		now = time.Now
	}
	return &Cache{src: src, mapping: m, refresh: refresh, logger: logger, now: now, fetching: make(chan struct{}, 1)}
}

// Current returns the current policies, loading or refreshing them first when due. The error, only
// possible while nothing was ever loaded, says why the load failed. A Set that could not be confirmed
// current (the check failed, or ctx ended while waiting for it) is returned marked Stale.
func (c *Cache) Current(ctx context.Context) (*Set, error) {
	set, due := c.state()
	if !due {
		return c.marked(set), nil
	}
	select {
	case c.fetching <- struct{}{}:
	case <-ctx.Done():
		if set == nil {
			return nil, fmt.Errorf("load policies: %w", ctx.Err())
		}
		return set.stale(fmt.Errorf("version %d is older than the %s refresh interval and its check did not finish: %w",
			set.Version(), c.refresh, ctx.Err())), nil
	}
	defer func() { <-c.fetching }()

	if set, due = c.state(); !due { // checked by the caller we waited for
		return c.marked(set), nil
	}
	next, err := c.load(ctx, set)
	if err != nil {
		c.mu.Lock()
		c.failed = err
		c.mu.Unlock()
		if set == nil {
			return nil, err
		}
		c.logger.WarnContext(ctx, "policy refresh failed; keeping the last good policies, without revoking by them",
			slog.Any("error", err), slog.Int64("version", set.Version()))
		return c.marked(set), nil
	}
	c.mu.Lock()
	c.confirmed, c.failed = c.checked, nil
	c.mu.Unlock()
	return next, nil
}

// marked returns set, marked Stale when its last check failed.
func (c *Cache) marked(set *Set) *Set {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failed == nil || set == nil {
		return set
	}
	return set.stale(fmt.Errorf("version %d, last confirmed current at %s, could not be checked against the policy source: %w",
		set.Version(), c.confirmed.UTC().Format(time.RFC3339), c.failed))
}

// state returns the cached set and whether a fetch is due.
func (c *Cache) state() (*Set, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.set, c.set == nil || c.now().Sub(c.checked) >= c.refresh
}

// load fetches and parses the document, installs the result and returns it. It returns cur when the
// document has not changed.
func (c *Cache) load(ctx context.Context, cur *Set) (*Set, error) {
	version := int64(-1)
	if cur != nil {
		version = cur.Version()
	}
	data, changed, err := c.src.Fetch(ctx, version)
	c.mu.Lock()
	c.checked = c.now()
	c.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if !changed {
		if cur == nil {
			return nil, errors.New("load policies: the source reported no change, but none were loaded")
		}
		return cur, nil
	}
	sum := sha256.Sum256(data)
	c.mu.Lock()
	same := cur != nil && sum == c.sum
	c.mu.Unlock()
	if same {
		return cur, nil
	}
	set, problems, err := Parse(data, c.mapping)
	if err != nil {
		return nil, fmt.Errorf("load policies: %w", err)
	}
	c.logger.InfoContext(ctx, "policies loaded", slog.Any("policies", set.Stats()), slog.Int("problems", len(problems)))
	for _, p := range problems {
		c.logger.WarnContext(ctx, "policy ignored in part or whole", slog.String("problem", p.String()))
	}
	c.mu.Lock()
	c.set, c.sum = set, sum
	c.mu.Unlock()
	return set, nil
}
