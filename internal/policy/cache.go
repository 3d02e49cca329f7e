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
// Admin answers "unchanged" cheaply). A refresh that fails, or yields a malformed document, is logged
// as a warning and the last good Set stays in use; the next attempt waits for another interval. Only
// while nothing was ever loaded does Current return an error, and then every call tries again.
//
// Cache is safe for concurrent use. At most one fetch runs at a time; callers that find a refresh in
// progress get the cached Set at once instead of waiting (only the very first load makes them wait).
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
// possible while nothing was ever loaded, says why the load failed.
func (c *Cache) Current(ctx context.Context) (*Set, error) {
	set, due := c.state()
	if !due {
		return set, nil
	}
	if set != nil {
		select {
		case c.fetching <- struct{}{}:
		default: // another caller is refreshing: serve what we have
			return set, nil
		}
	} else {
		select {
		case c.fetching <- struct{}{}:
		case <-ctx.Done():
			return nil, fmt.Errorf("load policies: %w", ctx.Err())
		}
	}
	defer func() { <-c.fetching }()

	if set, due = c.state(); !due { // loaded by the caller we waited for
		return set, nil
	}
	next, err := c.load(ctx, set)
	if err != nil {
		if set == nil {
			return nil, err
		}
		c.logger.WarnContext(ctx, "policy refresh failed; keeping the last good policies",
			slog.Any("error", err), slog.Int64("version", set.Version()))
		return set, nil
	}
	return next, nil
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
