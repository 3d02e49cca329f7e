package datapolicy

import (
	"fmt"
	"strings"

	"github.com/snowsync/snowsync/internal/policy"
	"github.com/snowsync/snowsync/internal/snowflake"
)

// ForTable renders the row access policy for a table with columns cols (DESCRIBE TABLE order) from the
// row filter the Ranger policies decide for it, and returns with it the table's columns to attach it
// ON, in the order of the policy's arguments:
//
//	CASE WHEN IS_ROLE_IN_SESSION('<role>') THEN (<filterExpr>) ... ELSE TRUE END
//
// (ELSE FALSE with NullFallthrough; an empty filterExpr is TRUE, all rows). The arguments are the
// columns the filters refer to, in order of first reference, named and typed as the columns; a filter
// that refers to none gets the table's first column, unused, because a row access policy needs one.
//
// A bare column name in a filterExpr resolves as Snowflake resolves an unquoted identifier against
// stored names (upper-cased), or else to the only column equal to it ignoring case (Ranger admins
// often write Hive's lower case); a "quoted" name must equal a stored name exactly. It returns an error
// naming the Ranger policy when a filter refers to a column the table lacks or is refused (see render),
// and an error when the filter is empty (no policy filters the table: it needs no row access policy).
func ForTable(cols []Column, f policy.RowFilter, o Options) (Policy, []string, error) {
	if err := o.validate(); err != nil {
		return Policy{}, nil, err
	}
	if f.Empty() {
		return Policy{}, nil, fmt.Errorf("no row filter to render")
	}
	if len(cols) == 0 {
		return Policy{}, nil, fmt.Errorf("the table has no columns")
	}
	var args []Column
	var on, sources []string
	use := func(c Column) (string, error) {
		for _, name := range on {
			if name == c.Name {
				return snowflake.QuoteIdent(c.Name), nil
			}
		}
		t, err := parseType(c.Type)
		if err != nil {
			return "", fmt.Errorf("column %s: %w", snowflake.QuoteIdent(c.Name), err)
		}
		args = append(args, Column{Name: c.Name, Type: t.name})
		on = append(on, c.Name)
		return snowflake.QuoteIdent(c.Name), nil
	}
	refs := exprRefs{column: func(name string, quoted bool) (string, error) {
		c, ok := resolveColumn(cols, name, quoted)
		if !ok {
			return "", fmt.Errorf("%w: the table has no column %s", errExpr, columnRef(name, quoted))
		}
		return use(c)
	}}

	var b strings.Builder
	b.WriteString("CASE")
	for _, fc := range f.Cases {
		cond := "TRUE"
		if fc.Expr != "" {
			out, err := render(fc.Expr, refs)
			if err != nil {
				return Policy{}, nil, fmt.Errorf("policy %s: filterExpr: %w", fc.Policy, err)
			}
			cond = "(" + out + ")"
		}
		b.WriteString(" WHEN " + roleTest(fc.Role) + " THEN " + cond)
		sources = addSource(sources, fc.Policy)
	}
	if o.NullFallthrough {
		b.WriteString(" ELSE FALSE END")
	} else {
		b.WriteString(" ELSE TRUE END")
	}
	if len(args) == 0 {
		if _, err := use(cols[0]); err != nil {
			return Policy{}, nil, err
		}
	}
	return newPolicy(RowAccess, args, "BOOLEAN", b.String(), sources, o), on, nil
}

// resolveColumn finds the column a reference names: a quoted name exactly; a bare name upper-cased
// (Snowflake's resolution of unquoted identifiers), else the only column equal to it ignoring case.
func resolveColumn(cols []Column, name string, quoted bool) (Column, bool) {
	var match Column
	n := 0
	for _, c := range cols {
		switch {
		case quoted:
			if c.Name == name {
				return c, true
			}
		case c.Name == strings.ToUpper(name):
			return c, true
		case strings.EqualFold(c.Name, name):
			match, n = c, n+1
		}
	}
	return match, !quoted && n == 1
}

// columnRef renders a reference for an error message.
func columnRef(name string, quoted bool) string {
	if quoted {
		return snowflake.QuoteIdent(name)
	}
	return fmt.Sprintf("%q", name)
}
