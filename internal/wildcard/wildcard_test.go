package wildcard

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"*", "anything", true},
		{"*", "", true},
		{"SALES", "sales", true},
		{"SALES", "sales2", false},
		{"dev_*", "dev_raw", true},
		{"dev_*", "prod_raw", false},
		{"*_pii", "customers_pii", true},
		{"*_pii", "customers_pi", false},
		{"t?", "t1", true},
		{"t?", "t", false},
		{"t?", "t12", false},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"?ä*", "xäyz", true},
		{"", "", true},
		{"", "x", false},
	}
	for _, tt := range tests {
		if got := Compile(tt.pattern).Match(strings.ToLower(tt.name)); got != tt.want {
			t.Errorf("Compile(%q).Match(%q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
	l := CompileList([]string{" ", "a*", "B"})
	if len(l) != 2 || !l.Match("abc") || !l.Match("b") || l.Match("c") {
		t.Errorf("CompileList: %+v", l)
	}
}

func BenchmarkGlob(b *testing.B) {
	p := Compile("*sales*orders_?")
	for b.Loop() {
		p.Match("prod_sales_eu_orders_1")
	}
}
