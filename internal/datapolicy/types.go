package datapolicy

import (
	"fmt"
	"strconv"
	"strings"
)

// Column is a table column as DESCRIBE TABLE reports it: its stored name and its type, such as
// VARCHAR(16777216), NUMBER(38,0), FLOAT, DATE, TIMESTAMP_NTZ(9), BOOLEAN, VARIANT or BINARY(8388608).
type Column struct {
	Name string
	Type string
}

// family groups the column types whose masks are rendered alike.
type family int

const (
	famText      family = iota // VARCHAR
	famNumber                  // NUMBER (fixed point)
	famFloat                   // FLOAT
	famDate                    // DATE
	famTimestamp               // TIMESTAMP_NTZ, TIMESTAMP_LTZ, TIMESTAMP_TZ
	famOther                   // TIME, BOOLEAN, BINARY, VARIANT, OBJECT, ARRAY, GEOGRAPHY, GEOMETRY
)

// sigType is a column type normalised to the type a policy signature declares for it.
type sigType struct {
	name   string // as written in the signature: VARCHAR, NUMBER, TIMESTAMP_NTZ...
	family family
	scale  int // NUMBER only
}

// signatureTypes maps a base type name (synonyms included, as Snowflake accepts them in DDL) to its
// signature type. A masking policy's signature and return type must have the column's data type
// (https://docs.snowflake.com/en/sql-reference/sql/create-masking-policy, "RETURNS": the return type
// must match the input type of the first column); length, precision and scale are not part of the
// match: a VARCHAR policy masks a VARCHAR(n) column of any n, and a NUMBER policy a NUMBER(p,s) column,
// its result conforming to the column's precision and scale
// (https://docs.snowflake.com/release-notes/bcr-bundles/2024_04/bcr-1355). Timestamps keep their
// flavour (NTZ, LTZ, TZ are different types); a bare TIMESTAMP, whose flavour depends on the
// TIMESTAMP_TYPE_MAPPING parameter, is refused (DESCRIBE TABLE never reports it).
var signatureTypes = map[string]sigType{
	"VARCHAR": {"VARCHAR", famText, 0}, "STRING": {"VARCHAR", famText, 0}, "TEXT": {"VARCHAR", famText, 0},
	"CHAR": {"VARCHAR", famText, 0}, "CHARACTER": {"VARCHAR", famText, 0}, "NCHAR": {"VARCHAR", famText, 0},
	"NVARCHAR": {"VARCHAR", famText, 0}, "NVARCHAR2": {"VARCHAR", famText, 0}, "CHAR VARYING": {"VARCHAR", famText, 0},

	"NUMBER": {"NUMBER", famNumber, 0}, "DECIMAL": {"NUMBER", famNumber, 0}, "NUMERIC": {"NUMBER", famNumber, 0},
	"INT": {"NUMBER", famNumber, 0}, "INTEGER": {"NUMBER", famNumber, 0}, "BIGINT": {"NUMBER", famNumber, 0},
	"SMALLINT": {"NUMBER", famNumber, 0}, "TINYINT": {"NUMBER", famNumber, 0}, "BYTEINT": {"NUMBER", famNumber, 0},

	"FLOAT": {"FLOAT", famFloat, 0}, "FLOAT4": {"FLOAT", famFloat, 0}, "FLOAT8": {"FLOAT", famFloat, 0},
	"DOUBLE": {"FLOAT", famFloat, 0}, "DOUBLE PRECISION": {"FLOAT", famFloat, 0}, "REAL": {"FLOAT", famFloat, 0},

	"DATE":          {"DATE", famDate, 0},
	"DATETIME":      {"TIMESTAMP_NTZ", famTimestamp, 0},
	"TIMESTAMP_NTZ": {"TIMESTAMP_NTZ", famTimestamp, 0},
	"TIMESTAMP_LTZ": {"TIMESTAMP_LTZ", famTimestamp, 0},
	"TIMESTAMP_TZ":  {"TIMESTAMP_TZ", famTimestamp, 0},

	"TIME": {"TIME", famOther, 0}, "BOOLEAN": {"BOOLEAN", famOther, 0},
	"BINARY": {"BINARY", famOther, 0}, "VARBINARY": {"BINARY", famOther, 0},
	"VARIANT": {"VARIANT", famOther, 0}, "OBJECT": {"OBJECT", famOther, 0}, "ARRAY": {"ARRAY", famOther, 0},
	"GEOGRAPHY": {"GEOGRAPHY", famOther, 0}, "GEOMETRY": {"GEOMETRY", famOther, 0},
}

// parameterless are the types that take no parameters; with parameters they are another type
// (structured OBJECT and ARRAY) that snowsync does not handle.
var parameterless = map[string]bool{"VARIANT": true, "OBJECT": true, "ARRAY": true, "BOOLEAN": true, "DATE": true,
	"GEOGRAPHY": true, "GEOMETRY": true}

// parseType normalises a column type as DESCRIBE TABLE reports it to its signature type. A NUMBER
// without a scale has scale 0, as in Snowflake.
func parseType(t string) (sigType, error) {
	s := strings.ToUpper(strings.Join(strings.Fields(t), " "))
	base, params, hasParams := strings.Cut(s, "(")
	base = strings.TrimSpace(base)
	st, ok := signatureTypes[base]
	if !ok || (hasParams && parameterless[st.name]) {
		return sigType{}, fmt.Errorf("column type %q is not supported", t)
	}
	if !hasParams {
		return st, nil
	}
	params, ok = strings.CutSuffix(strings.TrimSpace(params), ")")
	if !ok {
		return sigType{}, fmt.Errorf("column type %q is malformed", t)
	}
	nums := strings.Split(params, ",")
	for _, n := range nums {
		if _, err := strconv.Atoi(strings.TrimSpace(n)); err != nil {
			return sigType{}, fmt.Errorf("column type %q is malformed", t)
		}
	}
	if st.family == famNumber && len(nums) == 2 {
		st.scale, _ = strconv.Atoi(strings.TrimSpace(nums[1]))
	}
	return st, nil
}
