package datapolicy

import (
	"errors"
	"fmt"
	"strings"

	"github.com/snowsync/snowsync/internal/snowflake"
)

// A Ranger CUSTOM valueExpr or filterExpr is SQL written by a Ranger administrator for another engine.
// It is pasted into a policy body only after it has been split into tokens, every token checked
// against a short list of what may appear in an expression, and re-assembled: column references are
// re-quoted by snowflake.QuoteIdent, keywords and functions must be on the lists below, and anything
// that could end the body or the statement (';', '$$', a comment, an unbalanced parenthesis or quote)
// or reach other data (a subquery, a qualified name, an unknown function) is an error.

// tokenKind is the kind of a token of an expression.
type tokenKind int

const (
	tokString      tokenKind = iota // '...', verbatim (escapes as Snowflake reads them)
	tokQuotedIdent                  // "...", text holds the unquoted name
	tokIdent                        // unquoted identifier or keyword
	tokNumber                       // 12, 1.5, .5, 1e3
	tokOp                           // operator or punctuation
	tokColumn                       // {col}, Ranger's stand-in for the masked value
)

type token struct {
	kind  tokenKind
	text  string
	space bool // whitespace precedes the token
}

// errExpr marks an expression that is refused.
var errExpr = errors.New("expression refused")

func exprErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errExpr}, args...)...)
}

// operators are the operators an expression may use, two-character ones first.
var operators = []string{"<=", ">=", "<>", "!=", "||", "::", "=", "<", ">", "+", "-", "*", "/", "%", "(", ")", ","}

// tokenize splits an expression into tokens, refusing comments, ';', '$', unterminated quotes,
// unbalanced parentheses, control characters (even in literals) and any character that is not part of
// a plain expression.
func tokenize(s string) ([]token, error) {
	if i := strings.IndexFunc(s, func(r rune) bool { return r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f }); i >= 0 {
		return nil, exprErr("control character %q is not allowed", s[i])
	}
	var toks []token
	space, depth := false, 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			space = true
			i++
			continue
		case strings.HasPrefix(s[i:], "--") || strings.HasPrefix(s[i:], "//") || strings.HasPrefix(s[i:], "/*"):
			return nil, exprErr("comments are not allowed")
		case c == '\'':
			j := i + 1
			for ; j < len(s); j++ {
				if s[j] == '\\' {
					j++
					continue
				}
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						j++
						continue
					}
					break
				}
			}
			if j >= len(s) {
				return nil, exprErr("unterminated string literal")
			}
			toks = append(toks, token{tokString, s[i : j+1], space})
			i = j + 1
		case c == '"':
			var name strings.Builder
			j := i + 1
			for ; j < len(s); j++ {
				if s[j] == '"' {
					if j+1 < len(s) && s[j+1] == '"' {
						name.WriteByte('"')
						j++
						continue
					}
					break
				}
				name.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, exprErr("unterminated quoted identifier")
			}
			if name.Len() == 0 {
				return nil, exprErr("empty quoted identifier")
			}
			toks = append(toks, token{tokQuotedIdent, name.String(), space})
			i = j + 1
		case strings.HasPrefix(s[i:], "{col}"):
			toks = append(toks, token{tokColumn, "{col}", space})
			i += len("{col}")
		case isIdentStart(c):
			j := i + 1
			for j < len(s) && isIdentPart(s[j]) {
				j++
			}
			toks = append(toks, token{tokIdent, s[i:j], space})
			i = j
		case isDigit(c) || (c == '.' && i+1 < len(s) && isDigit(s[i+1])):
			j := scanNumber(s, i)
			if j < len(s) && (isIdentStart(s[j]) || s[j] == '.') {
				return nil, exprErr("malformed number %q", s[i:min(j+1, len(s))])
			}
			toks = append(toks, token{tokNumber, s[i:j], space})
			i = j
		default:
			op := ""
			for _, o := range operators {
				if strings.HasPrefix(s[i:], o) {
					op = o
					break
				}
			}
			if op == "" {
				return nil, exprErr("character %q is not allowed", rune(c))
			}
			if op == "(" {
				depth++
			} else if op == ")" {
				if depth--; depth < 0 {
					return nil, exprErr("unbalanced parentheses")
				}
			}
			toks = append(toks, token{tokOp, op, space})
			i += len(op)
		}
		space = false
	}
	if depth != 0 {
		return nil, exprErr("unbalanced parentheses")
	}
	if len(toks) == 0 {
		return nil, exprErr("empty expression")
	}
	return toks, nil
}

func isIdentStart(c byte) bool { return c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z') }
func isIdentPart(c byte) bool  { return isIdentStart(c) || isDigit(c) || c == '$' }
func isDigit(c byte) bool      { return c >= '0' && c <= '9' }

// scanNumber returns the end of the number starting at i: digits, a fraction, an exponent.
func scanNumber(s string, i int) int {
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && isDigit(s[j]) {
			for i = j; i < len(s) && isDigit(s[i]); i++ {
			}
		}
	}
	return i
}

// allowedFunctions may be called in an expression: the functions the emulator evaluates (and that
// Snowflake has). Names are upper case.
var allowedFunctions = map[string]bool{
	"IS_ROLE_IN_SESSION": true, "CURRENT_ROLE": true, "IFF": true, "COALESCE": true, "REGEXP_REPLACE": true,
	"LEFT": true, "RIGHT": true, "LENGTH": true, "REPEAT": true, "CONCAT": true, "SUBSTR": true, "UPPER": true,
	"LOWER": true, "SHA2": true, "MD5": true, "DATE_TRUNC": true, "TO_VARCHAR": true, "TO_DATE": true,
	"TO_NUMBER": true, "CAST": true, "GREATEST": true, "LEAST": true,
}

// keywords may appear in an expression outside a type position.
var keywords = map[string]bool{
	"AND": true, "OR": true, "NOT": true, "IS": true, "NULL": true, "IN": true, "TRUE": true, "FALSE": true,
	"CASE": true, "WHEN": true, "THEN": true, "ELSE": true, "END": true,
}

// typeNames may follow '::' or AS (inside CAST).
var typeNames = map[string]bool{
	"VARCHAR": true, "STRING": true, "TEXT": true, "CHAR": true, "NUMBER": true, "DECIMAL": true, "NUMERIC": true,
	"INT": true, "INTEGER": true, "BIGINT": true, "FLOAT": true, "DOUBLE": true, "REAL": true, "BOOLEAN": true,
	"DATE": true, "TIME": true, "TIMESTAMP_NTZ": true, "TIMESTAMP_LTZ": true, "TIMESTAMP_TZ": true,
	"VARIANT": true, "BINARY": true,
}

// exprRefs says how an expression's references become SQL.
type exprRefs struct {
	// column resolves a column reference (quoted tells a "quoted" one from a bare one) to the SQL
	// that replaces it, or refuses it.
	column func(name string, quoted bool) (string, error)
	// value replaces {col}; empty refuses {col}.
	value string
}

// render checks and re-assembles an expression: keywords, functions and type names upper-cased,
// references replaced as refs says, literals and operators kept, a single space wherever the source had
// whitespace.
func render(expr string, refs exprRefs) (string, error) {
	toks, err := tokenize(expr)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	typePos := false // the previous token was '::' or AS: a type name comes next
	for i, t := range toks {
		next := ""
		if i+1 < len(toks) && toks[i+1].kind == tokOp {
			next = toks[i+1].text
		}
		var out string
		switch t.kind {
		case tokString, tokNumber:
			out = t.text
		case tokOp:
			out = t.text
		case tokColumn:
			if refs.value == "" {
				return "", exprErr("{col} is only allowed in a CUSTOM mask")
			}
			out = refs.value
		case tokQuotedIdent:
			if next == "(" {
				return "", exprErr("quoted function name %s is not allowed", snowflake.QuoteIdent(t.text))
			}
			if out, err = refs.column(t.text, true); err != nil {
				return "", err
			}
		case tokIdent:
			up := strings.ToUpper(t.text)
			switch {
			case typePos:
				if !typeNames[up] {
					return "", exprErr("type %q is not allowed", t.text)
				}
				out = up
			case keywords[up]:
				out = up
			case next == "(":
				if !allowedFunctions[up] {
					return "", exprErr("function %q is not allowed", t.text)
				}
				out = up
			case up == "AS":
				if !insideCast(toks, i) {
					return "", exprErr("AS is only allowed in CAST")
				}
				out = up
			default:
				if i+1 < len(toks) && toks[i+1].kind == tokIdent && !keywords[strings.ToUpper(toks[i+1].text)] &&
					!strings.EqualFold(toks[i+1].text, "AS") {
					return "", exprErr("%q followed by %q is not an expression (a subquery or an alias?)", t.text, toks[i+1].text)
				}
				if out, err = refs.column(t.text, false); err != nil {
					return "", err
				}
			}
		}
		typePos = (t.kind == tokOp && t.text == "::") || (t.kind == tokIdent && strings.EqualFold(t.text, "AS"))
		if t.space && i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(out)
	}
	if typePos {
		return "", exprErr("a type name must follow :: or AS")
	}
	return b.String(), nil
}

// insideCast reports whether toks[i] lies directly inside the parentheses of a CAST( ... ).
func insideCast(toks []token, i int) bool {
	depth := 0
	for j := i - 1; j >= 0; j-- {
		if toks[j].kind != tokOp {
			continue
		}
		switch toks[j].text {
		case ")":
			depth++
		case "(":
			if depth == 0 {
				return j > 0 && toks[j-1].kind == tokIdent && strings.EqualFold(toks[j-1].text, "CAST")
			}
			depth--
		}
	}
	return false
}
