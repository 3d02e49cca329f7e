package datapolicy

import (
	"errors"
	"fmt"
	"strings"

	"github.com/snowsync/snowsync/internal/policy"
	"github.com/snowsync/snowsync/internal/snowflake"
)

// maskArg is the name of a masking policy's argument, the masked value.
const maskArg = "VAL"

// ForColumn renders the masking policy for column c from the mask the Ranger policies decide for it.
// The body is a CASE over the mask's roles in order (see the package documentation); each mask type
// is rendered as Ranger's Hive transformer behaves (ranger-servicedef-hive.json), for the types it fits:
//
//	MASK                  VARCHAR: upper-case letters → X, lower-case → x, digits → n, others kept
//	                      NUMBER with scale 0: digits → 1
//	MASK_SHOW_LAST_4      VARCHAR: letters and digits but the last 4 characters → x
//	                      NUMBER with scale 0: digits but the last 4 → 1
//	MASK_SHOW_FIRST_4     likewise, keeping the first 4 characters
//	MASK_HASH             VARCHAR: SHA-256 as 64 lower-case hex digits (SHA2(v, 256))
//	MASK_DATE_SHOW_YEAR   DATE and TIMESTAMP_*: the first day of the year (DATE_TRUNC('YEAR', v))
//	MASK_NULL             every type: NULL
//	MASK_NONE             every type: the clear value
//	CUSTOM                every type: the valueExpr with {col} replaced by the value
//
// Letters are the ASCII letters (Hive also masks other Unicode letters). It returns an error naming
// the Ranger policy when a mask type does not fit the column's type or a valueExpr is refused, and an
// error when the mask is empty (no policy masks the column: it needs no masking policy) or the column
// type is not supported.
func ForColumn(c Column, m policy.Mask, o Options) (Policy, error) {
	if err := o.validate(); err != nil {
		return Policy{}, err
	}
	if m.Empty() {
		return Policy{}, fmt.Errorf("column %s: no mask to render", snowflake.QuoteIdent(c.Name))
	}
	t, err := parseType(c.Type)
	if err != nil {
		return Policy{}, fmt.Errorf("column %s: %w", snowflake.QuoteIdent(c.Name), err)
	}
	v := snowflake.QuoteIdent(maskArg)
	var b strings.Builder
	var sources []string
	b.WriteString("CASE")
	for _, mc := range m.Cases {
		masked, err := maskValue(mc, t, v)
		if err != nil {
			return Policy{}, fmt.Errorf("column %s: policy %s: %w", snowflake.QuoteIdent(c.Name), mc.Policy, err)
		}
		b.WriteString(" WHEN " + roleTest(mc.Role) + " THEN " + masked)
		sources = addSource(sources, mc.Policy)
	}
	if o.NullFallthrough {
		b.WriteString(" ELSE NULL END")
	} else {
		b.WriteString(" ELSE " + v + " END")
	}
	return newPolicy(Masking, []Column{{Name: maskArg, Type: t.name}}, t.name, b.String(), sources, o), nil
}

// errMismatch marks a mask type that does not fit a column type.
var errMismatch = errors.New("mask type does not fit the column type")

// maskValue renders one case's masked value of v, a value of type t.
func maskValue(mc policy.MaskCase, t sigType, v string) (string, error) {
	mismatch := func() (string, error) {
		return "", fmt.Errorf("%w: %s on %s", errMismatch, mc.Type, t.name)
	}
	switch mc.Type {
	case policy.MaskNull:
		return "NULL", nil
	case policy.MaskNone:
		return v, nil
	case policy.MaskCustom:
		return customValue(mc.Expr, v)
	case policy.MaskHash:
		if t.family != famText {
			return mismatch()
		}
		return "SHA2(" + v + ", 256)", nil
	case policy.MaskDateShowYear:
		if t.family != famDate && t.family != famTimestamp {
			return mismatch()
		}
		return "DATE_TRUNC('YEAR', " + v + ")", nil
	case policy.MaskRedact, policy.MaskShowLast4, policy.MaskShowFirst4:
		switch {
		case t.family == famText:
			return redactText(mc.Type, v), nil
		case t.family == famNumber && t.scale == 0:
			return "TO_NUMBER(" + redactDigits(mc.Type, "TO_VARCHAR("+v+")") + ")", nil
		}
		return mismatch()
	}
	return "", fmt.Errorf("mask type %q is not supported", string(mc.Type))
}

// redactText renders MASK and MASK_SHOW_* on a VARCHAR value.
func redactText(t policy.MaskType, v string) string {
	switch t {
	case policy.MaskShowLast4:
		return "REGEXP_REPLACE(LEFT(" + v + ", GREATEST(LENGTH(" + v + ") - 4, 0)), '[A-Za-z0-9]', 'x') || RIGHT(" + v + ", 4)"
	case policy.MaskShowFirst4:
		return "LEFT(" + v + ", 4) || REGEXP_REPLACE(SUBSTR(" + v + ", 5), '[A-Za-z0-9]', 'x')"
	}
	return "REGEXP_REPLACE(REGEXP_REPLACE(REGEXP_REPLACE(" + v + ", '[A-Z]', 'X'), '[a-z]', 'x'), '[0-9]', 'n')"
}

// redactDigits renders MASK and MASK_SHOW_* on the text s of an integer: digits become 1.
func redactDigits(t policy.MaskType, s string) string {
	switch t {
	case policy.MaskShowLast4:
		return "REGEXP_REPLACE(LEFT(" + s + ", GREATEST(LENGTH(" + s + ") - 4, 0)), '[0-9]', '1') || RIGHT(" + s + ", 4)"
	case policy.MaskShowFirst4:
		return "LEFT(" + s + ", 4) || REGEXP_REPLACE(SUBSTR(" + s + ", 5), '[0-9]', '1')"
	}
	return "REGEXP_REPLACE(" + s + ", '[0-9]', '1')"
}

// customValue renders a CUSTOM valueExpr, parenthesised, with {col} replaced by v. The expression may
// refer to the column only as {col}: another column would need a conditional masking policy.
func customValue(expr, v string) (string, error) {
	out, err := render(expr, exprRefs{
		value: v,
		column: func(name string, _ bool) (string, error) {
			return "", exprErr("CUSTOM valueExpr may refer to the masked column only as {col}, not %q", name)
		},
	})
	if err != nil {
		return "", fmt.Errorf("valueExpr: %w", err)
	}
	return "(" + out + ")", nil
}
