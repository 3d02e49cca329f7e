package policy

import "testing"

func TestMatcher(t *testing.T) {
	tests := []struct {
		values   []string
		excludes bool
		name     string
		want     bool
	}{
		{[]string{"*"}, false, "anything", true},
		{[]string{"**"}, false, "", true},
		{[]string{"ORDERS"}, false, "orders", true},
		{[]string{"Orders"}, false, "orders_2024", false},
		{[]string{"ORD*"}, false, "orders", true},
		{[]string{"ORD*"}, false, "ord", true},
		{[]string{"ORD*"}, false, "xorders", false},
		{[]string{"*_PII"}, false, "customers_pii", true},
		{[]string{"*_PII"}, false, "customers_pii_v2", false},
		{[]string{"*_PII*"}, false, "customers_pii_v2", true},
		{[]string{"a*b*c"}, false, "axxbyyc", true},
		{[]string{"a*b*c"}, false, "axxbyy", false},
		{[]string{"a*b*c"}, false, "abcbc", true},
		{[]string{"T?"}, false, "t1", true},
		{[]string{"T?"}, false, "t", false},
		{[]string{"T?"}, false, "t12", false},
		{[]string{"?É"}, false, "éé", true}, // '?' is one character, not one byte
		{[]string{"Ü*"}, false, "über", true},
		{[]string{"A", "B"}, false, "b", true},
		{[]string{"A", "B"}, true, "b", false},
		{[]string{"A", "B"}, true, "c", true},
		{[]string{"*"}, true, "c", false},
	}
	for _, tt := range tests {
		m := newMatcher(tt.values, tt.excludes)
		if got := m.match(tt.name); got != tt.want {
			t.Errorf("matcher(%q, excludes=%v).match(%q) = %v, want %v", tt.values, tt.excludes, tt.name, got, tt.want)
		}
	}
}
