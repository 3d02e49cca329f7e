package emulator_test

import (
	"testing"
	"time"

	"github.com/snowsync/snowsync/internal/testing/emulator"
)

// TestExpressions evaluates, through the driver, the expressions that policies rendered from
// Ranger's mask types use, and the operators around them. Expected values are Snowflake's
// documented results (functions reference; hashes are the standard test vectors).
func TestExpressions(t *testing.T) {
	srv := start(t, emulator.Options{}, "")
	db := openDB(t, srv.DSN(""))
	cases := []struct{ expr, want string }{
		// MASK: letters to x/X, digits to n.
		{`REGEXP_REPLACE(REGEXP_REPLACE(REGEXP_REPLACE('Ab1-z9', '[A-Z]', 'X'), '[a-z]', 'x'), '[0-9]', 'n')`, "Xxn-xn"},
		// MASK_SHOW_LAST_4 and MASK_SHOW_FIRST_4.
		{`REPEAT('x', GREATEST(LENGTH('123456789') - 4, 0)) || RIGHT('123456789', 4)`, "xxxxx6789"},
		{`CONCAT(LEFT('123456789', 4), REGEXP_REPLACE(SUBSTR('123456789', 5), '.', 'x'))`, "1234xxxxx"},
		{`REGEXP_REPLACE('2024-01-15', '([0-9]{4})-([0-9]{2})', '\\2/\\1')`, "01/2024-15"},
		// MASK_HASH.
		{`SHA2('abc')`, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{`SHA2('abc', 256)`, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{`MD5('abc')`, "900150983cd24fb0d6963f7d28e17f72"},
		// MASK_NULL, MASK_NONE.
		{`NULL`, "NULL"},
		{`COALESCE(NULL, 'clear')`, "clear"},
		// MASK_DATE_SHOW_YEAR.
		{`DATE_TRUNC('YEAR', TO_DATE('2019-03-14'))`, "2019-01-01"},
		{`DATE_TRUNC('MONTH', '2019-03-14'::DATE)`, "2019-03-01"},
		{`DATE_TRUNC('DAY', CAST('2019-03-14 10:11:12' AS TIMESTAMP))`, "2019-03-14 00:00:00.000"},
		{`YEAR(TO_DATE('2019-03-14'))`, "2019"},
		// Conditions.
		{`CASE WHEN 1 = 2 THEN 'a' WHEN 'x' IN ('y', 'x') THEN 'b' ELSE 'c' END`, "b"},
		{`CASE 'EU' WHEN 'US' THEN 1 WHEN 'EU' THEN 2 END`, "2"},
		{`CASE WHEN FALSE THEN 1 END`, "NULL"},
		{`IFF(NULL IS NULL AND NOT (1 <> 1), 'yes', 'no')`, "yes"},
		{`IFF('a' NOT IN ('b', 'c') AND 'abc' LIKE 'a%' AND 'ABC' ILIKE 'a_c', 1, 0)`, "1"},
		{`NULL = NULL`, "NULL"},
		{`NULL OR TRUE`, "true"},
		{`NULL AND FALSE`, "false"},
		{`1 IN (2, NULL)`, "NULL"},
		{`10 > 9`, "true"},
		{`'10' > '9'`, "false"},
		{`2 >= '2'`, "true"},
		{`CURRENT_ROLE() = 'ACCOUNTADMIN' AND IS_ROLE_IN_SESSION('SYSADMIN') AND NOT IS_ROLE_IN_SESSION('NOPE')`, "true"},
		{`CURRENT_USER()`, "ADMIN"},
		// Strings, numbers, casts.
		{`'it''s' || ' ' || UPPER('ok') || LOWER('OK')`, "it's OKok"},
		{`SUBSTR('hello', -3) || SUBSTRING('hello', 2, 3) || LEN('hé')`, "lloell2"},
		{`CAST('42' AS NUMBER) + 1`, "43"},
		{`TO_NUMBER('12.5') * 2`, "26"}, // NUMBER(38,0): 12.5 rounds to 13
		{`TO_VARCHAR(12.5) || TO_CHAR(TRUE)`, "12.5true"},
		{`'7'::NUMBER(10,2) / 2`, "3.5"},
		{`LEAST(3, 1, 2) + GREATEST(3, 1, 2)`, "4"},
		{`-(2 - 5)`, "3"},
		{`NVL2(NULL, 'a', 'b') || NVL2(1, 'a', 'b') || REPLACE('a-b-c', '-') || REPLACE('a-b', '-', '+')`, "baabca+b"},
		{`LPAD('7', 3, '0') || RPAD('ab', 4, 'xy') || LPAD('abcdef', 2)`, "007abxyab"},
		{`REGEXP_LIKE('123-45', '[0-9]{3}-[0-9]{2}') AND NOT REGEXP_LIKE('x123-45', '[0-9]{3}-[0-9]{2}')`, "true"},
		{`CONTAINS('abc', 'b') AND STARTSWITH('abc', 'a') AND ENDSWITH('abc', 'c')`, "true"},
		{`DATE_FROM_PARTS(YEAR('2019-03-14'::DATE), 1, 1)`, "2019-01-01"},
		{`MONTH(TO_TIMESTAMP_NTZ('2019-03-14 10:00:00')) * 100 + DAY('2019-03-14'::DATE)`, "314"},
		{`MD5_HEX('abc') = MD5('abc') AND CHAR_LENGTH('abc') = 3`, "true"},
	}
	for _, c := range cases {
		t.Run(c.expr, func(t *testing.T) {
			_, rows := mustQuery(t, db, "SELECT "+c.expr)
			if len(rows) != 1 || rows[0][0] != c.want {
				t.Errorf("SELECT %s = %v, want %s", c.expr, rows, c.want)
			}
		})
	}
	for _, c := range []struct {
		expr   string
		number int
	}{
		{"NOPE + 1", emulator.ErrInvalidIdentifier},
		{"TO_NUMBER('abc')", emulator.ErrNumericValue},
		{"TO_DATE('not a date')", emulator.ErrDateValue},
		{"1 / 0", emulator.ErrDivisionByZero},
		{"NO_SUCH_FUNCTION(1)", emulator.ErrSyntax},
	} {
		wantError(t, db, "SELECT "+c.expr, c.number)
	}
}

// TestSelectColumnTypes: values reach Go with their types: a selected column keeps its
// column's type (TIMESTAMP_LTZ for INFORMATION_SCHEMA's CREATED, NUMBER, FLOAT, BOOLEAN for a
// table's columns), and an empty result still types a bare column.
func TestSelectColumnTypes(t *testing.T) {
	srv := start(t, emulator.Options{}, `CREATE DATABASE D;
CREATE TABLE D.PUBLIC.T (ID NUMBER, SCORE FLOAT, OK BOOLEAN, NAME VARCHAR);
INSERT INTO D.PUBLIC.T VALUES (7, 2.5, TRUE, 'x');
CREATE TABLE D.PUBLIC.EMPTY (ID NUMBER);`)
	db := openDB(t, srv.DSN("D"))
	var created time.Time
	if err := db.QueryRow("SELECT CREATED FROM D.INFORMATION_SCHEMA.TABLES WHERE TABLE_NAME = 'T'").Scan(&created); err != nil || created.IsZero() {
		t.Fatalf("CREATED as time.Time: %v %v", created, err)
	}
	var id int64
	var score float64
	var ok bool
	var name string
	if err := db.QueryRow("SELECT ID, SCORE, OK, NAME FROM D.PUBLIC.T").Scan(&id, &score, &ok, &name); err != nil {
		t.Fatal(err)
	}
	if id != 7 || score != 2.5 || !ok || name != "x" {
		t.Errorf("got %d %v %v %q", id, score, ok, name)
	}
	rows, err := db.Query("SELECT ID FROM D.PUBLIC.EMPTY")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil || len(types) != 1 || types[0].DatabaseTypeName() != "FIXED" {
		t.Errorf("column type of an empty result: %v %v", types[0].DatabaseTypeName(), err)
	}
}
