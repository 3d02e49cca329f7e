package snowflake

import (
	"errors"
	"slices"
	"testing"
)

func TestQuoteIdent(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"SALES", `"SALES"`},
		{"sales", `"sales"`},
		{`my "quoted" name`, `"my ""quoted"" name"`},
		{`a.b`, `"a.b"`},
		{`""`, `""""""`},
		{"Ünïcødé 表", `"Ünïcødé 表"`},
		{`x"; DROP DATABASE PROD; --`, `"x""; DROP DATABASE PROD; --"`},
		{"", `""`},
	} {
		if got := QuoteIdent(tc.name); got != tc.want {
			t.Errorf("QuoteIdent(%q) = %s; want %s", tc.name, got, tc.want)
		}
	}
}

func TestQuoteString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"PRIV\\_%", `'PRIV\\_%'`},
		{"it's", `'it\'s'`},
		{`a\'b`, `'a\\\'b'`},
		{"é表", `'é表'`},
		{"", `''`},
	} {
		if got := QuoteString(tc.in); got != tc.want {
			t.Errorf("QuoteString(%q) = %s; want %s", tc.in, got, tc.want)
		}
	}
}

func TestFullyQualifiedName(t *testing.T) {
	for _, tc := range []struct {
		id   Identifier
		want string
	}{
		{DatabaseID{"SALES"}, `"SALES"`},
		{SchemaID{"SALES", "my.schema"}, `"SALES"."my.schema"`},
		{ObjectID{"SALES", "PUBLIC", `Or"ders`}, `"SALES"."PUBLIC"."Or""ders"`},
		{ObjectID{"sales db", "Schéma", "表"}, `"sales db"."Schéma"."表"`},
	} {
		if got := tc.id.FullyQualifiedName(); got != tc.want {
			t.Errorf("%#v.FullyQualifiedName() = %s; want %s", tc.id, got, tc.want)
		}
	}
	obj := ObjectID{"D", "S", "T"}
	if obj.SchemaID() != (SchemaID{"D", "S"}) || obj.SchemaID().DatabaseID() != (DatabaseID{"D"}) {
		t.Errorf("parents of %v: %v, %v", obj, obj.SchemaID(), obj.SchemaID().DatabaseID())
	}
}

func TestParseQualifiedName(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"SALES", []string{"SALES"}},
		{"SALES.PUBLIC.ORDERS", []string{"SALES", "PUBLIC", "ORDERS"}},
		{`SALES."my.schema"."a""b"`, []string{"SALES", "my.schema", `a"b`}},
		{`"lower"."has space".T`, []string{"lower", "has space", "T"}},
		{`""""`, []string{`"`}},
		{`"表"."Ü"`, []string{"表", "Ü"}},
	} {
		got, err := ParseQualifiedName(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ParseQualifiedName(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
		// Rendering the parts again and parsing that gives the same parts.
		if again, err := ParseQualifiedName(joinQuoted(got)); err != nil || !slices.Equal(again, tc.want) {
			t.Errorf("round trip of %q = %q, %v", tc.in, again, err)
		}
	}
	for _, bad := range []string{"", ".A", "A.", "A..B", `"A`, `"A"B`, `A"B"`, `"A"."B`} {
		if got, err := ParseQualifiedName(bad); !errors.Is(err, ErrBadQualifiedName) {
			t.Errorf("ParseQualifiedName(%q) = %q, %v; want ErrBadQualifiedName", bad, got, err)
		}
	}
}

func TestResolveName(t *testing.T) {
	for _, tc := range []struct {
		name       string
		candidates []string
		requested  string
		want       string
		ok         bool
	}{
		{"exact", []string{"ORDERS", "orders"}, "orders", "orders", true},
		{"exact wins over fold", []string{"Orders", "ORDERS"}, "ORDERS", "ORDERS", true},
		{"one fold match", []string{"ORDERS", "ITEMS"}, "orders", "ORDERS", true},
		{"ambiguous fold", []string{"ORDERS", "Orders"}, "orders", "", false},
		{"none", []string{"ITEMS"}, "orders", "", false},
		{"empty catalog", nil, "orders", "", false},
		{"unicode fold", []string{"ÉTÉ"}, "été", "ÉTÉ", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ResolveName(tc.candidates, tc.requested)
			if ok != tc.ok || (ok && got != tc.want) {
				t.Errorf("ResolveName(%q, %q) = %q, %v; want %q, %v", tc.candidates, tc.requested, got, ok, tc.want, tc.ok)
			}
		})
	}
}
