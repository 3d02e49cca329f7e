package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/snowsync/snowsync/internal/publish"
	"github.com/snowsync/snowsync/internal/request"
	"github.com/snowsync/snowsync/internal/task/outcome"
)

// body is one event body to publish, labelled with where it came from for messages.
type body struct {
	label string
	data  []byte
}

// splitBodies splits a file's content into bodies: a JSON array is one body per element (the
// element's bytes as written); any other single JSON value is one body; otherwise, when the first
// non-blank line is JSON on its own, the file is JSON lines, one body per non-blank line; anything
// else is one body, which validation will reject.
func splitBodies(name string, data []byte) []body {
	trimmed := bytes.TrimSpace(data)
	if bytes.HasPrefix(trimmed, []byte("[")) {
		var elems []json.RawMessage
		if json.Unmarshal(trimmed, &elems) == nil {
			out := make([]body, len(elems))
			for i, e := range elems {
				out[i] = body{fmt.Sprintf("%s[%d]", name, i), e}
			}
			return out
		}
	}
	if json.Valid(trimmed) {
		return []body{{name, trimmed}}
	}
	lines := bytes.Split(data, []byte("\n"))
	var out []body
	for i, line := range lines {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if out == nil && !json.Valid(line) {
			break // not JSON lines
		}
		out = append(out, body{fmt.Sprintf("%s:%d", name, i+1), line})
	}
	if out == nil {
		return []body{{name, trimmed}}
	}
	return out
}

// problem says why the handler would not sync a body (FAILED or SKIPPED, with the reason), or "".
func problem(data []byte) string {
	parsed, rej := request.Parse(data)
	if rej != nil {
		return rej.Error()
	}
	var reasons []string
	for _, r := range parsed.Invalid {
		reasons = append(reasons, fmt.Sprintf("%s %s: %s", outcome.Skipped, r.Resource, r.Reason))
	}
	return strings.Join(reasons, "; ")
}

// checkBodies validates every body as the handler will. Without force, any invalid body is an error
// listing them all, so that nothing is sent; with force, they are listed on stderr and kept.
func checkBodies(bodies []body, force bool, stderr io.Writer) error {
	var bad []string
	for _, b := range bodies {
		if p := problem(b.data); p != "" {
			bad = append(bad, fmt.Sprintf("  %s: %s", b.label, p))
		}
	}
	switch {
	case len(bad) == 0:
		return nil
	case force:
		fmt.Fprintf(stderr, "warning: %d of %d bodies will not sync:\n%s\n", len(bad), len(bodies), strings.Join(bad, "\n"))
		return nil
	}
	return fmt.Errorf("%d of %d bodies would not sync; fix them, or send them anyway with --force:\n%s",
		len(bad), len(bodies), strings.Join(bad, "\n"))
}

// publishToSyncHub connects to hub, publishes bodies with publishAll and reports on stdout: "<done>
// N events to the sync hub". Its error names the hub and its settings.
func publishToSyncHub(ctx context.Context, hub publish.Hub, bodies []body, done string, stdout, stderr io.Writer, d *deps) error {
	pub, release, err := d.openPublisher(hub)
	if err == nil {
		defer release()
		err = publishAll(ctx, pub, bodies, stderr)
	}
	if err != nil {
		return fmt.Errorf("sync hub %q (%s): %w", hub.Name, syncHubSettings, err)
	}
	fmt.Fprintf(stdout, "%s %d events to the sync hub\n", done, len(bodies))
	return nil
}

// publishChunk is how many bodies go to one Publish call, between two progress reports.
const publishChunk = 500

// publishAll publishes bodies in order, publishChunk at a time, reporting progress on stderr
// ("sent 500/2000"). Its error says how many bodies were sent and names the first that was not, from
// which a retry can resume.
func publishAll(ctx context.Context, pub publish.Publisher, bodies []body, stderr io.Writer) error {
	for start := 0; start < len(bodies); start += publishChunk {
		end := min(start+publishChunk, len(bodies))
		chunk := make([][]byte, 0, end-start)
		for _, b := range bodies[start:end] {
			chunk = append(chunk, b.data)
		}
		if sent, err := pub.Publish(ctx, chunk); err != nil {
			// A Publisher outside its contract (sent out of [0, len(chunk))) is read as having
			// sent less, which only risks sending again.
			done := start + min(max(sent, 0), len(chunk)-1)
			return fmt.Errorf("%d of %d events sent; %s and those after it were not: %w", done, len(bodies), bodies[done].label, err)
		}
		fmt.Fprintf(stderr, "sent %d/%d\n", end, len(bodies))
	}
	return nil
}
