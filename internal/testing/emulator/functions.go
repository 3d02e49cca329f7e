package emulator

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// scalarFunction is a function the evaluator knows: its argument count (max -1: any) and
// either call (NULL-propagating unless it says otherwise, arguments evaluated first) or lazy
// (arguments evaluated by the function).
type scalarFunction struct {
	min, max int
	call     func(c *evalCtx, args []value) (value, error)
	lazy     func(c *evalCtx, args []expr) (value, error)
}

// scalarFunctions are the functions of Snowflake's reference that masking and row access
// policies rendered from Ranger need (https://docs.snowflake.com/en/sql-reference/functions-all),
// with Snowflake's NULL handling: a NULL argument gives NULL (CONCAT included), except in
// COALESCE, NVL and IFF.
var scalarFunctions map[string]scalarFunction

func init() {
	strict := func(min, max int, f func(c *evalCtx, args []value) (value, error)) scalarFunction {
		return scalarFunction{min: min, max: max, call: func(c *evalCtx, args []value) (value, error) {
			for _, a := range args {
				if a.isNull() {
					return null, nil
				}
			}
			return f(c, args)
		}}
	}
	text1 := func(f func(string) string) scalarFunction {
		return strict(1, 1, func(_ *evalCtx, a []value) (value, error) { return textVal(f(a[0].String())), nil })
	}
	scalarFunctions = map[string]scalarFunction{
		// https://docs.snowflake.com/en/sql-reference/functions/is_role_in_session
		"IS_ROLE_IN_SESSION": strict(1, 1, func(c *evalCtx, a []value) (value, error) {
			return boolVal(c.x.roleInSession(a[0].String())), nil
		}),
		// https://docs.snowflake.com/en/sql-reference/functions/iff
		"IFF": {min: 3, max: 3, lazy: func(c *evalCtx, args []expr) (value, error) {
			cond, err := args[0].eval(c)
			if err != nil {
				return null, err
			}
			if b, err := truth(cond); err != nil {
				return null, err
			} else if b != nil && *b {
				return args[1].eval(c)
			}
			return args[2].eval(c)
		}},
		// https://docs.snowflake.com/en/sql-reference/functions/coalesce
		"COALESCE": {min: 1, max: -1, call: firstNonNull},
		"NVL":      {min: 2, max: 2, call: firstNonNull},
		// https://docs.snowflake.com/en/sql-reference/functions/regexp_replace
		"REGEXP_REPLACE": strict(2, 3, func(_ *evalCtx, a []value) (value, error) {
			re, err := regexp.Compile(a[1].String())
			if err != nil {
				return null, newError(ErrInvalidRegexp, "2201B", "Invalid regular expression: '%s', %v", a[1].String(), err)
			}
			repl := ""
			if len(a) == 3 {
				repl = backrefs.ReplaceAllString(a[2].String(), "$${$1}")
			}
			return textVal(re.ReplaceAllString(a[0].String(), repl)), nil
		}),
		// https://docs.snowflake.com/en/sql-reference/functions/left, .../right
		"LEFT": strict(2, 2, func(_ *evalCtx, a []value) (value, error) {
			r, n, err := runesAndCount(a[0], a[1])
			if err != nil {
				return null, err
			}
			return textVal(string(r[:min(n, len(r))])), nil
		}),
		"RIGHT": strict(2, 2, func(_ *evalCtx, a []value) (value, error) {
			r, n, err := runesAndCount(a[0], a[1])
			if err != nil {
				return null, err
			}
			return textVal(string(r[len(r)-min(n, len(r)):])), nil
		}),
		// https://docs.snowflake.com/en/sql-reference/functions/length
		"LENGTH":      strict(1, 1, length),
		"LEN":         strict(1, 1, length),
		"CHAR_LENGTH": strict(1, 1, length),
		// https://docs.snowflake.com/en/sql-reference/functions/repeat
		"REPEAT": strict(2, 2, func(_ *evalCtx, a []value) (value, error) {
			n, err := toNumber(a[1])
			if err != nil {
				return null, err
			}
			return textVal(strings.Repeat(a[0].String(), max(int(n), 0))), nil
		}),
		// https://docs.snowflake.com/en/sql-reference/functions/concat
		"CONCAT": strict(1, -1, func(_ *evalCtx, a []value) (value, error) {
			var b strings.Builder
			for _, v := range a {
				b.WriteString(v.String())
			}
			return textVal(b.String()), nil
		}),
		// https://docs.snowflake.com/en/sql-reference/functions/substr
		"SUBSTR":    strict(2, 3, substr),
		"SUBSTRING": strict(2, 3, substr),
		"UPPER":     text1(strings.ToUpper),
		"LOWER":     text1(strings.ToLower),
		"TRIM":      text1(strings.TrimSpace),
		// https://docs.snowflake.com/en/sql-reference/functions/sha2 (hex, 256 bits by default)
		"SHA2": strict(1, 2, func(_ *evalCtx, a []value) (value, error) {
			bits := 256.0
			if len(a) == 2 {
				var err error
				if bits, err = toNumber(a[1]); err != nil {
					return null, err
				}
			}
			data := []byte(a[0].String())
			switch bits {
			case 224:
				s := sha256.Sum224(data)
				return textVal(hex.EncodeToString(s[:])), nil
			case 256:
				s := sha256.Sum256(data)
				return textVal(hex.EncodeToString(s[:])), nil
			case 384:
				s := sha512.Sum384(data)
				return textVal(hex.EncodeToString(s[:])), nil
			case 512:
				s := sha512.Sum512(data)
				return textVal(hex.EncodeToString(s[:])), nil
			}
			return null, errSyntaxMsg("SHA2 digest size %v is not supported (224, 256, 384, 512)", bits)
		}),
		// https://docs.snowflake.com/en/sql-reference/functions/md5
		"MD5":     text1(md5Hex),
		"MD5_HEX": text1(md5Hex),
		// https://docs.snowflake.com/en/sql-reference/functions/date_trunc
		"DATE_TRUNC": strict(2, 2, func(_ *evalCtx, a []value) (value, error) {
			t, err := toTime(a[1], a[1].k != vDate)
			if err != nil {
				return null, err
			}
			var out time.Time
			switch strings.ToUpper(a[0].String()) {
			case "YEAR", "Y", "YY", "YYYY", "YEARS":
				out = time.Date(t.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
			case "MONTH", "MM", "MON", "MONTHS":
				out = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
			case "DAY", "D", "DD", "DAYS":
				out = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
			default:
				return null, errSyntaxMsg("the emulator truncates to YEAR, MONTH or DAY, not %s", a[0].String())
			}
			if a[1].k == vDate {
				return dateVal(out), nil
			}
			return tsVal(out), nil
		}),
		"YEAR": strict(1, 1, func(_ *evalCtx, a []value) (value, error) {
			t, err := toTime(a[0], true)
			return numVal(float64(t.Year())), err
		}),
		// https://docs.snowflake.com/en/sql-reference/functions/to_char (no format models)
		"TO_VARCHAR":       strict(1, 1, func(_ *evalCtx, a []value) (value, error) { return textVal(a[0].String()), nil }),
		"TO_CHAR":          strict(1, 1, func(_ *evalCtx, a []value) (value, error) { return textVal(a[0].String()), nil }),
		"TO_DATE":          strict(1, 1, func(_ *evalCtx, a []value) (value, error) { return coerce(a[0], "DATE") }),
		"TO_TIMESTAMP":     strict(1, 1, toTimestamp),
		"TO_TIMESTAMP_NTZ": strict(1, 1, toTimestamp),
		"TO_NUMBER":        strict(1, 1, func(_ *evalCtx, a []value) (value, error) { return coerce(a[0], "NUMBER") }),
		"TO_DECIMAL":       strict(1, 1, func(_ *evalCtx, a []value) (value, error) { return coerce(a[0], "NUMBER") }),
		"TO_BOOLEAN":       strict(1, 1, func(_ *evalCtx, a []value) (value, error) { return toBool(a[0]) }),
		// https://docs.snowflake.com/en/sql-reference/functions/nvl2
		"NVL2": {min: 3, max: 3, call: func(_ *evalCtx, a []value) (value, error) {
			if a[0].isNull() {
				return a[2], nil
			}
			return a[1], nil
		}},
		// https://docs.snowflake.com/en/sql-reference/functions/replace
		"REPLACE": strict(2, 3, func(_ *evalCtx, a []value) (value, error) {
			to := ""
			if len(a) == 3 {
				to = a[2].String()
			}
			return textVal(strings.ReplaceAll(a[0].String(), a[1].String(), to)), nil
		}),
		// https://docs.snowflake.com/en/sql-reference/functions/lpad, .../rpad
		"LPAD": strict(2, 3, func(_ *evalCtx, a []value) (value, error) { return pad(a, true) }),
		"RPAD": strict(2, 3, func(_ *evalCtx, a []value) (value, error) { return pad(a, false) }),
		// https://docs.snowflake.com/en/sql-reference/functions/regexp_like
		"REGEXP_LIKE": strict(2, 2, func(_ *evalCtx, a []value) (value, error) {
			re, err := regexp.Compile("^(?:" + a[1].String() + ")$")
			if err != nil {
				return null, newError(ErrInvalidRegexp, "2201B", "Invalid regular expression: '%s', %v", a[1].String(), err)
			}
			return boolVal(re.MatchString(a[0].String())), nil
		}),
		"CONTAINS": strict(2, 2, func(_ *evalCtx, a []value) (value, error) {
			return boolVal(strings.Contains(a[0].String(), a[1].String())), nil
		}),
		"STARTSWITH": strict(2, 2, func(_ *evalCtx, a []value) (value, error) {
			return boolVal(strings.HasPrefix(a[0].String(), a[1].String())), nil
		}),
		"ENDSWITH": strict(2, 2, func(_ *evalCtx, a []value) (value, error) {
			return boolVal(strings.HasSuffix(a[0].String(), a[1].String())), nil
		}),
		// https://docs.snowflake.com/en/sql-reference/functions/date_from_parts
		"DATE_FROM_PARTS": strict(3, 3, func(_ *evalCtx, a []value) (value, error) {
			var p [3]int
			for i := range p {
				n, err := toNumber(a[i])
				if err != nil {
					return null, err
				}
				p[i] = int(n)
			}
			return dateVal(time.Date(p[0], time.Month(p[1]), p[2], 0, 0, 0, 0, time.UTC)), nil
		}),
		"MONTH": strict(1, 1, func(_ *evalCtx, a []value) (value, error) {
			t, err := toTime(a[0], true)
			return numVal(float64(t.Month())), err
		}),
		"DAY": strict(1, 1, func(_ *evalCtx, a []value) (value, error) {
			t, err := toTime(a[0], true)
			return numVal(float64(t.Day())), err
		}),
		// https://docs.snowflake.com/en/sql-reference/functions/greatest, .../least
		"GREATEST": strict(1, -1, func(_ *evalCtx, a []value) (value, error) { return extreme(a, 1) }),
		"LEAST":    strict(1, -1, func(_ *evalCtx, a []value) (value, error) { return extreme(a, -1) }),
	}
}

// backrefs finds \1 .. \9 in a REGEXP_REPLACE replacement (Snowflake's back-reference syntax).
var backrefs = regexp.MustCompile(`\\([0-9])`)

func md5Hex(s string) string { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }

func toTimestamp(_ *evalCtx, a []value) (value, error) { return coerce(a[0], "TIMESTAMP_NTZ") }

// pad is LPAD / RPAD(s, length [, pad]): s cut or padded (with pad, default a space) to length.
func pad(a []value, left bool) (value, error) {
	r, n, err := runesAndCount(a[0], a[1])
	if err != nil {
		return null, err
	}
	if len(r) >= n {
		return textVal(string(r[:n])), nil
	}
	fill := []rune(" ")
	if len(a) == 3 {
		fill = []rune(a[2].String())
	}
	if len(fill) == 0 {
		return textVal(string(r)), nil
	}
	p := make([]rune, 0, n-len(r))
	for len(p) < n-len(r) {
		p = append(p, fill[len(p)%len(fill)])
	}
	if left {
		return textVal(string(p) + string(r)), nil
	}
	return textVal(string(r) + string(p)), nil
}

func firstNonNull(_ *evalCtx, a []value) (value, error) {
	for _, v := range a {
		if !v.isNull() {
			return v, nil
		}
	}
	return null, nil
}

func runesAndCount(s, n value) ([]rune, int, error) {
	k, err := toNumber(n)
	if err != nil {
		return nil, 0, err
	}
	return []rune(s.String()), max(int(k), 0), nil
}

func length(_ *evalCtx, a []value) (value, error) {
	return numVal(float64(utf8.RuneCountInString(a[0].String()))), nil
}

// substr is SUBSTR(s, start [, length]): 1-based, a negative start counts from the end, 0
// acts as 1.
func substr(_ *evalCtx, a []value) (value, error) {
	r := []rune(a[0].String())
	st, err := toNumber(a[1])
	if err != nil {
		return null, err
	}
	start := int(st)
	switch {
	case start < 0:
		start = max(len(r)+start, 0)
	case start > 0:
		start--
	}
	if start > len(r) {
		return textVal(""), nil
	}
	end := len(r)
	if len(a) == 3 {
		n, err := toNumber(a[2])
		if err != nil {
			return null, err
		}
		end = min(start+max(int(n), 0), len(r))
	}
	return textVal(string(r[start:end])), nil
}

func extreme(a []value, sign int) (value, error) {
	best := a[0]
	for _, v := range a[1:] {
		c, err := compareValues(v, best)
		if err != nil {
			return null, err
		}
		if c*sign > 0 {
			best = v
		}
	}
	return best, nil
}
