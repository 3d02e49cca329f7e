package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/snowsync/snowsync/functions"
	"github.com/snowsync/snowsync/internal/config"
	"github.com/snowsync/snowsync/internal/request"
	"github.com/snowsync/snowsync/internal/task/outcome"
)

const sendUsage = `Usage: snowsync send (--eventhub | --api URL [--function-key KEY]) [--file FILE]... [--resource TYPE:NAME]...

Publishes sync requests: to the sync Event Hub (--eventhub), where the handler picks them up, or
one by one to the function app's POST URL/api/sync (--api), which syncs each at once and answers its
audit record.

Each --file holds one request, a JSON array of requests, or JSON lines (one request a line); "-"
reads stdin. The --resource flags together make one more request: RESOURCE_SYNC with a generated
id, naming the resources (TYPE:NAME as in 'snowsync plan'). Every body is checked as the handler
will check it, and nothing is sent when one would fail or be skipped, unless --force.

Settings for --eventhub: CONNECTOR_ON_DEMAND_V2_AZURE_EVENT_HUB_NAME, and
CONNECTOR_ON_DEMAND_V2_AZURE_CONNECTION_STRING or, for Entra ID (azidentity's default credential
chain: az login, managed identity, ...), CONNECTOR_ON_DEMAND_V2_AZURE_CONNECTION_STRING__fullyQualifiedNamespace.
The function key may come from SNOWSYNC_FUNCTION_KEY instead of --function-key, which keeps it
out of the shell history.

Examples:
  snowsync send --eventhub --resource table:SALES.PUBLIC.ORDERS --resource schema:SALES.STAGING
  snowsync send --eventhub --file requests.jsonl
  snowsync send --api https://myapp.azurewebsites.net --file request.json
`

// functionKeyEnv is the environment variable read when --function-key is not given.
const functionKeyEnv = "SNOWSYNC_FUNCTION_KEY"

func runSend(ctx context.Context, args []string, stdout, stderr io.Writer, d *deps) error {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	toHub := fs.Bool("eventhub", false, "publish to the sync Event Hub")
	apiURL := fs.String("api", "", "POST each request to `URL`/api/sync (the function app's base URL)")
	key := fs.String("function-key", "", "the function `KEY` for --api (header x-functions-key); default $"+functionKeyEnv)
	var files, resources listFlag
	fs.Var(&files, "file", "a `FILE` of requests (repeatable)")
	fs.Var(&resources, "resource", "a resource for the built request, `TYPE:NAME` (repeatable)")
	source := fs.String("source", "", "the built request's `SOURCE`; default CLI with --eventhub, API with --api")
	force := fs.Bool("force", false, "send bodies that would fail or be skipped")
	if err := parseFlags(fs, sendUsage, args, stdout); err != nil {
		return err
	}
	if *toHub == (*apiURL != "") {
		return usageErrorf("choose one destination: --eventhub or --api URL")
	}
	if len(files)+len(resources) == 0 {
		return usageErrorf("nothing to send: give --file or --resource")
	}
	var endpoint string
	if *apiURL != "" {
		u, err := url.Parse(*apiURL)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			return usageErrorf("--api is not an http(s) URL (the value is not shown: it may hold a key)")
		case u.User != nil || u.RawQuery != "" || u.Fragment != "":
			// The portal's URLs carry the function key as ?code=...: it belongs in a header, not in
			// a URL that error messages and proxies print.
			return usageErrorf("--api takes the app's base URL only (no user, query or fragment); pass the function key with --function-key or $SNOWSYNC_FUNCTION_KEY")
		}
		endpoint = u.JoinPath("api", "sync").String()
	}
	var bodies []body
	for _, name := range files {
		data, err := readInput(name, d.stdin)
		if err != nil {
			return err
		}
		bodies = append(bodies, splitBodies(name, data)...)
	}
	if len(resources) > 0 {
		src := *source
		switch {
		case src != "":
		case *toHub:
			src = "CLI"
		default:
			src = "API"
		}
		b, err := buildRequest(resources, src, d.newID(), d.now())
		if err != nil {
			return err
		}
		bodies = append(bodies, b)
	}
	if len(bodies) == 0 {
		return errors.New("the files hold no request")
	}
	if err := checkBodies(bodies, *force, stderr); err != nil {
		return err
	}
	if *toHub {
		return sendToHub(ctx, bodies, stdout, stderr, d)
	}
	if *key == "" {
		*key, _ = d.getenv(functionKeyEnv)
	}
	return sendToAPI(ctx, endpoint, *key, bodies, stdout, d)
}

// buildRequest makes a RESOURCE_SYNC request for the --resource values.
func buildRequest(resources []string, source, id string, now time.Time) (body, error) {
	req := request.Request{ID: &id, Type: request.TypeResourceSync, AppType: "PS_CONNECTOR", AppSubType: request.AppSubTypeSnowflake,
		Source: source, CreateTime: now.UTC().Format(time.RFC3339)}
	for _, s := range resources {
		r, err := parseResource(s)
		if err != nil {
			return body{}, usageError{err}
		}
		req.Resources = append(req.Resources, r)
	}
	data, err := req.Marshal()
	if err != nil {
		return body{}, fmt.Errorf("encode request: %w", err)
	}
	return body{"--resource", data}, nil
}

// sendToHub publishes bodies to the sync hub.
func sendToHub(ctx context.Context, bodies []body, stdout, stderr io.Writer, d *deps) error {
	hubs, err := loadSettings(d.getenv, config.LoadHubs)
	if err != nil {
		return err
	}
	hub, err := syncHub(hubs)
	if err != nil {
		return err
	}
	return publishToSyncHub(ctx, hub, bodies, "published", stdout, stderr, d)
}

// sendToAPI posts each body to endpoint and prints the task each answer reports. Every body is
// sent; the error counts those that failed.
func sendToAPI(ctx context.Context, endpoint, key string, bodies []body, stdout io.Writer, d *deps) error {
	failed := 0
	for i, b := range bodies {
		line, err := postSync(ctx, d.http, endpoint, key, b.data)
		if err != nil {
			failed++
			line = "error: " + err.Error()
		}
		fmt.Fprintf(stdout, "%d/%d %s: %s\n", i+1, len(bodies), b.label, line)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d requests failed", failed, len(bodies))
	}
	return nil
}

// maxAnswer bounds how much of an answer postSync reads.
const maxAnswer = 1 << 20

// postSync posts one body to POST /api/sync and summarizes the audit record it answers. A non-2xx
// answer is an error, except that the handler answers a FAILED task with 400 or 502 and its record,
// which is summarized like any other.
func postSync(ctx context.Context, client *http.Client, endpoint, key string, data []byte) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("new request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("x-functions-key", key)
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("post %s: %w", endpoint, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return "", fmt.Errorf("read answer of %s: %w", endpoint, err)
	}
	var rec functions.TaskResponse
	if json.Unmarshal(answer, &rec) != nil || rec.Status == "" {
		msg := oneLine(string(answer), 200)
		switch resp.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			msg += " (check --function-key or $" + functionKeyEnv + ")"
		case http.StatusNotFound:
			msg += " (check --api: it is the function app's base URL)"
		}
		return "", fmt.Errorf("%s: %s", resp.Status, msg)
	}
	taskID := "-"
	if rec.TaskID != nil {
		taskID = *rec.TaskID
	}
	line := fmt.Sprintf("%d %s task %s row %s: %d grants, %d revokes", resp.StatusCode, rec.Status, taskID, rec.RowKey, rec.Grants, rec.Revokes)
	if rec.Reason != "" {
		line += ": " + oneLine(rec.Reason, 200)
	}
	if rec.Status == outcome.Failed {
		return "", errors.New(line)
	}
	return line, nil
}
