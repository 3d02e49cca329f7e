package trigger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// DecodeBatchInPlace is DecodeBatch without copies of the bodies: it unescapes Data.<binding> and each
// body inside body itself, which it overwrites, and each Event.Body is a slice of it. An invocation of
// 50 events of 1 MiB then takes the memory of the request once, instead of the request, the raw
// Data values, the unescaped array and the bodies (see BenchmarkDecodeBatch). JSON unescaping never
// lengthens text, so it fits where the escaped text was.
//
// The result is DecodeBatch's, except that bytes that are not valid UTF-8 inside a JSON string are kept
// as they are instead of becoming U+FFFD (the host never sends them: see the package doc).
func DecodeBatchInPlace(body []byte, binding string) (Batch, error) {
	if !json.Valid(body) || firstByte(body) != '{' {
		var v struct{}
		err := json.Unmarshal(body, &v) // for the message; it scans before it allocates
		if err == nil {
			err = errors.New("not a JSON object")
		}
		return Batch{}, fmt.Errorf("decode host request: %w", err)
	}
	s := scanner{b: body}
	var datas, metas []span // a key given twice merges, as encoding/json decodes it into one map
	err := s.object(0, func(key string, v span) error {
		switch {
		case strings.EqualFold(key, "Data"):
			datas = append(datas, v)
		case strings.EqualFold(key, "Metadata"):
			metas = append(metas, v)
		}
		return nil
	})
	if err != nil {
		return Batch{}, err
	}
	var exact, folded span
	for _, data := range datas {
		if s.isNull(data) {
			continue
		}
		if body[data.start] != '{' {
			return Batch{}, errors.New("decode host request: Data is not an object")
		}
		_ = s.object(data.start, func(key string, v span) error {
			if key == binding {
				exact = v
			} else if strings.EqualFold(key, binding) {
				folded = v
			}
			return nil
		})
	}
	events := exact
	if !events.ok() {
		events = folded
	}
	if !events.ok() || s.isNull(events) {
		return Batch{}, fmt.Errorf("decode host request: Data.%s is missing", binding)
	}
	bodies, err := s.bodies(events)
	if err != nil {
		return Batch{}, fmt.Errorf("decode host request: Data.%s is not an array of strings: %w", binding, err)
	}
	var metadata map[string]json.RawMessage
	for _, meta := range metas {
		if err := json.Unmarshal(body[meta.start:meta.end], &metadata); err != nil {
			return Batch{}, fmt.Errorf("decode host request: %w", err)
		}
	}
	return newBatch(bodies, metadata, binding), nil
}

// span is a JSON value's bytes, [start, end), in scanner.b; the zero span is "absent".
type span struct{ start, end int }

func (v span) ok() bool { return v.end > v.start }

// scanner walks JSON that json.Valid accepted, so it checks structure only where the caller needs a
// particular shape.
type scanner struct{ b []byte }

func firstByte(b []byte) byte {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

func (s *scanner) ws(i int) int {
	for i < len(s.b) && (s.b[i] == ' ' || s.b[i] == '\t' || s.b[i] == '\r' || s.b[i] == '\n') {
		i++
	}
	return i
}

func (s *scanner) isNull(v span) bool { return s.b[v.start] == 'n' }

// stringEnd returns the index just after the JSON string that starts (with its quote) at i.
func (s *scanner) stringEnd(i int) int {
	for j := i + 1; ; {
		k := bytes.IndexAny(s.b[j:], `"\`)
		j += k
		if s.b[j] == '"' {
			return j + 1
		}
		j += 2 // an escape: the next byte cannot end the string
	}
}

// valueEnd returns the index just after the JSON value that starts at i.
func (s *scanner) valueEnd(i int) int {
	switch s.b[i] {
	case '"':
		return s.stringEnd(i)
	case '{', '[':
		depth := 0
		for j := i; ; {
			switch s.b[j] {
			case '"':
				j = s.stringEnd(j)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
			j++
		}
	}
	j := i
	for j < len(s.b) && !strings.ContainsRune(",}] \t\r\n", rune(s.b[j])) {
		j++
	}
	return j
}

// object calls each for every member of the object at i (which must be one), in order.
func (s *scanner) object(i int, each func(key string, v span) error) error {
	i = s.ws(i) + 1 // '{'
	for {
		i = s.ws(i)
		if s.b[i] == '}' {
			return nil
		}
		if s.b[i] == ',' {
			i = s.ws(i + 1)
		}
		ke := s.stringEnd(i)
		var key string
		if err := json.Unmarshal(s.b[i:ke], &key); err != nil {
			return fmt.Errorf("decode host request: %w", err)
		}
		vs := s.ws(s.ws(ke) + 1) // ':'
		ve := s.valueEnd(vs)
		if err := each(key, span{vs, ve}); err != nil {
			return err
		}
		i = ve
	}
}

// bodies unescapes, in place, the array of strings in v, plain or stringified, and returns each
// string's bytes (nil for null).
func (s *scanner) bodies(v span) ([]*[]byte, error) {
	arr := s
	switch s.b[v.start] {
	case '"':
		inner := unescapeInPlace(s.b[v.start+1 : v.end-1])
		if !json.Valid(inner) || firstByte(inner) != '[' {
			var probe []*string
			err := json.Unmarshal(inner, &probe)
			if err == nil {
				err = errors.New("not an array")
			}
			return nil, fmt.Errorf("decode JSON inside string: %w", err)
		}
		arr = &scanner{b: inner}
		v = span{0, len(inner)}
	case '[':
	default:
		return nil, errors.New("neither an array nor a string holding one")
	}
	var out []*[]byte
	for i := arr.ws(v.start) + 1; ; {
		i = arr.ws(i)
		switch arr.b[i] {
		case ']':
			return out, nil
		case ',':
			i = arr.ws(i + 1)
		}
		end := arr.valueEnd(i)
		switch arr.b[i] {
		case 'n':
			out = append(out, nil)
		case '"':
			b := unescapeInPlace(arr.b[i+1 : end-1])
			out = append(out, &b)
		default:
			return nil, fmt.Errorf("element %d is neither a string nor null", len(out))
		}
		i = end
	}
}

// unescapeInPlace decodes the escapes of a JSON string's contents (valid JSON, quotes excluded) over
// the same bytes, as encoding/json decodes them (a lone or broken surrogate becomes U+FFFD), and
// returns the decoded prefix. An escape is never shorter than what it stands for.
func unescapeInPlace(b []byte) []byte {
	w := 0
	for r := 0; r < len(b); {
		c := b[r]
		if c != '\\' {
			n := bytes.IndexByte(b[r:], '\\')
			if n < 0 {
				n = len(b) - r
			}
			w += copy(b[w:], b[r:r+n])
			r += n
			continue
		}
		switch e := b[r+1]; e {
		case 'u':
			x := rune(hex4(b[r+2 : r+6]))
			r += 6
			if utf16.IsSurrogate(x) {
				x2 := utf8.RuneError
				if r+6 <= len(b) && b[r] == '\\' && b[r+1] == 'u' {
					x2 = utf16.DecodeRune(x, rune(hex4(b[r+2:r+6])))
				}
				if x2 != utf8.RuneError {
					r += 6
				}
				x = x2
			}
			w += utf8.EncodeRune(b[w:], x)
			continue
		case 'b':
			b[w] = '\b'
		case 'f':
			b[w] = '\f'
		case 'n':
			b[w] = '\n'
		case 'r':
			b[w] = '\r'
		case 't':
			b[w] = '\t'
		default: // '"', '\\', '/'
			b[w] = e
		}
		w++
		r += 2
	}
	return b[:w]
}

func hex4(b []byte) uint16 {
	var n uint16
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		n = n<<4 | uint16(c)
	}
	return n
}
