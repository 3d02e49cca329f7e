package emulator

import "strings"

// Expression parsing, by precedence from loosest to tightest: OR, AND, NOT, comparisons (= !=
// <> < <= > >=, IS [NOT] NULL, [NOT] IN, [NOT] LIKE | ILIKE), + - ||, * /, unary -, ::
// (https://docs.snowflake.com/en/sql-reference/operators).

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
			like := likeExpr{e: l, pat: r, ilike: ilike, not: not}
			if lit, ok := r.(litExpr); ok && lit.v.k == vText {
				like.re = likePattern(lit.v.s, ilike)
			}
			l = like
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
