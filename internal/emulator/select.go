package emulator

import (
	"regexp"
	"slices"
	"strings"
)

// valueRef is a literal or a bound ? parameter in SELECT.
type valueRef struct {
	lit   *string // nil for NULL
	param string  // bind index when this is a ?
	num   bool    // numeric literal
}

func (x *execCtx) value(v valueRef) (*string, error) {
	if v.param == "" {
		return v.lit, nil
	}
	b, ok := x.binds[v.param]
	if !ok {
		return nil, errSyntaxMsg("Bind variable ? not set.")
	}
	return &b, nil
}

// selectItem is one entry of the select list.
type selectItem struct {
	star  bool
	col   string   // column of the FROM view
	fn    string   // CURRENT_ROLE and friends
	val   valueRef // literal or parameter
	isVal bool
	label string // alias, or the expression text upper-cased as Snowflake names it
}

// condition is one WHERE term: col = v | col != v | col [I]LIKE v | col IN (v, ...).
type condition struct {
	col  string
	op   string
	vals []valueRef
}

// selectStmt is SELECT <list> [FROM name] [WHERE cond AND ...] [LIMIT n].
type selectStmt struct {
	items []selectItem
	from  []string
	where []condition
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
		if s.from, err = p.name(3); err != nil {
			return nil, err
		}
		if p.acceptKw("WHERE") {
			for {
				c, err := p.condition()
				if err != nil {
					return nil, err
				}
				s.where = append(s.where, c)
				if !p.acceptKw("AND") {
					break
				}
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
	for _, it := range s.items {
		if s.from == nil && (it.star || it.col != "") || s.from != nil && (it.fn != "" || it.isVal) {
			return nil, errSyntaxMsg("the emulator selects either constants and session functions, or columns of one table or INFORMATION_SCHEMA view")
		}
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
	start := p.peek()
	var it selectItem
	switch start.kind {
	case tNumber, tString, tParam:
		v, err := p.valueRef()
		if err != nil {
			return it, err
		}
		it.val, it.isVal = v, true
	case tIdent, tQuoted:
		p.i++
		switch {
		case start.kind == tIdent && p.isPunct("("):
			p.i++
			if err := p.expectPunct(")"); err != nil {
				return it, err
			}
			if sessionFunctions[start.val] == nil {
				return it, errSyntaxMsg("Unknown function %s", start.val)
			}
			it.fn = start.val
		case start.kind == tIdent && start.val == "NULL":
			it.isVal = true
		default:
			it.col = start.val
		}
	default:
		return it, p.unexpected()
	}
	it.label = strings.ToUpper(p.src[start.pos:p.toks[p.i-1].end])
	if start.kind == tQuoted {
		it.label = start.val
	}
	if p.acceptKw("AS") || p.peek().kind == tQuoted || p.peek().kind == tIdent && !p.isKw("FROM") && !p.isKw("LIMIT") {
		alias, err := p.ident()
		if err != nil {
			return it, err
		}
		it.label = alias
	}
	return it, nil
}

func (p *parser) valueRef() (valueRef, error) {
	t := p.next()
	switch t.kind {
	case tString:
		return valueRef{lit: &t.val}, nil
	case tNumber:
		return valueRef{lit: &t.val, num: true}, nil
	case tParam:
		return valueRef{param: t.val}, nil
	case tIdent:
		if t.val == "NULL" {
			return valueRef{}, nil
		}
	}
	p.i--
	return valueRef{}, p.unexpected()
}

func (p *parser) condition() (condition, error) {
	var c condition
	var err error
	if c.col, err = p.ident(); err != nil {
		return c, err
	}
	switch {
	case p.acceptPunct("="):
		c.op = "="
	case p.acceptPunct("!="), p.acceptPunct("<>"):
		c.op = "!="
	case p.acceptKw("LIKE"):
		c.op = "LIKE"
	case p.acceptKw("ILIKE"):
		c.op = "ILIKE"
	case p.acceptKw("IN"):
		c.op = "IN"
		if err := p.expectPunct("("); err != nil {
			return c, err
		}
		for {
			v, err := p.valueRef()
			if err != nil {
				return c, err
			}
			c.vals = append(c.vals, v)
			if p.acceptPunct(")") {
				return c, nil
			}
			if err := p.expectPunct(","); err != nil {
				return c, err
			}
		}
	default:
		return c, p.unexpected()
	}
	v, err := p.valueRef()
	c.vals = []valueRef{v}
	return c, err
}

func (s *selectStmt) run(x *execCtx) (*result, error) {
	if s.from == nil {
		res := &result{stmtType: stmtTypeSelect, rows: [][]*string{{}}}
		for _, it := range s.items {
			typ := "text"
			var v *string
			if it.fn != "" {
				v = sessionFunctions[it.fn](x)
			} else {
				var err error
				if v, err = x.value(it.val); err != nil {
					return nil, err
				}
				if it.val.num {
					typ = "fixed"
				}
			}
			res.cols = append(res.cols, colMeta{it.label, typ})
			res.rows[0] = append(res.rows[0], v)
		}
		return res, nil
	}
	view, rows, err := s.source(x)
	if err != nil {
		return nil, err
	}
	return s.project(x, view, rows)
}

// source resolves FROM: an INFORMATION_SCHEMA view with its rows, or a table or view of the
// catalog, whose data the emulator does not hold (no rows).
func (s *selectStmt) source(x *execCtx) ([]colMeta, [][]*string, error) {
	parts := s.from
	if len(parts) >= 2 && parts[len(parts)-2] == "INFORMATION_SCHEMA" {
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
			return nil, nil, errNotExist("Object", joinName(db.name, "INFORMATION_SCHEMA", parts[len(parts)-1]))
		}
		return v.cols, v.rows(x, db, s.pushdown(x, v)), nil
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
		cols[i] = colMeta{c.name, "text"}
	}
	if len(cols) == 0 {
		cols = []colMeta{{"1", "text"}}
	}
	return cols, nil, nil
}

// pushdown turns WHERE equalities on a view's schema and name columns into lookups, so a
// query for one table of a 5,000-table database does not walk them all.
func (s *selectStmt) pushdown(x *execCtx, v *infoView) lookup {
	var l lookup
	for _, c := range s.where {
		if c.op != "=" && c.op != "IN" {
			continue
		}
		var vals []string
		for _, ref := range c.vals {
			if val, err := x.value(ref); err == nil && val != nil {
				vals = append(vals, *val)
			}
		}
		switch strings.ToUpper(c.col) {
		case v.schemaCol:
			l.schemas = intersect(l.schemas, vals)
		case v.nameCol:
			l.names = intersect(l.names, vals)
		}
	}
	return l
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

func (s *selectStmt) project(x *execCtx, cols []colMeta, rows [][]*string) (*result, error) {
	index := func(name string) (int, error) {
		for i, c := range cols {
			if strings.EqualFold(c.name, name) {
				return i, nil
			}
		}
		return 0, errSyntaxMsg("error line 1 at position 7\ninvalid identifier '%s'", name)
	}
	terms := make([]whereTerm, len(s.where))
	for i, c := range s.where {
		ci, err := index(c.col)
		if err != nil {
			return nil, err
		}
		terms[i] = whereTerm{col: ci, op: c.op}
		for _, ref := range c.vals {
			v, err := x.value(ref)
			if err != nil {
				return nil, err
			}
			terms[i].vals = append(terms[i].vals, v)
		}
		if (c.op == "LIKE" || c.op == "ILIKE") && terms[i].vals[0] != nil {
			terms[i].re = likePattern(*terms[i].vals[0], c.op == "ILIKE")
		}
	}
	var outCols []colMeta
	var pick []int
	for _, it := range s.items {
		if it.star {
			for i, c := range cols {
				outCols, pick = append(outCols, c), append(pick, i)
			}
			continue
		}
		ci, err := index(it.col)
		if err != nil {
			return nil, err
		}
		outCols, pick = append(outCols, colMeta{it.label, cols[ci].typ}), append(pick, ci)
	}
	res := &result{cols: outCols, stmtType: stmtTypeSelect}
	for _, row := range rows {
		if !slices.ContainsFunc(terms, func(t whereTerm) bool { return !t.matches(row[t.col]) }) {
			out := make([]*string, len(pick))
			for i, ci := range pick {
				out[i] = row[ci]
			}
			res.rows = append(res.rows, out)
			if s.limit > 0 && len(res.rows) == s.limit {
				break
			}
		}
	}
	return res, nil
}

// whereTerm is a condition bound to a column index and its values.
type whereTerm struct {
	col  int
	op   string
	vals []*string
	re   *regexp.Regexp
}

// matches applies the term to a value; NULL matches nothing, as in SQL.
func (t whereTerm) matches(v *string) bool {
	if v == nil {
		return false
	}
	switch t.op {
	case "LIKE", "ILIKE":
		return t.re != nil && t.re.MatchString(*v)
	case "!=":
		return t.vals[0] != nil && *t.vals[0] != *v
	default: // = and IN
		return slices.ContainsFunc(t.vals, func(w *string) bool { return w != nil && *w == *v })
	}
}
