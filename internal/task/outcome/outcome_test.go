package outcome

import "testing"

func TestParseStatus(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    Status
		wantErr string
	}{
		{"", "", ""},
		{"failed", Failed, ""},
		{"SUCCESS", Success, ""},
		{"Skipped", Skipped, ""},
		{"DONE", "", `"DONE" is not SUCCESS, FAILED or SKIPPED`},
	} {
		got, err := ParseStatus(tt.in)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if got != tt.want || gotErr != tt.wantErr {
			t.Errorf("ParseStatus(%q) = %q, %v; want %q, %q", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
