package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestSecretNeverPrints(t *testing.T) {
	const value = "hunter2-very-secret"
	s := String(value)
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("login", "password", s)
	js, err := json.Marshal(struct{ P String }{s})
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{
		"%v": fmt.Sprintf("%v", s),
		//lint:ignore S1025 the verb %s itself is under test
		"%s":         fmt.Sprintf("%s", s),
		"%#v":        fmt.Sprintf("%#v", s),
		"%+v struct": fmt.Sprintf("%+v", struct{ P String }{s}), "slog": logs.String(), "json": string(js),
	} {
		if strings.Contains(out, value) || !strings.Contains(out, Redacted) {
			t.Errorf("%s printed %q; want the placeholder and not the value", name, out)
		}
	}
	if s.Reveal() != value || !s.IsSet() || String("").IsSet() {
		t.Error("Reveal/IsSet do not return the value")
	}
}
