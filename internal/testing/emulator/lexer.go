package emulator

import (
	"strconv"
	"strings"
)

type tokKind int

const (
	tEOF    tokKind = iota
	tIdent          // unquoted identifier or keyword; val is upper-cased
	tQuoted         // double-quoted identifier; val is the exact name
	tString         // string literal; val is the decoded text
	tNumber         // numeric literal
	tPunct          // punctuation: . , ; ( ) = * < > != <> <= >=
	tParam          // ? bind placeholder; val is its 1-based index
)

type token struct {
	kind     tokKind
	val      string
	pos, end int // byte offsets into the source text
}

// lex splits src into tokens, dropping whitespace and comments (--, //, /* */).
func lex(src string) ([]token, error) {
	var toks []token
	nparam := 0
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case c == '-' && strings.HasPrefix(src[i:], "--"), c == '/' && strings.HasPrefix(src[i:], "//"):
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '/' && strings.HasPrefix(src[i:], "/*"):
			j := strings.Index(src[i+2:], "*/")
			if j < 0 {
				return nil, syntaxErrorAt(src, i, "/*")
			}
			i += j + 4
		case isIdentStart(c):
			j := i + 1
			for j < len(src) && isIdentPart(src[j]) {
				j++
			}
			toks = append(toks, token{tIdent, strings.ToUpper(src[i:j]), i, j})
			i = j
		case c >= '0' && c <= '9':
			j := i + 1
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '.') {
				j++
			}
			toks = append(toks, token{tNumber, src[i:j], i, j})
			i = j
		case c == '"':
			val, j, ok := scanQuoted(src, i, '"')
			if !ok {
				return nil, syntaxErrorAt(src, i, src[i:])
			}
			if val == "" {
				return nil, errSyntaxMsg("zero-length delimited identifier at line %d position %d", lineOf(src, i), colOf(src, i))
			}
			toks = append(toks, token{tQuoted, val, i, j})
			i = j
		case c == '\'':
			val, j, ok := scanString(src, i)
			if !ok {
				return nil, syntaxErrorAt(src, i, src[i:])
			}
			toks = append(toks, token{tString, val, i, j})
			i = j
		case c == '$' && strings.HasPrefix(src[i:], "$$"):
			j := strings.Index(src[i+2:], "$$")
			if j < 0 {
				return nil, syntaxErrorAt(src, i, "$$")
			}
			toks = append(toks, token{tString, src[i+2 : i+2+j], i, i + j + 4})
			i += j + 4
		case c == '?':
			nparam++
			toks = append(toks, token{tParam, strconv.Itoa(nparam), i, i + 1})
			i++
		default:
			n := 1
			if i+1 < len(src) {
				switch src[i : i+2] {
				case "!=", "<>", "<=", ">=", "::", "||":
					n = 2
				}
			}
			toks = append(toks, token{tPunct, src[i : i+n], i, i + n})
			i += n
		}
	}
	return toks, nil
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isIdentPart(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' || c == '$' }

// scanQuoted reads a "..." identifier starting at src[i]; a doubled quote stands for one.
func scanQuoted(src string, i int, q byte) (string, int, bool) {
	var b strings.Builder
	j := i + 1
	for j < len(src) {
		if src[j] == q {
			if j+1 < len(src) && src[j+1] == q {
				b.WriteByte(q)
				j += 2
				continue
			}
			return b.String(), j + 1, true
		}
		b.WriteByte(src[j])
		j++
	}
	return "", j, false
}

// scanString reads a '...' literal: ” and backslash escapes as Snowflake reads them.
func scanString(src string, i int) (string, int, bool) {
	var b strings.Builder
	j := i + 1
	for j < len(src) {
		c := src[j]
		switch {
		case c == '\'' && j+1 < len(src) && src[j+1] == '\'':
			b.WriteByte('\'')
			j += 2
		case c == '\'':
			return b.String(), j + 1, true
		case c == '\\' && j+1 < len(src):
			switch e := src[j+1]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '0':
				b.WriteByte(0)
			default:
				b.WriteByte(e)
			}
			j += 2
		default:
			b.WriteByte(c)
			j++
		}
	}
	return "", j, false
}

func lineOf(src string, pos int) int { return strings.Count(src[:pos], "\n") + 1 }

func colOf(src string, pos int) int { return pos - (strings.LastIndexByte(src[:pos], '\n') + 1) }

// syntaxErrorAt builds Snowflake's 001003 message for an unexpected piece of text at pos.
func syntaxErrorAt(src string, pos int, what string) *Error {
	if len(what) > 30 {
		what = what[:30]
	}
	return errSyntaxMsg("syntax error line %d at position %d unexpected '%s'.", lineOf(src, pos), colOf(src, pos), what)
}

// rawStatement is one statement of a request: its tokens and its source text.
type rawStatement struct {
	toks []token
	text string
}

// splitStatements lexes src and cuts it at top-level semicolons, dropping empty statements.
func splitStatements(src string) ([]rawStatement, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	var out []rawStatement
	start := 0
	flush := func(end int) {
		if end > start {
			part := toks[start:end]
			out = append(out, rawStatement{toks: part, text: src[part[0].pos:part[len(part)-1].end]})
		}
		start = end + 1
	}
	for i, t := range toks {
		if t.kind == tPunct && t.val == ";" {
			flush(i)
		}
	}
	flush(len(toks))
	return out, nil
}
