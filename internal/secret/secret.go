// Package secret holds the string type used for every credential snowsync reads, so that a password,
// private key, connection string or SAS URL cannot reach a log line, an audit record or a failure event
// by accident: every formatting path prints a fixed placeholder.
package secret

import "log/slog"

// Redacted is what a Secret prints as.
const Redacted = "[REDACTED]"

// String is a secret value. Its String, GoString, LogValue and MarshalText methods all give Redacted;
// only Reveal returns the value, and callers hand that straight to the client that needs it.
type String string

// Reveal returns the secret value.
func (s String) Reveal() string { return string(s) }

// IsSet reports whether the secret is non-empty.
func (s String) IsSet() bool { return s != "" }

// String implements fmt.Stringer with the placeholder.
func (s String) String() string { return Redacted }

// GoString implements fmt.GoStringer (%#v) with the placeholder.
func (s String) GoString() string { return Redacted }

// LogValue implements slog.LogValuer with the placeholder.
func (s String) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalText keeps the value out of JSON and other text encodings.
func (s String) MarshalText() ([]byte, error) { return []byte(Redacted), nil }
