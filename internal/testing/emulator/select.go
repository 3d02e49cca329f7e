package emulator

import (
	"cmp"
	"errors"
	"slices"
	"strings"
)

// selectItem is one entry of the select list: * or an expression with its label (the alias,
// or the expression's text upper-cased as Snowflake names it).
type selectItem struct {
	star  bool
	e     expr
	label string
}

// orderItem is one ORDER BY term; Snowflake's default puts NULLs last ascending and first
// descending (https://docs.snowflake.com/en/sql-reference/constructs/order-by).
type orderItem struct {
	e          expr
	desc       bool
	nullsFirst bool
}

// selectStmt is SELECT <list> [FROM name | TABLE(function(...))] [WHERE expr]
// [ORDER BY expr [ASC | DESC] [NULLS FIRST | LAST], ...] [LIMIT n].
type selectStmt struct {
	items []selectItem
	from  []string
	fn    *tableFunc
	where expr
	order []orderItem
	limit int
}

var sessionFunctions = map[string]func(x *execCtx) *string{
	"CURRENT_ROLE":      func(x *execCtx) *string { return nullIfEmpty(x.st.role) },
	"CURRENT_USER":      func(x *execCtx) *string { return nullIfEmpty(x.st.user) },
	"CURRENT_DATABASE":  func(x *execCtx) *string { return nullIfEmpty(x.st.database) },
	"CURRENT_SCHEMA":    func(x *execCtx) *string { return nullIfEmpty(x.st.schema) },
	"CURRENT_WAREHOUSE": func(x *execCtx) *string { return nullIfEmpty(x.st.warehouse) },
	"CURRENT_ACCOUNT":   func(*execCtx) *string { return str(accountName) },
	"CURRENT_VERSION":   func(*execCtx) *string { return str(serverVersion) },
}

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (p *parser) parseSelect() (statement, error) {
	s := &selectStmt{}
	for {
		it, err := p.selectItem()
		if err != nil {
			return nil, err
		}
		s.items = append(s.items, it)
		if !p.acceptPunct(",") {
			break
		}
	}
	if p.acceptKw("FROM") {
		var err error
		if p.isKw("TABLE") && p.i+1 < len(p.toks) && p.toks[p.i+1].val == "(" {
			p.i++
			s.fn, err = p.tableFunc()
		} else {
			s.from, err = p.name(3)
		}
		if err != nil {
			return nil, err
		}
		if p.acceptKw("WHERE") {
			if s.where, err = p.expr(); err != nil {
				return nil, err
			}
		}
	}
	if p.acceptKw("ORDER", "BY") {
		for {
			e, err := p.expr()
			if err != nil {
				return nil, err
			}
			o := orderItem{e: e}
			if !p.acceptKw("ASC") {
				o.desc = p.acceptKw("DESC")
			}
			o.nullsFirst = o.desc
			if p.acceptKw("NULLS") {
				switch {
				case p.acceptKw("FIRST"):
					o.nullsFirst = true
				case p.acceptKw("LAST"):
					o.nullsFirst = false
				default:
					return nil, p.unexpected()
				}
			}
			s.order = append(s.order, o)
			if !p.acceptPunct(",") {
				break
			}
		}
	}
	if p.acceptKw("LIMIT") {
		t := p.next()
		if t.kind != tNumber {
			p.i--
			return nil, p.unexpected()
		}
		s.limit = atoi(t.val)
	}
	if err := p.end(); err != nil {
		return nil, err
	}
	if s.from == nil && s.fn == nil && slices.ContainsFunc(s.items, func(it selectItem) bool { return it.star }) {
		return nil, errSyntaxMsg("SELECT with no columns")
	}
	return s, nil
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}

func (p *parser) selectItem() (selectItem, error) {
	if p.acceptPunct("*") {
		return selectItem{star: true}, nil
	}
	start, first := p.peek(), p.i
	e, err := p.expr()
	if err != nil {
		return selectItem{}, err
	}
	it := selectItem{e: e, label: strings.ToUpper(p.src[start.pos:p.toks[p.i-1].end])}
	if c, ok := e.(colExpr); ok && p.i == first+1 {
		it.label = c.name // a lone identifier is the column's name, quoted ones exact
	}
	if p.acceptKw("AS") || p.peek().kind == tQuoted || p.peek().kind == tIdent && !exprStop[p.peek().val] {
		if it.label, err = p.ident(); err != nil {
			return it, err
		}
	}
	return it, nil
}

func (s *selectStmt) run(x *execCtx) (*result, error) {
	var cols []colMeta
	var rows [][]value
	var err error
	switch {
	case s.fn != nil:
		cols, rows, err = s.fn.run(x)
	case s.from == nil:
		rows = [][]value{{}}
	default:
		cols, rows, err = s.source(x)
	}
	if err != nil {
		return nil, err
	}
	return s.project(x, cols, rows)
}

// source resolves FROM: an INFORMATION_SCHEMA view with its rows, or a table or view of the
// catalog. A table's rows are those its row access policy lets the session see, with its
// masking policies applied; views are not evaluated (no rows).
func (s *selectStmt) source(x *execCtx) ([]colMeta, [][]value, error) {
	parts := s.from
	if len(parts) >= 2 && parts[len(parts)-2] == infoSchemaName {
		dbName := ""
		if len(parts) == 3 {
			dbName = parts[0]
		}
		db, err := x.database(dbName, "SELECT")
		if err != nil {
			return nil, nil, err
		}
		v := infoViews[parts[len(parts)-1]]
		if v == nil {
			return nil, nil, errNotExist("Object", joinName(db.name, infoSchemaName, parts[len(parts)-1]))
		}
		return v.cols, textRows(v.rows(x, db, s.pushdown(x, v))), nil
	}
	obj, err := x.tableObj(parts, "", "SELECT")
	if err != nil {
		return nil, nil, err
	}
	if !x.roles().holds(obj, "SELECT", false) {
		return nil, nil, errPrivileges(obj.kind.label(), obj.fqn())
	}
	cols := make([]colMeta, len(obj.columns))
	for i, c := range obj.columns {
		cols[i] = colMeta{c.name, c.wireType()}
	}
	if len(cols) == 0 {
		cols = []colMeta{{"1", "text"}}
	}
	if obj.kind != kTable {
		return cols, nil, nil
	}
	rows, err := x.visibleRows(obj)
	return cols, rows, err
}

func textRows(rows [][]*string) [][]value {
	out := make([][]value, len(rows))
	for i, r := range rows {
		out[i] = make([]value, len(r))
		for j, v := range r {
			out[i][j] = strPtrVal(v)
		}
	}
	return out
}

// pushdown turns WHERE equalities (and IN lists) on a view's schema and name columns, at the
// top level of the condition, into lookups, so a query for one table of a 5,000-table
// database does not walk them all.
func (s *selectStmt) pushdown(x *execCtx, v *infoView) lookup {
	var l lookup
	c := &evalCtx{x: x}
	for _, term := range conjuncts(s.where) {
		var col colExpr
		var list []expr
		switch t := term.(type) {
		case binExpr:
			c, ok := t.l.(colExpr)
			if t.op != "=" || !ok {
				continue
			}
			col, list = c, []expr{t.r}
		case inExpr:
			c, ok := t.e.(colExpr)
			if t.not || !ok {
				continue
			}
			col, list = c, t.list
		default:
			continue
		}
		var vals []string
		for _, e := range list {
			switch e.(type) {
			case litExpr, paramExpr:
			default:
				vals = nil
				list = nil
			}
			if list == nil {
				break
			}
			if val, err := e.eval(c); err == nil && !val.isNull() {
				vals = append(vals, val.String())
			}
		}
		if list == nil {
			continue
		}
		switch strings.ToUpper(col.name) {
		case v.schemaCol:
			l.schemas = intersect(l.schemas, vals)
		case v.nameCol:
			l.names = intersect(l.names, vals)
		}
	}
	return l
}

// conjuncts splits e at its top-level ANDs.
func conjuncts(e expr) []expr {
	if b, ok := e.(binExpr); ok && b.op == "AND" {
		return append(conjuncts(b.l), conjuncts(b.r)...)
	}
	if e == nil {
		return nil
	}
	return []expr{e}
}

func intersect(have, add []string) []string {
	if have == nil {
		return add
	}
	out := []string{}
	for _, v := range have {
		if slices.Contains(add, v) {
			out = append(out, v)
		}
	}
	return out
}

// rowCtx is an evaluation context over one row of cols: a column is found by its exact name,
// else case-insensitively (INFORMATION_SCHEMA's names are upper-case).
func rowCtx(x *execCtx, cols []colMeta) (*evalCtx, func(row []value)) {
	index := make(map[string]int, len(cols))
	for i, c := range cols {
		index[c.name] = i
	}
	var cur []value
	c := &evalCtx{x: x, col: func(name string) (value, bool) {
		i, ok := index[name]
		if !ok {
			if i = columnOf(cols, name); i < 0 {
				return null, false
			}
		}
		if cur == nil {
			return null, true
		}
		return cur[i], true
	}}
	return c, func(row []value) { cur = row }
}

// columnOf finds a column by its exact name, else case-insensitively; -1 when none.
func columnOf(cols []colMeta, name string) int {
	if i := slices.IndexFunc(cols, func(c colMeta) bool { return c.name == name }); i >= 0 {
		return i
	}
	return slices.IndexFunc(cols, func(c colMeta) bool { return strings.EqualFold(c.name, name) })
}

func (s *selectStmt) project(x *execCtx, cols []colMeta, rows [][]value) (*result, error) {
	c, setRow := rowCtx(x, cols)
	// Check every column reference once against a row of NULLs, so that an unknown column
	// fails even when there are no rows.
	setRow(nil)
	check := []expr{s.where}
	for _, it := range s.items {
		check = append(check, it.e)
	}
	for _, e := range check {
		if e == nil {
			continue
		}
		if _, err := e.eval(c); err != nil {
			var se *Error
			if errors.As(err, &se) && se.Number == ErrInvalidIdentifier {
				return nil, err
			}
		}
	}
	var outCols []colMeta
	var fromInput []int // the input column an output column copies, or -1
	for _, it := range s.items {
		if it.star {
			for i, col := range cols {
				outCols, fromInput = append(outCols, col), append(fromInput, i)
			}
			continue
		}
		// A bare column keeps the column's type (a timestamp stays a timestamp); an expression
		// takes the type of its values.
		if c, ok := it.e.(colExpr); ok {
			if j := columnOf(cols, c.name); j >= 0 {
				outCols, fromInput = append(outCols, colMeta{it.label, cols[j].typ}), append(fromInput, j)
				continue
			}
		}
		outCols, fromInput = append(outCols, colMeta{it.label, ""}), append(fromInput, -1)
	}
	type outRow struct{ in, out []value }
	var out []outRow
	for _, row := range rows {
		setRow(row)
		if s.where != nil {
			v, err := s.where.eval(c)
			if err != nil {
				return nil, err
			}
			if b, err := truth(v); err != nil || b == nil || !*b {
				if err != nil {
					return nil, err
				}
				continue
			}
		}
		vals := make([]value, 0, len(outCols))
		for _, it := range s.items {
			if it.star {
				vals = append(vals, row...)
				continue
			}
			v, err := it.e.eval(c)
			if err != nil {
				return nil, err
			}
			vals = append(vals, v)
		}
		out = append(out, outRow{row, vals})
	}
	if len(s.order) > 0 {
		keys := make([][]value, len(out))
		for i, r := range out {
			k, err := s.orderKeys(x, cols, outCols, r.in, r.out)
			if err != nil {
				return nil, err
			}
			keys[i] = k
		}
		idx := make([]int, len(out))
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(a, b int) int { return s.compareKeys(keys[a], keys[b]) })
		sorted := make([]outRow, len(out))
		for i, j := range idx {
			sorted[i] = out[j]
		}
		out = sorted
	}
	if s.limit > 0 && len(out) > s.limit {
		out = out[:s.limit]
	}
	res := &result{cols: outCols, stmtType: stmtTypeSelect}
	for i := range outCols {
		if fromInput[i] >= 0 {
			continue
		}
		colVals := make([]value, len(out))
		for j, r := range out {
			colVals[j] = r.out[i]
		}
		res.cols[i].typ = resultType(colVals)
	}
	for _, r := range out {
		wr := make([]*string, len(r.out))
		for i, v := range r.out {
			wr[i] = v.wire()
		}
		res.rows = append(res.rows, wr)
	}
	return res, nil
}

// orderKeys evaluates the ORDER BY terms for a row: a number is a position in the select
// list, a name an input column or else an output label.
func (s *selectStmt) orderKeys(x *execCtx, cols, outCols []colMeta, in, out []value) ([]value, error) {
	keys := make([]value, len(s.order))
	for i, o := range s.order {
		if l, ok := o.e.(litExpr); ok && l.v.k == vNumber {
			n := int(l.v.n)
			if n < 1 || n > len(out) {
				return nil, errSyntaxMsg("ORDER BY position %d is not in the select list", n)
			}
			keys[i] = out[n-1]
			continue
		}
		c := &evalCtx{x: x, col: func(name string) (value, bool) {
			if j := slices.IndexFunc(cols, func(c colMeta) bool { return c.name == name }); j >= 0 {
				return in[j], true
			}
			if j := slices.IndexFunc(outCols, func(c colMeta) bool { return c.name == name }); j >= 0 {
				return out[j], true
			}
			return null, false
		}}
		v, err := o.e.eval(c)
		if err != nil {
			return nil, err
		}
		keys[i] = v
	}
	return keys, nil
}

func (s *selectStmt) compareKeys(a, b []value) int {
	for i, o := range s.order {
		x, y := a[i], b[i]
		var c int
		switch {
		case x.isNull() && y.isNull():
			continue
		case x.isNull() || y.isNull():
			c = 1
			if x.isNull() == o.nullsFirst {
				c = -1
			}
			return c
		default:
			var err error
			if c, err = compareValues(x, y); err != nil {
				c = cmp.Compare(x.String(), y.String())
			}
		}
		if o.desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}
