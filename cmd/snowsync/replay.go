package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/snowsync/snowsync/functions"
	"github.com/snowsync/snowsync/internal/app"
	"github.com/snowsync/snowsync/internal/audit"
	"github.com/snowsync/snowsync/internal/config"
	"github.com/snowsync/snowsync/internal/failure"
	"github.com/snowsync/snowsync/internal/publish"
	"github.com/snowsync/snowsync/internal/trigger"
)

const replayUsage = `Usage: snowsync replay --since T [--until T] [--error-type X] [--edit] [--dry-run] [--force]

Reads the failure events enqueued on the failure hub from --since to --until (default: up to the last
one enqueued), shows them, and re-publishes the original message of each to the sync hub, byte for
byte (originalMessageBase64 when the body was not UTF-8). With --edit each message first opens in
$EDITOR (or --edit-cmd); emptying it leaves that event out. Messages that would fail or be skipped
again are refused, and nothing is published, unless --force. Times are RFC 3339 or a duration back
from now (24h). Reading moves no checkpoint: replaying the same range twice publishes twice.

Settings: CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_NAME and
CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_CONNECTION_STRING (or its __fullyQualifiedNamespace form,
for Entra ID) to read; the audit store's (CONNECTOR_ON_DEMAND_V2_AUDIT_STORAGE_CONNECTION or its
__tableServiceUri form, CONNECTOR_ON_DEMAND_V2_AUDIT_BODY_TABLE_NAME) for cut bodies;
CONNECTOR_ON_DEMAND_V2_AZURE_EVENT_HUB_NAME and
CONNECTOR_ON_DEMAND_V2_AZURE_CONNECTION_STRING (or its __fullyQualifiedNamespace form) to publish.

Examples:
  snowsync replay --since 24h --dry-run
  snowsync replay --since 2026-11-24T10:00:00Z --until 2026-11-24T11:00:00Z --error-type INVALID_JSON --edit
`

// replayItem is one failure event to replay.
type replayItem struct {
	received publish.Received
	event    failure.Event
	body     []byte
	// inInvocation is the 1-based index of the body in the kept invocation of an INVOCATION_TOO_LARGE
	// failure event; 0 otherwise.
	inInvocation int
}

func (it replayItem) label() string {
	l := fmt.Sprintf("failure event %s/%d", it.received.Partition, it.received.SequenceNumber)
	if it.inInvocation > 0 {
		l += fmt.Sprintf(" (event %d of the invocation)", it.inInvocation)
	}
	return l
}

func runReplay(ctx context.Context, args []string, stdout, stderr io.Writer, d *deps) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	sinceFlag := fs.String("since", "", "read failure events enqueued at or after `TIME` (required)")
	untilFlag := fs.String("until", "", "read failure events enqueued before `TIME`")
	errorTypes := fs.String("error-type", "", "only events of these comma-separated `TYPES` (e.g. INVALID_JSON,SYNC_ERROR)")
	group := fs.String("consumer-group", "$Default", "the failure hub's consumer `GROUP` to read as")
	edit := fs.Bool("edit", false, "edit each message before re-publishing it")
	editCmd := fs.String("edit-cmd", "", "the editor `COMMAND` for --edit (the file is its last argument); default $EDITOR, else vi")
	dryRun := fs.Bool("dry-run", false, "show what would be re-published, publish nothing")
	force := fs.Bool("force", false, "re-publish messages that would fail or be skipped again")
	if err := parseFlags(fs, replayUsage, args, stdout); err != nil {
		return err
	}
	now := d.now()
	since, err := parseTime("since", *sinceFlag, now)
	if err != nil {
		return err
	}
	if since.IsZero() {
		return usageErrorf("--since is required")
	}
	until, err := parseTime("until", *untilFlag, now)
	if err != nil {
		return err
	}
	if !until.IsZero() && !until.After(since) {
		return usageErrorf("--until %s is not after --since %s", until.Format(failure.TimeFormat), since.Format(failure.TimeFormat))
	}
	var editor []string
	if *edit || *editCmd != "" {
		editor = editorCommand(*editCmd, d.getenv)
	}

	hubs, err := loadSettings(d.getenv, config.LoadHubs)
	if err != nil {
		return err
	}
	from, err := failureHub(hubs)
	if err != nil {
		return err
	}
	var to publish.Hub
	if !*dryRun { // checked before reading, so that a missing setting does not waste an edit session
		if to, err = syncHub(hubs); err != nil {
			return err
		}
	}
	reader, release, err := d.openReader(from, *group)
	if err != nil {
		return fmt.Errorf("failure hub %q (%s): %w", from.Name, failureHubSettings, err)
	}
	fmt.Fprintf(stderr, "reading failure hub %q from %s...\n", from.Name, since.UTC().Format(failure.TimeFormat))
	received, err := reader.Read(ctx, since, until)
	release()
	if err != nil {
		return fmt.Errorf("failure hub %q (%s): %w", from.Name, failureHubSettings, err)
	}
	items := replayItems(received, *errorTypes, stderr)
	if items, err = restoreBodies(ctx, items, d.getenv, stderr); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "read %d events from the failure hub; %d to replay\n", len(received), len(items))
	if len(items) == 0 {
		return nil
	}
	if err := writeFailureTable(stdout, items); err != nil {
		return err
	}

	var bodies []body
	for _, it := range items {
		data := it.body
		if editor != nil {
			if data, err = editBody(ctx, editor, data, stdout, stderr, d); err != nil {
				return fmt.Errorf("%s: %w; nothing was re-published", it.label(), err)
			}
			if len(bytes.TrimSpace(data)) == 0 {
				fmt.Fprintf(stderr, "%s: emptied in the editor, left out\n", it.label())
				continue
			}
		}
		bodies = append(bodies, body{it.label(), data})
	}
	// A dry run shows what would be refused, and refuses nothing.
	if err := checkBodies(bodies, *force || *dryRun, stderr); err != nil {
		return err
	}
	if len(bodies) == 0 {
		fmt.Fprintln(stdout, "nothing to re-publish")
		return nil
	}
	if *dryRun {
		fmt.Fprintf(stdout, "dry run: would re-publish %d events to the sync hub:\n", len(bodies))
		for _, b := range bodies {
			fmt.Fprintf(stdout, "--- %s\n%s\n", b.label, b.data)
		}
		return nil
	}
	return publishToSyncHub(ctx, to, bodies, "re-published", stdout, stderr, d)
}

// replayItems decodes the failure events among received and keeps those of the error types (a
// comma list; empty keeps all). Events that are not failure events are reported on stderr and left
// out.
func replayItems(received []publish.Received, errorTypes string, stderr io.Writer) []replayItem {
	var keep []string
	for t := range strings.SplitSeq(errorTypes, ",") {
		if t = strings.TrimSpace(t); t != "" {
			keep = append(keep, t)
		}
	}
	var items []replayItem
	for _, r := range received {
		it := replayItem{received: r}
		if err := json.Unmarshal(r.Body, &it.event); err != nil || it.event.ErrorType == "" {
			fmt.Fprintf(stderr, "%s: not a failure event, left out\n", it.label())
			continue
		}
		if len(keep) > 0 && !containsFold(keep, it.event.ErrorType) {
			continue
		}
		var err error
		if it.body, err = it.event.Original(); err != nil {
			fmt.Fprintf(stderr, "%s: originalMessageBase64 does not decode (%v), left out\n", it.label(), err)
			continue
		}
		items = append(items, it)
	}
	return latestPerSource(items, stderr)
}

// latestPerSource keeps one failure event per source event: the handler sends a failure event again
// when a FAILED event is re-delivered, and replaying both would publish the same request twice. Events
// without a sequence number (not from the trigger) are all kept.
func latestPerSource(items []replayItem, stderr io.Writer) []replayItem {
	type source struct {
		topic, group, partition string
		seq                     int64
	}
	last := map[source]int{}
	for i, it := range items {
		if e := it.event; e.SequenceNumber != nil {
			last[source{e.Topic, e.ConsumerGroup, e.Partition, *e.SequenceNumber}] = i
		}
	}
	out := items[:0:0]
	dropped := 0
	for i, it := range items {
		if e := it.event; e.SequenceNumber != nil && last[source{e.Topic, e.ConsumerGroup, e.Partition, *e.SequenceNumber}] != i {
			dropped++
			continue
		}
		out = append(out, it)
	}
	if dropped > 0 {
		fmt.Fprintf(stderr, "%d failure events repeat an earlier one for the same source event (a re-delivery); replaying each source event once\n", dropped)
	}
	return out
}

// restoreBodies replaces the start of the body that a truncated failure event carries by the whole
// body, read from the audit store's body table under the event's audit keys and checked against the
// event's length and SHA-256. The audit settings are read only when some event needs them. An event
// whose whole body cannot be had is left out, saying why on stderr: replaying the start of a body
// would publish a different request.
func restoreBodies(ctx context.Context, items []replayItem, getenv func(string) (string, bool), stderr io.Writer) ([]replayItem, error) {
	if !slices.ContainsFunc(items, func(it replayItem) bool { return it.event.OriginalMessageTruncated }) {
		return items, nil
	}
	settings, err := loadSettings(getenv, config.LoadAudit)
	if err != nil {
		return nil, err
	}
	bodies, err := app.NewBodies(settings)
	if err != nil {
		return nil, err
	}
	out := items[:0:0]
	for _, it := range items {
		e := it.event
		if !e.OriginalMessageTruncated {
			out = append(out, it)
			continue
		}
		if e.OriginalMessageStore == "" {
			fmt.Fprintf(stderr, "%s: only the first %d of %d bytes were sent and the whole body was not kept (%s), left out\n",
				it.label(), len(e.OriginalMessage), e.OriginalMessageLength, e.OriginalMessageStoreError)
			continue
		}
		body, err := bodies.Get(ctx, audit.Key{PartitionKey: e.AuditPartitionKey, RowKey: e.AuditRowKey})
		if err == nil {
			if sum := sha256.Sum256(body); len(body) != e.OriginalMessageLength || hex.EncodeToString(sum[:]) != e.OriginalMessageSHA256 {
				err = fmt.Errorf("the stored body (%d bytes) is not the one the event describes (%d bytes, SHA-256 %s)",
					len(body), e.OriginalMessageLength, e.OriginalMessageSHA256)
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "%s: whole body from table %q (setting %s): %v, left out\n", it.label(), settings.BodyTable, settings.Setting, err)
			continue
		}
		if e.ErrorType != functions.ErrInvocationTooLarge {
			it.body = body
			out = append(out, it)
			continue
		}
		// A whole invocation the handler kept undecoded: each of its events is replayed.
		batch, err := trigger.DecodeBatchInPlace(body, functions.TriggerBinding)
		if err != nil {
			fmt.Fprintf(stderr, "%s: the kept invocation does not decode (%v), left out\n", it.label(), err)
			continue
		}
		for i, ev := range batch.Events {
			part := it
			part.body, part.inInvocation = ev.Body, i+1
			out = append(out, part)
		}
	}
	return out, nil
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// messageWidth is how many characters of an error message the table shows.
const messageWidth = 80

// writeFailureTable lists the failure events: when each failed, how, for which task, and why.
func writeFailureTable(w io.Writer, items []replayItem) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tERRORTYPE\tTASKID\tERRORMESSAGE")
	for _, it := range items {
		at := it.event.Timestamp
		if at == "" {
			at = it.received.EnqueuedTime.UTC().Format(failure.TimeFormat)
		}
		taskID := "-"
		if it.event.TaskID != nil {
			taskID = *it.event.TaskID
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", oneLine(at, 30), oneLine(it.event.ErrorType, 30), oneLine(taskID, reasonWidth),
			oneLine(it.event.ErrorMessage, messageWidth))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

// editorCommand is the editor to run: cmd, else $EDITOR, else vi, split into words.
func editorCommand(cmd string, getenv func(string) (string, bool)) []string {
	if cmd == "" {
		cmd, _ = getenv("EDITOR")
	}
	if strings.TrimSpace(cmd) == "" {
		cmd = "vi"
	}
	return strings.Fields(cmd)
}

// editBody writes data to a temporary file, runs the editor on it on the user's terminal and
// returns what the file then holds. When data does not end in a newline, the newlines that editors
// add at the end are removed again, so that an unchanged message stays byte for byte the same.
func editBody(ctx context.Context, editor []string, data []byte, stdout, stderr io.Writer, d *deps) ([]byte, error) {
	f, err := os.CreateTemp("", "snowsync-replay-*.json")
	if err != nil {
		return nil, fmt.Errorf("edit: %w", err)
	}
	defer os.Remove(f.Name())
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("edit: write %s: %w", f.Name(), err)
	}
	cmd := exec.CommandContext(ctx, editor[0], append(editor[1:], f.Name())...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = d.stdin, stdout, stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("editor %q (--edit-cmd or $EDITOR): %w", strings.Join(editor, " "), err)
	}
	edited, err := os.ReadFile(f.Name())
	if err != nil {
		return nil, fmt.Errorf("edit: %w", err)
	}
	if !bytes.HasSuffix(data, []byte("\n")) {
		edited = bytes.TrimRight(edited, "\r\n")
	}
	return edited, nil
}
