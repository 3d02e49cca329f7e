package emulator

import (
	"strings"
)

// expr is a parsed SQL expression: of a select list, a WHERE clause, an INSERT value, or a
// masking or row access policy body.
type expr interface {
	eval(c *evalCtx) (value, error)
}

// evalCtx binds an expression to a session (for CURRENT_ROLE, IS_ROLE_IN_SESSION, ? bindings)
// and to a row: the columns of a table, or the arguments of a policy.
type evalCtx struct {
	x   *execCtx
	col func(name string) (value, bool)
}

type (
	litExpr   struct{ v value }
	paramExpr struct{ idx string }
	colExpr   struct{ name string } // an identifier, already normalised
	notExpr   struct{ e expr }
	negExpr   struct{ e expr }
	binExpr   struct {
		op   string // OR AND = != < <= > >= || + - * /
		l, r expr
	}
	isNullExpr struct {
		e   expr
		not bool
	}
	inExpr struct {
		e    expr
		list []expr
		not  bool
	}
	likeExpr struct {
		e, pat     expr
		ilike, not bool
	}
	caseExpr struct {
		operand expr // CASE x WHEN v ...; nil for CASE WHEN cond ...
		whens   []expr
		thens   []expr
		els     expr
	}
	castExpr struct {
		e   expr
		typ string
	}
	callExpr struct {
		name string
		args []expr
	}
)

func (e litExpr) eval(*evalCtx) (value, error) { return e.v, nil }

func (e paramExpr) eval(c *evalCtx) (value, error) {
	b, ok := c.x.binds[e.idx]
	if !ok {
		return null, errSyntaxMsg("Bind variable ? not set.")
	}
	return textVal(b), nil
}

func (e colExpr) eval(c *evalCtx) (value, error) {
	if c.col != nil {
		if v, ok := c.col(e.name); ok {
			return v, nil
		}
	}
	return null, errInvalidIdent(e.name)
}

func (e notExpr) eval(c *evalCtx) (value, error) {
	v, err := e.e.eval(c)
	if err != nil || v.isNull() {
		return null, err
	}
	b, err := toBool(v)
	if err != nil {
		return null, err
	}
	return boolVal(!b.b), nil
}

func (e negExpr) eval(c *evalCtx) (value, error) {
	v, err := e.e.eval(c)
	if err != nil || v.isNull() {
		return null, err
	}
	n, err := toNumber(v)
	return numVal(-n), err
}

func (e binExpr) eval(c *evalCtx) (value, error) {
	l, err := e.l.eval(c)
	if err != nil {
		return null, err
	}
	switch e.op {
	case "AND", "OR": // three-valued logic
		lb, err := truth(l)
		if err != nil {
			return null, err
		}
		if lb != nil && *lb == (e.op == "OR") {
			return boolVal(*lb), nil
		}
		r, err := e.r.eval(c)
		if err != nil {
			return null, err
		}
		rb, err := truth(r)
		if err != nil {
			return null, err
		}
		switch {
		case rb != nil && *rb == (e.op == "OR"):
			return boolVal(*rb), nil
		case lb == nil || rb == nil:
			return null, nil
		}
		return boolVal(*rb), nil
	}
	r, err := e.r.eval(c)
	if err != nil || l.isNull() || r.isNull() {
		return null, err
	}
	switch e.op {
	case "||":
		return textVal(l.String() + r.String()), nil
	case "+", "-", "*", "/":
		a, err := toNumber(l)
		if err != nil {
			return null, err
		}
		b, err := toNumber(r)
		if err != nil {
			return null, err
		}
		switch e.op {
		case "+":
			return numVal(a + b), nil
		case "-":
			return numVal(a - b), nil
		case "*":
			return numVal(a * b), nil
		}
		if b == 0 {
			return null, newError(ErrDivisionByZero, "22012", "Division by zero")
		}
		return numVal(a / b), nil
	}
	cmp, err := compareValues(l, r)
	if err != nil {
		return null, err
	}
	switch e.op {
	case "=":
		return boolVal(cmp == 0), nil
	case "!=":
		return boolVal(cmp != 0), nil
	case "<":
		return boolVal(cmp < 0), nil
	case "<=":
		return boolVal(cmp <= 0), nil
	case ">":
		return boolVal(cmp > 0), nil
	}
	return boolVal(cmp >= 0), nil
}

// truth reads a value as a condition: nil for NULL.
func truth(v value) (*bool, error) {
	if v.isNull() {
		return nil, nil
	}
	b, err := toBool(v)
	if err != nil {
		return nil, err
	}
	return &b.b, nil
}

func (e isNullExpr) eval(c *evalCtx) (value, error) {
	v, err := e.e.eval(c)
	return boolVal(v.isNull() != e.not), err
}

func (e inExpr) eval(c *evalCtx) (value, error) {
	v, err := e.e.eval(c)
	if err != nil || v.isNull() {
		return null, err
	}
	sawNull := false
	for _, item := range e.list {
		w, err := item.eval(c)
		if err != nil {
			return null, err
		}
		if w.isNull() {
			sawNull = true
			continue
		}
		cmp, err := compareValues(v, w)
		if err != nil {
			return null, err
		}
		if cmp == 0 {
			return boolVal(!e.not), nil
		}
	}
	if sawNull {
		return null, nil
	}
	return boolVal(e.not), nil
}

func (e likeExpr) eval(c *evalCtx) (value, error) {
	v, err := e.e.eval(c)
	if err != nil {
		return null, err
	}
	p, err := e.pat.eval(c)
	if err != nil || v.isNull() || p.isNull() {
		return null, err
	}
	return boolVal(likePattern(p.String(), e.ilike).MatchString(v.String()) != e.not), nil
}

func (e caseExpr) eval(c *evalCtx) (value, error) {
	var subject value
	if e.operand != nil {
		var err error
		if subject, err = e.operand.eval(c); err != nil {
			return null, err
		}
	}
	for i, w := range e.whens {
		cond, err := w.eval(c)
		if err != nil {
			return null, err
		}
		hit := false
		if e.operand != nil {
			if !subject.isNull() && !cond.isNull() {
				cmp, err := compareValues(subject, cond)
				if err != nil {
					return null, err
				}
				hit = cmp == 0
			}
		} else if b, err := truth(cond); err != nil {
			return null, err
		} else {
			hit = b != nil && *b
		}
		if hit {
			return e.thens[i].eval(c)
		}
	}
	if e.els == nil {
		return null, nil
	}
	return e.els.eval(c)
}

func (e castExpr) eval(c *evalCtx) (value, error) {
	v, err := e.e.eval(c)
	if err != nil {
		return null, err
	}
	return coerce(v, e.typ)
}

func (e callExpr) eval(c *evalCtx) (value, error) {
	if f := sessionFunctions[e.name]; f != nil && len(e.args) == 0 {
		return strPtrVal(f(c.x)), nil
	}
	fn := scalarFunctions[e.name]
	if fn.call == nil && fn.lazy == nil {
		return null, errSyntaxMsg("Unknown function %s", e.name)
	}
	if len(e.args) < fn.min || fn.max >= 0 && len(e.args) > fn.max {
		return null, errSyntaxMsg("error line 0 at position -1\ninvalid argument count for function %s: %d", e.name, len(e.args))
	}
	if fn.lazy != nil {
		return fn.lazy(c, e.args)
	}
	args := make([]value, len(e.args))
	for i, a := range e.args {
		v, err := a.eval(c)
		if err != nil {
			return null, err
		}
		args[i] = v
	}
	return fn.call(c, args)
}

func errInvalidIdent(name string) *Error {
	return newError(ErrInvalidIdentifier, "42000", "SQL compilation error: error line 0 at position -1\ninvalid identifier '%s'", quoteName(name))
}

// --- parsing: OR < AND < NOT < comparison, IS, IN, LIKE < + - || < * / < unary - < :: ---

// exprStop lists the keywords that end an expression where an alias could follow.
var exprStop = map[string]bool{"FROM": true, "WHERE": true, "ORDER": true, "LIMIT": true, "AS": true,
	"COMMENT": true, "EXEMPT_OTHER_POLICIES": true, "THEN": true, "ELSE": true, "END": true, "WHEN": true,
	"ASC": true, "DESC": true, "NULLS": true}

func (p *parser) expr() (expr, error) { return p.orExpr() }

func (p *parser) orExpr() (expr, error) {
	l, err := p.andExpr()
	for err == nil && p.acceptKw("OR") {
		var r expr
		if r, err = p.andExpr(); err == nil {
			l = binExpr{"OR", l, r}
		}
	}
	return l, err
}

func (p *parser) andExpr() (expr, error) {
	l, err := p.notExpr()
	for err == nil && p.acceptKw("AND") {
		var r expr
		if r, err = p.notExpr(); err == nil {
			l = binExpr{"AND", l, r}
		}
	}
	return l, err
}

func (p *parser) notExpr() (expr, error) {
	if p.acceptKw("NOT") {
		e, err := p.notExpr()
		return notExpr{e}, err
	}
	return p.cmpExpr()
}

func (p *parser) cmpExpr() (expr, error) {
	l, err := p.addExpr()
	if err != nil {
		return nil, err
	}
	for {
		switch {
		case p.acceptKw("IS"):
			not := p.acceptKw("NOT")
			if err := p.expectKw("NULL"); err != nil {
				return nil, err
			}
			l = isNullExpr{l, not}
			continue
		case p.isKw("NOT", "IN") || p.isKw("IN"):
			not := p.acceptKw("NOT")
			p.i++
			list, err := p.exprList()
			if err != nil {
				return nil, err
			}
			l = inExpr{l, list, not}
			continue
		case p.isKw("NOT", "LIKE") || p.isKw("NOT", "ILIKE") || p.isKw("LIKE") || p.isKw("ILIKE"):
			not := p.acceptKw("NOT")
			ilike := p.next().val == "ILIKE"
			r, err := p.addExpr()
			if err != nil {
				return nil, err
			}
			l = likeExpr{l, r, ilike, not}
			continue
		}
		t := p.peek()
		if t.kind != tPunct {
			return l, nil
		}
		op := t.val
		switch op {
		case "=", "!=", "<>", "<", "<=", ">", ">=":
		default:
			return l, nil
		}
		if op == "=" && p.i+1 < len(p.toks) && p.toks[p.i+1].val == ">" { // named argument =>
			return l, nil
		}
		p.i++
		if op == "<>" {
			op = "!="
		}
		r, err := p.addExpr()
		if err != nil {
			return nil, err
		}
		l = binExpr{op, l, r}
	}
}

// exprList reads "(e, ...)".
func (p *parser) exprList() ([]expr, error) {
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	var list []expr
	if p.acceptPunct(")") {
		return list, nil
	}
	for {
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		list = append(list, e)
		if p.acceptPunct(")") {
			return list, nil
		}
		if err := p.expectPunct(","); err != nil {
			return nil, err
		}
	}
}

func (p *parser) addExpr() (expr, error) {
	l, err := p.mulExpr()
	for err == nil && (p.isPunct("+") || p.isPunct("-") && !p.isArrow() || p.isPunct("||")) {
		op := p.next().val
		var r expr
		if r, err = p.mulExpr(); err == nil {
			l = binExpr{op, l, r}
		}
	}
	return l, err
}

// isArrow reports whether the next tokens are "->" (a policy body follows).
func (p *parser) isArrow() bool {
	return p.isPunct("-") && p.i+1 < len(p.toks) && p.toks[p.i+1].kind == tPunct && p.toks[p.i+1].val == ">" &&
		p.toks[p.i+1].pos == p.toks[p.i].end
}

func (p *parser) mulExpr() (expr, error) {
	l, err := p.unaryExpr()
	for err == nil && (p.isPunct("*") || p.isPunct("/")) {
		op := p.next().val
		var r expr
		if r, err = p.unaryExpr(); err == nil {
			l = binExpr{op, l, r}
		}
	}
	return l, err
}

func (p *parser) unaryExpr() (expr, error) {
	if p.acceptPunct("-") {
		e, err := p.unaryExpr()
		return negExpr{e}, err
	}
	p.acceptPunct("+")
	e, err := p.primary()
	for err == nil && p.acceptPunct("::") {
		var typ string
		if typ, err = p.typeName(); err == nil {
			e = castExpr{e, typ}
		}
	}
	return e, err
}

func (p *parser) primary() (expr, error) {
	t := p.next()
	switch t.kind {
	case tString:
		return litExpr{textVal(t.val)}, nil
	case tNumber:
		n, err := toNumber(textVal(t.val))
		if err != nil {
			return nil, syntaxErrorAt(p.src, t.pos, t.val)
		}
		return litExpr{numVal(n)}, nil
	case tParam:
		return paramExpr{t.val}, nil
	case tQuoted:
		return p.columnRef(t)
	case tPunct:
		if t.val == "(" {
			e, err := p.expr()
			if err != nil {
				return nil, err
			}
			return e, p.expectPunct(")")
		}
	case tIdent:
		switch t.val {
		case "NULL":
			return litExpr{null}, nil
		case "TRUE", "FALSE":
			return litExpr{boolVal(t.val == "TRUE")}, nil
		case "CASE":
			return p.caseBody()
		case "CAST", "TRY_CAST":
			if !p.isPunct("(") {
				break
			}
			p.i++
			e, err := p.expr()
			if err != nil {
				return nil, err
			}
			if err := p.expectKw("AS"); err != nil {
				return nil, err
			}
			typ, err := p.typeName()
			if err != nil {
				return nil, err
			}
			return castExpr{e, typ}, p.expectPunct(")")
		}
		if p.isPunct("(") {
			args, err := p.exprList()
			if err != nil {
				return nil, err
			}
			if fn := scalarFunctions[t.val]; sessionFunctions[t.val] == nil && fn.call == nil && fn.lazy == nil {
				return nil, errSyntaxMsg("Unknown function %s", t.val)
			}
			return callExpr{t.val, args}, nil
		}
		return p.columnRef(t)
	}
	p.i--
	return nil, p.unexpected()
}

// columnRef reads [qualifier.]*name starting at t; the column is the last part.
func (p *parser) columnRef(t token) (expr, error) {
	name := t.val
	for p.acceptPunct(".") {
		id, err := p.ident()
		if err != nil {
			return nil, err
		}
		name = id
	}
	return colExpr{name}, nil
}

func (p *parser) caseBody() (expr, error) {
	var c caseExpr
	if !p.isKw("WHEN") {
		var err error
		if c.operand, err = p.expr(); err != nil {
			return nil, err
		}
	}
	for p.acceptKw("WHEN") {
		w, err := p.expr()
		if err != nil {
			return nil, err
		}
		if err := p.expectKw("THEN"); err != nil {
			return nil, err
		}
		th, err := p.expr()
		if err != nil {
			return nil, err
		}
		c.whens, c.thens = append(c.whens, w), append(c.thens, th)
	}
	if len(c.whens) == 0 {
		return nil, p.unexpected()
	}
	if p.acceptKw("ELSE") {
		var err error
		if c.els, err = p.expr(); err != nil {
			return nil, err
		}
	}
	return c, p.expectKw("END")
}

// typeName reads a data type as written ("VARCHAR", "VARCHAR(10)", "NUMBER(38, 0)"),
// returned upper-cased without spaces.
func (p *parser) typeName() (string, error) {
	t := p.next()
	if t.kind != tIdent {
		p.i--
		return "", p.unexpected()
	}
	name := t.val
	if name == "DOUBLE" {
		p.acceptKw("PRECISION")
	}
	if !p.acceptPunct("(") {
		return name, nil
	}
	var args []string
	for {
		n := p.next()
		if n.kind != tNumber {
			p.i--
			return "", p.unexpected()
		}
		args = append(args, n.val)
		if p.acceptPunct(")") {
			return name + "(" + strings.Join(args, ",") + ")", nil
		}
		if err := p.expectPunct(","); err != nil {
			return "", err
		}
	}
}
