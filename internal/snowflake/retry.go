package snowflake

import (
	"context"
	"math/rand/v2"
	"time"
)

// Class is what an error means for the query or statement that returned it, and so what its caller does
// with it. Classify decides; reads and writes use the same rules.
type Class int

// The classes, in the order Classify tests them.
const (
	// OK: no error.
	OK Class = iota
	// Systemic: Snowflake as a whole cannot be used (IsSystemic). Stop the batch; the host retries it.
	Systemic
	// Transient: the same query may succeed if sent again (IsTransient, IsUnreachable). Retry it; once
	// the retries are spent, an IsUnreachable error means Snowflake is unavailable (see Outage).
	Transient
	// NotFound: the object does not exist or is not visible to the role (IsNotExist).
	NotFound
	// Permanent: anything else (a refused privilege, a syntax error). Report it; never retry it.
	Permanent
)

// Classify returns the class of err.
func Classify(err error) Class {
	switch {
	case err == nil:
		return OK
	case IsSystemic(err):
		return Systemic
	case IsTransient(err) || IsUnreachable(err):
		return Transient
	case IsNotExist(err):
		return NotFound
	}
	return Permanent
}

// Outage reports whether err, returned after Retry's attempts, means that Snowflake as a whole is
// unavailable: a systemic error, or requests that the driver could not get answered (261000) even after
// the retries.
func Outage(err error) bool { return IsSystemic(err) || IsUnreachable(err) }

// Retry is the one retry policy of this package, used for reads and writes alike. The zero value means
// the documented defaults.
type Retry struct {
	// MaxRetries is how many times a query that failed with a Transient error is sent again. Default 3;
	// negative means never.
	MaxRetries int
	// Backoff is the delay before the first retry; it doubles for each further retry, up to MaxBackoff,
	// and each delay is jittered to between half and all of it. Defaults 200 ms and 5 s. A retry whose
	// delay would end after the context's deadline is not attempted.
	Backoff, MaxBackoff time.Duration
	// Timeout bounds each attempt (CONNECTOR_SNOWFLAKE_QUERY_TIMEOUT_SEC); its expiry is Transient as
	// long as the caller's context is not done. Default 60 s.
	Timeout time.Duration
}

func (r Retry) withDefaults() Retry {
	switch {
	case r.MaxRetries == 0:
		r.MaxRetries = 3
	case r.MaxRetries < 0:
		r.MaxRetries = 0
	}
	r.Backoff = firstPositive(r.Backoff, 200*time.Millisecond)
	r.MaxBackoff = firstPositive(r.MaxBackoff, 5*time.Second)
	r.Timeout = firstPositive(r.Timeout, DefaultRequestTimeout)
	return r
}

// Do runs fn, each attempt under its own Timeout, until it succeeds, fails with an error that is not
// Transient, the retries are spent, or ctx is done. It returns fn's last error.
func (r Retry) Do(ctx context.Context, fn func(context.Context) error) error {
	r = r.withDefaults()
	for attempt := 0; ; attempt++ {
		err := r.once(ctx, fn)
		if err == nil || Classify(err) != Transient || attempt >= r.MaxRetries || ctx.Err() != nil {
			return err
		}
		delay := r.backoff(attempt)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < delay {
			return err
		}
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return err
		}
	}
}

func (r Retry) once(ctx context.Context, fn func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, r.Timeout)
	defer cancel()
	return fn(ctx)
}

// backoff returns the delay before retry attempt+1: Backoff·2^attempt capped at MaxBackoff, jittered to
// [d/2, d].
func (r Retry) backoff(attempt int) time.Duration {
	d := r.MaxBackoff
	if attempt < 30 {
		d = min(r.Backoff<<attempt, r.MaxBackoff)
	}
	return d/2 + rand.N(d/2+1)
}
