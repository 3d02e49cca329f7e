package policy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Source fetches a Ranger ServicePolicies document.
//
// lastKnownVersion is the policyVersion of the document the caller holds, -1 when it holds none.
// Fetch returns changed=false (and no data) when the source knows the document has not changed since;
// a source that cannot tell returns the document with changed=true, and the caller compares. Errors
// never contain secrets (a SAS token, a password).
type Source interface {
	Fetch(ctx context.Context, lastKnownVersion int64) (data []byte, changed bool, err error)
}

// maxDocumentBytes bounds a downloaded document; Ranger documents of thousands of policies are a few MB.
const maxDocumentBytes = 128 << 20

// defaultHTTPClient is used by the HTTP sources when none is given.
var defaultHTTPClient = &http.Client{Timeout: 60 * time.Second}

// NewSource returns the source for CONNECTOR_POLICY_FILE: a URLSource for an http(s) URL (a blob SAS
// URL included), else a FileSource for a path. client may be nil (a client with a 60 s timeout).
func NewSource(location string, client *http.Client) (Source, error) {
	if strings.HasPrefix(location, "https://") || strings.HasPrefix(location, "http://") {
		src, err := NewURLSource(location, client)
		if err != nil {
			return nil, err
		}
		return src, nil
	}
	if location == "" {
		return nil, errors.New("policy source: empty location")
	}
	return FileSource{Path: location}, nil
}

// FileSource reads the document from a local file. It cannot tell whether the file changed, so every
// Fetch returns the content with changed=true.
type FileSource struct {
	Path string
}

// Fetch reads the file.
func (s FileSource) Fetch(context.Context, int64) ([]byte, bool, error) {
	data, err := os.ReadFile(s.Path)
	if err != nil {
		return nil, false, fmt.Errorf("read policy file: %w", err)
	}
	return data, true, nil
}

// URLSource downloads the document with a plain GET from an https URL, typically an Azure blob with a
// SAS token in its query string. The URL's query string is a secret: it is never put in an error or a
// log line (see RedactURL). The source remembers the ETag of the last download and sends
// If-None-Match, so an unchanged blob costs a 304 and no download. Safe for concurrent use.
type URLSource struct {
	url    string
	client *http.Client

	mu   sync.Mutex
	etag string
}

// NewURLSource checks rawURL (absolute http or https with a host) and returns its source. client may
// be nil (a client with a 60 s timeout).
func NewURLSource(rawURL string, client *http.Client) (*URLSource, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("policy URL %s: not a valid URL", RedactURL(rawURL))
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("policy URL %s: want an absolute http(s) URL", RedactURL(rawURL))
	}
	return &URLSource{url: rawURL, client: client}, nil
}

// LogValue renders the source with its URL redacted.
func (s *URLSource) LogValue() slog.Value { return slog.StringValue(RedactURL(s.url)) }

// Fetch downloads the document, or returns changed=false on 304 Not Modified.
func (s *URLSource) Fetch(ctx context.Context, lastKnownVersion int64) ([]byte, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, false, fmt.Errorf("fetch policies from %s: %w", RedactURL(s.url), err)
	}
	s.mu.Lock()
	if etag := s.etag; etag != "" && lastKnownVersion >= 0 {
		req.Header.Set("If-None-Match", etag)
	}
	s.mu.Unlock()
	data, resp, err := get(s.client, req)
	if err != nil {
		return nil, false, err
	}
	if resp.StatusCode == http.StatusNotModified {
		return nil, false, nil
	}
	if resp.StatusCode != http.StatusOK {
		return nil, false, statusError(req, resp)
	}
	s.mu.Lock()
	s.etag = resp.Header.Get("ETag")
	s.mu.Unlock()
	return data, true, nil
}

// RangerAdminSource downloads the document from a Ranger Admin's plugin API,
// GET {BaseURL}/service/plugins/policies/download/{Service}?lastKnownVersion=N, with basic auth.
// Ranger answers 304 (or 204) when the service's policyVersion is still lastKnownVersion.
type RangerAdminSource struct {
	BaseURL  string       // e.g. https://ranger.example.com:6182
	Service  string       // the Ranger service name
	Username string       // basic auth user
	Password string       // basic auth password; never logged
	Client   *http.Client // nil: a client with a 60 s timeout
}

// LogValue renders the source without its password.
func (s *RangerAdminSource) LogValue() slog.Value {
	return slog.GroupValue(slog.String("ranger_admin", RedactURL(s.BaseURL)), slog.String("service", s.Service))
}

// pluginID identifies snowsync to Ranger Admin, which lists plugins by it in its audit of plugin status.
const pluginID = "snowsync"

// Fetch asks Ranger Admin for the policies if their version differs from lastKnownVersion.
func (s *RangerAdminSource) Fetch(ctx context.Context, lastKnownVersion int64) ([]byte, bool, error) {
	u := strings.TrimRight(s.BaseURL, "/") + "/service/plugins/policies/download/" + url.PathEscape(s.Service) +
		"?" + url.Values{
		"lastKnownVersion":     {strconv.FormatInt(lastKnownVersion, 10)},
		"pluginId":             {pluginID},
		"supportsPolicyDeltas": {"false"},
	}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, false, fmt.Errorf("fetch policies from Ranger Admin %s: %w", RedactURL(s.BaseURL), err)
	}
	req.SetBasicAuth(s.Username, s.Password)
	req.Header.Set("Accept", "application/json")
	data, resp, err := get(s.Client, req)
	if err != nil {
		return nil, false, err
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return data, true, nil
	case http.StatusNotModified, http.StatusNoContent:
		return nil, false, nil
	case http.StatusNotFound:
		return nil, false, fmt.Errorf("fetch policies from Ranger Admin: service %q not found (HTTP 404)", s.Service)
	case http.StatusUnauthorized, http.StatusForbidden:
		return nil, false, fmt.Errorf("fetch policies from Ranger Admin: user %q refused (HTTP %d)", s.Username, resp.StatusCode)
	}
	return nil, false, statusError(req, resp)
}

// get sends req and reads a 200 body (bounded by maxDocumentBytes). The error, if any, names the URL
// redacted; the caller decides what other statuses mean.
func get(client *http.Client, req *http.Request) ([]byte, *http.Response, error) {
	if client == nil {
		client = defaultHTTPClient
	}
	op := "fetch policies from " + RedactURL(req.URL.String())
	resp, err := client.Do(req)
	if err != nil {
		// *url.Error repeats the full URL, SAS token included: keep only its cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, nil, fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
		return nil, resp, nil
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxDocumentBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: read body: %w", op, err)
	}
	if len(data) > maxDocumentBytes {
		return nil, nil, fmt.Errorf("%s: document larger than %d bytes", op, maxDocumentBytes)
	}
	return data, resp, nil
}

// statusError describes an unexpected HTTP status. The body is left out: it may echo request details;
// Azure Storage's x-ms-error-code header names the cause instead.
func statusError(req *http.Request, resp *http.Response) error {
	msg := fmt.Sprintf("fetch policies from %s: HTTP %d", RedactURL(req.URL.String()), resp.StatusCode)
	if code := resp.Header.Get("x-ms-error-code"); code != "" {
		msg += " (" + code + ")"
	}
	return errors.New(msg)
}

// RedactURL returns rawURL fit for a log line: the query string (a SAS token, a signature) is
// replaced by "REDACTED" and a password in the user info by "xxxxx". Text that does not parse as a
// URL is not shown at all.
func RedactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparseable URL)"
	}
	if u.RawQuery != "" || u.ForceQuery {
		u.RawQuery = "REDACTED"
	}
	u.Fragment, u.RawFragment = "", ""
	return u.Redacted()
}
