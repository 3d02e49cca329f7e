package request

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Supported values of the request's fields.
const (
	TypeResourceSync    = "RESOURCE_SYNC"
	AppSubTypeSnowflake = "SNOWFLAKE"
)

// Fault says what is wrong with a body that is not a well-formed request.
type Fault int

// The faults of a body. Unsupported is the zero value: a well-formed request.
const (
	// Unsupported: a well-formed request, but not one snowsync processes (another type or connector,
	// or no valid resource).
	Unsupported Fault = iota
	BadEncoding       // the body is not UTF-8
	BadJSON           // the body is not JSON
	BadSchema         // JSON, but not an object, or a field has the wrong JSON type
)

// Rejection is why a whole request cannot be processed: a malformed body (a Fault other than
// Unsupported; replayable once fixed) or a well-formed request that is not something snowsync does.
type Rejection struct {
	Fault  Fault
	Reason string
}

// Malformed reports whether the body itself is wrong, as opposed to a request snowsync does not process.
func (r *Rejection) Malformed() bool { return r.Fault != Unsupported }

// Error says it as the task's status would: FAILED for a malformed body, SKIPPED otherwise.
func (r *Rejection) Error() string {
	if r.Malformed() {
		return "FAILED: " + r.Reason
	}
	return "SKIPPED: " + r.Reason
}

// Invalid is a requested resource that failed validation, and why. Resource holds what could be read
// of it.
type Invalid struct {
	Resource Resource
	Reason   string
}

// Parsed is a request that passed validation, with the resources that did not kept apart. Resources
// holds at least one valid resource.
type Parsed struct {
	Request
	Invalid []Invalid
}

// wire is the JSON shape of a sync request (DESIGN §2). Pointer fields tell "absent or null" from "".
type wire struct {
	ID          *string `json:"id"`
	Type        *string `json:"type"`
	AppType     *string `json:"appType"`
	AppSubType  *string `json:"appSubType"`
	Source      *string `json:"source"`
	CreateTime  *string `json:"createTime"`
	RequestInfo *struct {
		Resources *[]wireResource `json:"resources"`
	} `json:"requestInfo"`
}

type wireResource struct {
	Type   *string            `json:"type"`
	Values *map[string]string `json:"values"`
}

// Parse decodes and validates one event body. It never panics on any input. A nil Rejection means the
// request is to be synced; Parsed.Invalid then lists the resources skipped by validation.
func Parse(body []byte) (Parsed, *Rejection) {
	if !utf8.Valid(body) {
		return Parsed{}, &Rejection{BadEncoding, "body is not valid UTF-8"}
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return Parsed{}, &Rejection{BadJSON, "body is empty"}
	}
	if trimmed[0] != '{' {
		if json.Valid(trimmed) {
			return Parsed{}, &Rejection{BadSchema, "request must be a JSON object, got " + jsonKind(trimmed[0])}
		}
	}
	var w wire
	if err := json.Unmarshal(trimmed, &w); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return Parsed{}, &Rejection{BadSchema, fmt.Sprintf("field %q must be %s, got %s", typeErr.Field, wantKind(typeErr), typeErr.Value)}
		}
		return Parsed{}, &Rejection{BadJSON, err.Error()}
	}
	p := Parsed{Request: Request{
		ID: w.ID, Type: deref(w.Type), AppType: deref(w.AppType), AppSubType: deref(w.AppSubType),
		Source: deref(w.Source), CreateTime: deref(w.CreateTime),
	}}
	skip := func(reason string) (Parsed, *Rejection) {
		return p, &Rejection{Fault: Unsupported, Reason: reason}
	}
	switch {
	case w.Type == nil || *w.Type == "":
		return skip("required field \"type\" is missing")
	case !strings.EqualFold(*w.Type, TypeResourceSync):
		return skip(fmt.Sprintf("type %q is not supported (only %s)", *w.Type, TypeResourceSync))
	case w.AppSubType != nil && *w.AppSubType != "" && !strings.EqualFold(*w.AppSubType, AppSubTypeSnowflake):
		return skip(fmt.Sprintf("appSubType %q is not for this connector (%s)", *w.AppSubType, AppSubTypeSnowflake))
	case w.Source == nil || *w.Source == "":
		return skip("required field \"source\" is missing")
	case w.RequestInfo == nil || w.RequestInfo.Resources == nil:
		return skip("required field \"requestInfo.resources\" is missing")
	case len(*w.RequestInfo.Resources) == 0:
		return skip("requestInfo.resources is empty")
	}
	for i, wr := range *w.RequestInfo.Resources {
		res, reason := wr.resource()
		if reason != "" {
			p.Invalid = append(p.Invalid, Invalid{Resource: res, Reason: fmt.Sprintf("resources[%d]: %s", i, reason)})
			continue
		}
		p.Resources = append(p.Resources, res)
	}
	if len(p.Resources) == 0 {
		reasons := make([]string, len(p.Invalid))
		for i, r := range p.Invalid {
			reasons[i] = r.Reason
		}
		return skip("no valid resource: " + strings.Join(reasons, "; "))
	}
	return p, nil
}

// resource validates one requested resource; a non-empty reason means it is skipped.
func (wr wireResource) resource() (Resource, string) {
	if wr.Type == nil || *wr.Type == "" {
		return Resource{}, "type is missing"
	}
	res := Resource{Kind: Kind(strings.ToLower(*wr.Type))}
	switch res.Kind {
	case KindDatabase, KindSchema, KindTable, KindView:
	default:
		return res, fmt.Sprintf("resource type %q is not supported (database, schema, table, view)", *wr.Type)
	}
	if wr.Values == nil {
		return res, "values are missing"
	}
	v := *wr.Values
	res.Database = v["database"]
	if res.Kind != KindDatabase {
		res.Schema = v["schema"]
	}
	switch res.Kind {
	case KindTable:
		res.Table = v["table"]
	case KindView:
		res.Table = v["table"]
		if view := v["view"]; view != "" {
			if res.Table != "" && res.Table != view {
				return res, fmt.Sprintf("view named twice: table %q and view %q", res.Table, view)
			}
			res.Table = view
		}
	}
	missing := map[string]bool{
		"database": blank(res.Database),
		"schema":   res.Kind != KindDatabase && blank(res.Schema),
		"table":    (res.Kind == KindTable || res.Kind == KindView) && blank(res.Table),
	}
	for _, key := range []string{"database", "schema", "table"} {
		if missing[key] {
			return res, fmt.Sprintf("%s is missing its %q identifier", res.Kind, key)
		}
	}
	for _, name := range []string{res.Database, res.Schema, res.Table} {
		if strings.ContainsRune(name, 0) || len(name) > 255 {
			return res, fmt.Sprintf("identifier %q is not a valid Snowflake name (NUL or over 255 bytes)", truncate(name, 40))
		}
	}
	return res, ""
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "..."
}

// jsonKind names the JSON value starting with b.
func jsonKind(b byte) string {
	switch b {
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// wantKind names the JSON kind a Go field expects.
func wantKind(e *json.UnmarshalTypeError) string {
	switch e.Type.Kind().String() {
	case "string":
		return "a string"
	case "slice":
		return "an array"
	case "map", "struct":
		return "an object"
	}
	return e.Type.String()
}
