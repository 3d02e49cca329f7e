package emulator

import (
	"strconv"
	"strings"
)

// declared is the column's type as declared (its base type when only that is known).
func (c column) declared() string {
	if c.decl != "" {
		return c.decl
	}
	return c.typ
}

// wireType is the result type the column's values go out as: fixed for integers, real for
// other numbers, boolean, text for everything else (dates and timestamps included).
func (c column) wireType() string {
	switch typeFamily(c.declared()) {
	case "FIXED":
		if typeScale(c.declared()) > 0 {
			return "real"
		}
		return "fixed"
	case "REAL":
		return "real"
	case "BOOLEAN":
		return "boolean"
	}
	return "text"
}

// declaredType reads a column definition's type: its first word with a parenthesised
// parameter list when one follows ("NUMBER(38, 0) NOT NULL" gives NUMBER(38,0)).
func declaredType(def string) string {
	d := strings.ToUpper(strings.TrimSpace(def))
	end := strings.IndexAny(d, " \t\r\n(")
	if end < 0 {
		return d
	}
	name, rest := d[:end], strings.TrimLeft(d[end:], " \t\r\n")
	if !strings.HasPrefix(rest, "(") {
		return name
	}
	close := strings.IndexByte(rest, ')')
	if close < 0 {
		return name
	}
	return name + strings.Join(strings.Fields(rest[:close+1]), "")
}

// insertStmt is INSERT INTO name [(col, ...)] VALUES (expr, ...), ...
// (https://docs.snowflake.com/en/sql-reference/sql/insert); the values are constant
// expressions, converted to the columns' types.
type insertStmt struct {
	name []string
	cols []string
	rows [][]expr
}

func (p *parser) parseInsert() (statement, error) {
	s := &insertStmt{}
	if err := p.expectKw("INTO"); err != nil {
		return nil, err
	}
	var err error
	if s.name, err = p.name(3); err != nil {
		return nil, err
	}
	if p.isPunct("(") {
		if s.cols, err = p.identList(); err != nil {
			return nil, err
		}
	}
	if err := p.expectKw("VALUES"); err != nil {
		return nil, err
	}
	for {
		row, err := p.exprList()
		if err != nil {
			return nil, err
		}
		s.rows = append(s.rows, row)
		if !p.acceptPunct(",") {
			return s, p.end()
		}
	}
}

func (s *insertStmt) run(x *execCtx) (*result, error) {
	obj, err := x.tableObj(s.name, kTable, "INSERT")
	if err != nil {
		return nil, err
	}
	if obj.kind != kTable {
		return nil, errSyntaxMsg("cannot insert into view %s", obj.fqn())
	}
	if !x.roles().holds(obj, "INSERT", false) {
		return nil, errPrivileges(obj.kind.label(), obj.fqn())
	}
	target := make([]int, 0, len(obj.columns))
	if s.cols == nil {
		for i := range obj.columns {
			target = append(target, i)
		}
	}
	for _, n := range s.cols {
		ci := obj.columnIndex(n)
		if ci < 0 {
			return nil, errInvalidIdent(n)
		}
		target = append(target, ci)
	}
	c := &evalCtx{x: x}
	var rows [][]value
	for _, exprs := range s.rows {
		if len(exprs) != len(target) {
			return nil, newError(ErrInsertValueCount, "21S01", "SQL compilation error:\nInsert value list does not match column list expecting %d but got %d", len(target), len(exprs))
		}
		row := make([]value, len(obj.columns))
		for i, e := range exprs {
			v, err := e.eval(c)
			if err != nil {
				return nil, err
			}
			col := obj.columns[target[i]]
			if row[target[i]], err = coerce(v, col.declared()); err != nil {
				return nil, err
			}
		}
		for i, col := range obj.columns {
			if !col.nullable && row[i].isNull() {
				return nil, newError(ErrNotNull, "22000", "NULL result in a non-nullable column")
			}
		}
		rows = append(rows, row)
	}
	obj.rows = append(obj.rows, rows...)
	n := strconv.Itoa(len(rows))
	return &result{cols: []colMeta{{"number of rows inserted", "fixed"}}, rows: [][]*string{{&n}}, stmtType: stmtTypeInsert}, nil
}

// visibleRows is what SELECT reads from a table for the session: the rows its row access
// policy returns TRUE for (evaluated on the stored values), with each masked column replaced
// by its masking policy's body evaluated on the stored values and converted to the policy's
// return type (https://docs.snowflake.com/en/user-guide/security-column-intro,
// https://docs.snowflake.com/en/user-guide/security-row-intro).
func (x *execCtx) visibleRows(obj *object) ([][]value, error) {
	bind := func(row []value, cols []string) []value {
		args := make([]value, len(cols))
		for i, n := range cols {
			if ci := obj.columnIndex(n); ci >= 0 {
				args[i] = row[ci]
			}
		}
		return args
	}
	var out [][]value
	for _, row := range obj.rows {
		if rp := obj.rowPolicy; rp != nil {
			v, err := rp.policy.policy.eval(x, bind(row, rp.cols))
			if err != nil {
				return nil, err
			}
			if !v.isTrue() {
				continue
			}
		}
		masked := append([]value(nil), row...)
		for ci, c := range obj.columns {
			if c.mask == nil {
				continue
			}
			cols := c.mask.using
			if cols == nil {
				cols = []string{c.name}
			}
			def := c.mask.policy.policy
			v, err := def.eval(x, bind(row, cols))
			if err != nil {
				return nil, err
			}
			if masked[ci], err = coerce(v, def.returns); err != nil {
				return nil, err
			}
		}
		out = append(out, masked)
	}
	return out, nil
}

// describeStmt is DESC[RIBE] TABLE | VIEW name [TYPE = COLUMNS] and DESC[RIBE] MASKING | ROW
// ACCESS POLICY name.
type describeStmt struct {
	kind kind
	name []string
}

func (p *parser) parseDescribe() (statement, error) {
	s := &describeStmt{}
	if k, ok := p.acceptPolicyKind(); ok {
		s.kind = k
	} else if p.acceptKw("TABLE") {
		s.kind = kTable
	} else if p.acceptKw("VIEW") {
		s.kind = kView
	} else {
		return nil, p.unexpected()
	}
	var err error
	if s.name, err = p.name(3); err != nil {
		return nil, err
	}
	if (s.kind == kTable || s.kind == kView) && p.acceptKw("TYPE") {
		if err := p.expectPunct("="); err != nil {
			return nil, err
		}
		if err := p.expectKw("COLUMNS"); err != nil {
			return nil, err
		}
	}
	return s, p.end()
}

func (s *describeStmt) run(x *execCtx) (*result, error) {
	if s.kind == kMaskingPolicy || s.kind == kRowAccessPolicy {
		return x.describePolicy(s.kind, s.name)
	}
	want := kind("")
	if s.kind == kView {
		want = kView
	}
	obj, err := x.tableObj(s.name, want, "DESCRIBE")
	if err != nil {
		return nil, err
	}
	// SELECT on the table, or the account's APPLY MASKING POLICY or APPLY ROW ACCESS POLICY,
	// which "also allows executing the DESCRIBE operation on tables and views"
	// (https://docs.snowflake.com/en/user-guide/security-access-control-privileges).
	if !x.roles().holds(obj, "SELECT", false) && !x.holdsApply() {
		return nil, errNotExist(obj.kind.title(), obj.fqn())
	}
	return describeColumns(obj), nil
}

// describeColumns is DESCRIBE TABLE's output: one row per column with the masking policy set
// directly on it in "policy name" (https://docs.snowflake.com/en/sql-reference/sql/desc-table).
// It reads metadata only: no warehouse is needed.
func describeColumns(obj *object) *result {
	names := []string{"name", "type", "kind", "null?", "default", "primary key", "unique key", "check",
		"expression", "comment", "policy name", "privacy domain"}
	cols := make([]colMeta, len(names))
	for i, n := range names {
		cols[i] = colMeta{n, "text"}
	}
	res := &result{cols: cols, stmtType: stmtTypeSCL}
	for _, c := range obj.columns {
		var policy *string
		if c.mask != nil {
			policy = str(c.mask.policy.fqn())
		}
		null := "Y"
		if !c.nullable {
			null = "N"
		}
		res.rows = append(res.rows, []*string{str(c.name), str(displayType(c.declared())), str("COLUMN"), str(null),
			nil, str("N"), str("N"), nil, nil, nil, policy, nil})
	}
	return res
}
