package datapolicy

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/snowsync/snowsync/internal/snowflake"
)

// Kind is the kind of a Snowflake data policy.
type Kind int

const (
	Masking   Kind = iota // a masking policy, for one column
	RowAccess             // a row access policy, for one table
)

// String returns the kind as SQL names it: "MASKING POLICY" or "ROW ACCESS POLICY".
func (k Kind) String() string {
	if k == RowAccess {
		return "ROW ACCESS POLICY"
	}
	return "MASKING POLICY"
}

// Name prefixes: a policy is named prefix + 16 upper-case hex digits of a SHA-256 over its content.
const (
	MaskPrefix = "SNOWSYNC_MASK_"
	RowsPrefix = "SNOWSYNC_ROWS_"
	hashDigits = 16
)

// Comment is the COMMENT of every policy snowsync creates. It does not name Ranger policies: one
// Snowflake policy serves every column (table) with the same content, whichever Ranger policies
// produced it.
const Comment = "managed by snowsync from Ranger data-mask / row-filter policies; the name is a hash of the body, do not edit"

// Options are the settings that shape rendered policies. Database and Schema are where snowsync keeps
// its policies (stored names); both are required.
type Options struct {
	Database        string
	Schema          string
	NullFallthrough bool // a session holding none of the roles sees NULL (a mask) or no row (a filter)
}

func (o Options) validate() error {
	if o.Database == "" || o.Schema == "" {
		return errors.New("datapolicy: Options.Database and Options.Schema are required")
	}
	return nil
}

// Policy is a rendered Snowflake masking or row access policy. Args is the signature: for a masking
// policy one argument, the masked value, named VAL; for a row access policy the table's columns the
// filters use, named as the columns, in the order ForTable returns them for ON (...). Returns is the
// return type (the argument's type for a mask, BOOLEAN for a row filter). Sources lists the labels of
// the Ranger policies whose cases the body renders, for reports; it is not part of the name.
type Policy struct {
	Kind     Kind
	Database string
	Schema   string
	Name     string
	Args     []Column
	Returns  string
	Body     string
	Sources  []string
}

// ID returns the policy's identifier.
func (p Policy) ID() snowflake.ObjectID {
	return snowflake.ObjectID{Database: p.Database, Schema: p.Schema, Name: p.Name}
}

// Create returns the policy's CREATE statement (snowflake.CreatePolicy: CREATE … IF NOT EXISTS, which
// is safe because the name is a hash of the content: an existing policy of that name is this policy),
// with Comment, which marks the policies snowsync created.
func (p Policy) Create() snowflake.CreatePolicy {
	args := make([]snowflake.PolicyArg, len(p.Args))
	for i, a := range p.Args {
		args[i] = snowflake.PolicyArg{Name: a.Name, Type: a.Type}
	}
	return snowflake.CreatePolicy{Kind: snowflake.PolicyKind(p.Kind.String()), Name: p.ID(), Args: args, Returns: p.Returns,
		Body: p.Body, Comment: Comment}
}

// newPolicy completes a policy: its place and its content-derived name.
func newPolicy(kind Kind, args []Column, returns, body string, sources []string, o Options) Policy {
	h := sha256.New()
	h.Write([]byte(kind.String()))
	for _, a := range args {
		h.Write([]byte{0})
		h.Write([]byte(a.Name))
		h.Write([]byte{0})
		h.Write([]byte(a.Type))
	}
	h.Write([]byte{0})
	h.Write([]byte(returns))
	h.Write([]byte{0})
	h.Write([]byte(body))
	prefix := MaskPrefix
	if kind == RowAccess {
		prefix = RowsPrefix
	}
	name := prefix + strings.ToUpper(hex.EncodeToString(h.Sum(nil))[:hashDigits])
	return Policy{Kind: kind, Database: o.Database, Schema: o.Schema, Name: name, Args: args, Returns: returns,
		Body: body, Sources: sources}
}

// Ours reports whether a policy (stored database, schema and name, as SHOW or POLICY_REFERENCES
// report them) is one snowsync creates: in o's database and schema, named MaskPrefix or RowsPrefix
// followed by 16 upper-case hex digits.
func Ours(db, schema, name string, o Options) bool {
	if db != o.Database || schema != o.Schema {
		return false
	}
	rest, ok := strings.CutPrefix(name, MaskPrefix)
	if !ok {
		if rest, ok = strings.CutPrefix(name, RowsPrefix); !ok {
			return false
		}
	}
	if len(rest) != hashDigits {
		return false
	}
	for _, c := range []byte(rest) {
		if !isDigit(c) && (c < 'A' || c > 'F') {
			return false
		}
	}
	return true
}

// roleTest returns `IS_ROLE_IN_SESSION('<role>')`.
func roleTest(role string) string { return "IS_ROLE_IN_SESSION(" + snowflake.QuoteString(role) + ")" }

// addSource appends label to sources unless present.
func addSource(sources []string, label string) []string {
	for _, s := range sources {
		if s == label {
			return sources
		}
	}
	return append(sources, label)
}
