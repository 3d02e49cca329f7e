package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/snowsync/snowsync/internal/request"
)

// parseResource reads a --resource value: TYPE:NAME, where TYPE is database, schema, table or view
// (any case) and NAME is DB, DB.SCHEMA or DB.SCHEMA.OBJECT. A part holding a dot or a double quote is
// written in double quotes, with a quote inside doubled, as in SQL: table:SALES."my.schema"."a""b".
// Parts are names as a sync request carries them, not SQL: an unquoted part is taken as typed, not
// upper-cased, and matched as the handler matches request values (exactly, else ignoring case).
func parseResource(s string) (request.Resource, error) {
	kindText, name, ok := strings.Cut(s, ":")
	if !ok {
		return request.Resource{}, fmt.Errorf("resource %q is not TYPE:NAME (e.g. table:SALES.PUBLIC.ORDERS)", s)
	}
	kind := request.Kind(strings.ToLower(kindText))
	want := map[request.Kind]int{request.KindDatabase: 1, request.KindSchema: 2, request.KindTable: 3, request.KindView: 3}[kind]
	if want == 0 {
		return request.Resource{}, fmt.Errorf("resource %q: type %q is not database, schema, table or view", s, kindText)
	}
	parts, err := splitName(name)
	if err != nil {
		return request.Resource{}, fmt.Errorf("resource %q: %w", s, err)
	}
	if len(parts) != want {
		return request.Resource{}, fmt.Errorf("resource %q: a %s is named by %d dot-separated parts, got %d (quote a part holding a dot: \"a.b\")",
			s, kind, want, len(parts))
	}
	r := request.Resource{Kind: kind, Database: parts[0]}
	if want > 1 {
		r.Schema = parts[1]
	}
	if want > 2 {
		r.Table = parts[2]
	}
	return r, nil
}

// splitName splits a dotted name into its parts, unquoting the quoted ones.
func splitName(s string) ([]string, error) {
	var parts []string
	for i := 0; ; i++ {
		var part strings.Builder
		if i < len(s) && s[i] == '"' {
			closed := false
			for i++; i < len(s); i++ {
				if s[i] == '"' {
					if i+1 < len(s) && s[i+1] == '"' {
						part.WriteByte('"')
						i++
						continue
					}
					closed = true
					i++
					break
				}
				part.WriteByte(s[i])
			}
			if !closed {
				return nil, errors.New("unterminated quote")
			}
			if i < len(s) && s[i] != '.' {
				return nil, fmt.Errorf("%q follows a closing quote; want a dot or the end", s[i])
			}
		} else {
			end := strings.IndexByte(s[i:], '.')
			if end < 0 {
				end = len(s) - i
			}
			if strings.Contains(s[i:i+end], `"`) {
				return nil, errors.New("a quote inside an unquoted part; quote the whole part and double the quote")
			}
			part.WriteString(s[i : i+end])
			i += end
		}
		if part.Len() == 0 {
			return nil, errors.New("an empty name part")
		}
		parts = append(parts, part.String())
		if i >= len(s) {
			return parts, nil
		}
	}
}
