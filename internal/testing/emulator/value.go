package emulator

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// vkind is the kind of a SQL value the evaluator computes with.
type vkind int

const (
	vNull vkind = iota
	vText
	vNumber
	vBool
	vDate
	vTimestamp
)

// value is one SQL value: NULL, text (VARIANT is kept as its JSON text), a number (held as a
// float64, so NUMBER(38,0) beyond 2^53 loses precision), a boolean, a date or a timestamp
// (without time zone).
type value struct {
	k vkind
	s string
	n float64
	b bool
	t time.Time
}

var null = value{}

func textVal(s string) value    { return value{k: vText, s: s} }
func numVal(n float64) value    { return value{k: vNumber, n: n} }
func boolVal(b bool) value      { return value{k: vBool, b: b} }
func dateVal(t time.Time) value { return value{k: vDate, t: t} }
func tsVal(t time.Time) value   { return value{k: vTimestamp, t: t} }
func (v value) isNull() bool    { return v.k == vNull }
func (v value) isTrue() bool    { return v.k == vBool && v.b }
func strPtrVal(s *string) value {
	if s == nil {
		return null
	}
	return textVal(*s)
}

const (
	dateLayout = "2006-01-02"
	tsLayout   = "2006-01-02 15:04:05.000"
)

// String renders the value as the emulator answers it (and as TO_VARCHAR converts it):
// numbers without trailing zeros, booleans as true/false, dates as YYYY-MM-DD, timestamps
// as YYYY-MM-DD HH24:MI:SS.FF3.
func (v value) String() string {
	switch v.k {
	case vText:
		return v.s
	case vNumber:
		return strconv.FormatFloat(v.n, 'f', -1, 64)
	case vBool:
		return strconv.FormatBool(v.b)
	case vDate:
		return v.t.Format(dateLayout)
	case vTimestamp:
		return v.t.Format(tsLayout)
	}
	return ""
}

// wire renders the value for a result row; NULL is nil.
func (v value) wire() *string {
	if v.isNull() {
		return nil
	}
	return str(v.String())
}

// typeFamily is the family a declared type belongs to for comparisons and conversions:
// TEXT, FIXED, REAL, BOOLEAN, DATE, TIME, TIMESTAMP_NTZ, TIMESTAMP_LTZ, TIMESTAMP_TZ, VARIANT,
// OBJECT, ARRAY, BINARY, or the base name for anything else. Length, precision and scale are
// ignored: VARCHAR(10) and VARCHAR are one family, NUMBER(10,2) and NUMBER another
// (https://docs.snowflake.com/en/sql-reference/intro-summary-data-types).
func typeFamily(decl string) string {
	base := strings.ToUpper(strings.TrimSpace(decl))
	if i := strings.IndexByte(base, '('); i >= 0 {
		base = strings.TrimSpace(base[:i])
	}
	switch base {
	case "TIMESTAMP_NTZ", "TIMESTAMPNTZ", "TIMESTAMP WITHOUT TIME ZONE":
		return "TIMESTAMP_NTZ"
	case "TIMESTAMP_LTZ", "TIMESTAMPLTZ", "TIMESTAMP WITH LOCAL TIME ZONE":
		return "TIMESTAMP_LTZ"
	case "TIMESTAMP_TZ", "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE":
		return "TIMESTAMP_TZ"
	case "BOOL":
		return "BOOLEAN"
	case "BINARY":
		return "BINARY"
	}
	return canonicalType(base)
}

// typeScale is the scale of a declared NUMBER(p,s) (0 for NUMBER and integer types).
func typeScale(decl string) int {
	i := strings.IndexByte(decl, ',')
	if i < 0 {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(decl[i+1:]), ")")))
	return n
}

// displayType is the type DESCRIBE TABLE prints for a declared type: VARCHAR(16777216) for
// an unsized text type, NUMBER(38,0) for an integer type, the declaration otherwise
// (https://docs.snowflake.com/en/sql-reference/intro-summary-data-types).
func displayType(decl string) string {
	d := strings.ToUpper(strings.TrimSpace(decl))
	switch typeFamily(d) {
	case "TEXT":
		if i := strings.IndexByte(d, '('); i >= 0 {
			return "VARCHAR" + d[i:]
		}
		return "VARCHAR(16777216)"
	case "FIXED":
		if i := strings.IndexByte(d, '('); i >= 0 && (strings.HasPrefix(d, "NUMBER") || strings.HasPrefix(d, "NUMERIC") || strings.HasPrefix(d, "DECIMAL")) {
			if !strings.Contains(d, ",") {
				return "NUMBER" + strings.TrimSuffix(d[i:], ")") + ",0)"
			}
			return "NUMBER" + d[i:]
		}
		return "NUMBER(38,0)"
	case "REAL":
		return "FLOAT"
	case "TIMESTAMP_NTZ", "TIMESTAMP_LTZ", "TIMESTAMP_TZ":
		return typeFamily(d) + "(9)"
	}
	return d
}

// coerce converts v to the family of a declared type, as an INSERT or a CAST does.
func coerce(v value, decl string) (value, error) {
	if v.isNull() {
		return null, nil
	}
	switch fam := typeFamily(decl); fam {
	case "TEXT", "VARIANT", "OBJECT", "ARRAY", "BINARY", "TIME": // TIME is kept as its HH:MI:SS text
		return textVal(v.String()), nil
	case "FIXED", "REAL":
		n, err := toNumber(v)
		if err != nil {
			return null, err
		}
		if fam == "FIXED" {
			p := math.Pow(10, float64(typeScale(decl)))
			n = math.Round(n*p) / p
		}
		return numVal(n), nil
	case "BOOLEAN":
		return toBool(v)
	case "DATE":
		t, err := toTime(v, false)
		if err != nil {
			return null, err
		}
		return dateVal(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)), nil
	case "TIMESTAMP_NTZ", "TIMESTAMP_LTZ", "TIMESTAMP_TZ":
		t, err := toTime(v, true)
		if err != nil {
			return null, err
		}
		return tsVal(t), nil
	}
	return null, errSyntaxMsg("the emulator does not evaluate values of type %s", decl)
}

func toNumber(v value) (float64, error) {
	switch v.k {
	case vNumber:
		return v.n, nil
	case vBool:
		if v.b {
			return 1, nil
		}
		return 0, nil
	case vText:
		n, err := strconv.ParseFloat(strings.TrimSpace(v.s), 64)
		if err != nil {
			return 0, newError(ErrNumericValue, "22018", "Numeric value '%s' is not recognized", v.s)
		}
		return n, nil
	}
	return 0, newError(ErrNumericValue, "22018", "Numeric value '%s' is not recognized", v.String())
}

func toBool(v value) (value, error) {
	switch v.k {
	case vBool:
		return v, nil
	case vNumber:
		return boolVal(v.n != 0), nil
	case vText:
		switch strings.ToUpper(strings.TrimSpace(v.s)) {
		case "TRUE", "T", "YES", "Y", "ON", "1":
			return boolVal(true), nil
		case "FALSE", "F", "NO", "N", "OFF", "0":
			return boolVal(false), nil
		}
	}
	return null, newError(ErrBooleanValue, "22018", "Boolean value '%s' is not recognized", v.String())
}

var timeLayouts = []string{"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04", dateLayout}

func toTime(v value, timestamp bool) (time.Time, error) {
	switch v.k {
	case vDate, vTimestamp:
		return v.t, nil
	case vText:
		s := strings.TrimSpace(v.s)
		for _, l := range timeLayouts {
			if t, err := time.Parse(l, s); err == nil {
				return t, nil
			}
		}
	}
	if timestamp {
		return time.Time{}, newError(ErrDateValue, "22007", "Timestamp '%s' is not recognized", v.String())
	}
	return time.Time{}, newError(ErrDateValue, "22007", "Date '%s' is not recognized", v.String())
}

// compareValues orders two non-NULL values, converting text to the other side's kind as
// Snowflake's implicit casts do; text compares by bytes (no collation).
func compareValues(a, b value) (int, error) {
	switch {
	case a.k == b.k:
	case a.k == vText && b.k != vText:
		c, err := compareValues(b, a)
		return -c, err
	case a.k == vNumber || a.k == vBool:
		n, err := toNumber(b)
		if err != nil {
			return 0, err
		}
		b = numVal(n)
		if a.k == vBool {
			x, _ := toNumber(a)
			a = numVal(x)
		}
	case a.k == vDate || a.k == vTimestamp:
		t, err := toTime(b, true)
		if err != nil {
			return 0, err
		}
		b = value{k: a.k, t: t}
	}
	switch a.k {
	case vText:
		return strings.Compare(a.s, b.s), nil
	case vNumber:
		switch {
		case a.n < b.n:
			return -1, nil
		case a.n > b.n:
			return 1, nil
		}
		return 0, nil
	case vBool:
		switch {
		case a.b == b.b:
			return 0, nil
		case !a.b:
			return -1, nil
		}
		return 1, nil
	default:
		return a.t.Compare(b.t), nil
	}
}

// resultType is the wire type of a result column holding vals: fixed when every value is an
// integral number, real for other numbers, boolean, or text (dates and timestamps included:
// the emulator sends them as text).
func resultType(vals []value) string {
	typ := ""
	for _, v := range vals {
		t := "text"
		switch v.k {
		case vNull:
			continue
		case vNumber:
			t = "fixed"
			if v.n != math.Trunc(v.n) {
				t = "real"
			}
		case vBool:
			t = "boolean"
		}
		switch {
		case typ == "":
			typ = t
		case typ == t:
		case typ == "fixed" && t == "real", typ == "real" && t == "fixed":
			typ = "real"
		default:
			typ = "text"
		}
	}
	if typ == "" {
		return "text"
	}
	return typ
}
