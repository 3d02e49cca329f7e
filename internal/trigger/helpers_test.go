package trigger

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/snowsync/snowsync/internal/testing/golden"
)

// normalize re-indents JSON with sorted object keys so two documents compare byte for byte.
// Strings (including stringified arrays) are compared exactly.
func normalize(t *testing.T, b []byte) []byte {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("normalize: %v\n%s", err, b)
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatalf("normalize: %v", err)
	}
	return out.Bytes()
}

// checkGolden compares got with testdata/golden/<name> as normalised JSON; -update rewrites it.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Check(t, name, normalize(t, got))
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixtures are the host requests of shared/fixtures, with the RetryContext each carries.
var fixtures = []struct {
	file  string
	retry *RetryContext
}{
	{"testdata/host-request-eventhub-batch.json", nil},
	{"testdata/host-request-eventhub-batch-retry.json", &RetryContext{RetryCount: 2, MaxRetryCount: 5}},
}
