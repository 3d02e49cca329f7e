package emulator

import "regexp"

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
		re         *regexp.Regexp // the compiled pattern when it is a literal
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
	re := e.re
	if re == nil {
		re = likePattern(p.String(), e.ilike)
	}
	return boolVal(re.MatchString(v.String()) != e.not), nil
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
