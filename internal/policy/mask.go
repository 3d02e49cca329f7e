package policy

import (
	"fmt"
	"strings"
)

// MaskType is a Ranger data-mask type (dataMaskInfo.dataMaskType), as the Hive service definition
// names them (agents-common/src/main/resources/service-defs/ranger-servicedef-hive.json).
type MaskType string

// The mask types snowsync reads. What each does to a value is decided where the mask is rendered
// (package datapolicy).
const (
	MaskRedact       MaskType = "MASK"                // letters and digits replaced: upper → X, lower → x, digit → n
	MaskShowLast4    MaskType = "MASK_SHOW_LAST_4"    // all but the last 4 characters masked
	MaskShowFirst4   MaskType = "MASK_SHOW_FIRST_4"   // all but the first 4 characters masked
	MaskHash         MaskType = "MASK_HASH"           // a hash of the value
	MaskNull         MaskType = "MASK_NULL"           // NULL
	MaskNone         MaskType = "MASK_NONE"           // the clear value (an explicit "not masked")
	MaskDateShowYear MaskType = "MASK_DATE_SHOW_YEAR" // a date reduced to its year
	MaskCustom       MaskType = "CUSTOM"              // MaskCase.Expr, with {col} standing for the value
)

// knownMaskTypes are the mask types Ranger ships; another name (a serviceDef's own type) cannot be
// rendered, because its transformer is written for the engine the serviceDef targets.
var knownMaskTypes = map[MaskType]bool{
	MaskRedact: true, MaskShowLast4: true, MaskShowFirst4: true, MaskHash: true, MaskNull: true,
	MaskNone: true, MaskDateShowYear: true, MaskCustom: true,
}

// MaskCase is one role's mask: a session holding Role sees the column masked by Type. Expr is the
// CUSTOM valueExpr as written in Ranger (SQL with {col}), empty for other types. Policy is the label of
// the Ranger policy the case comes from, `"mask ssn" (id 12)`.
type MaskCase struct {
	Role   string
	Type   MaskType
	Expr   string
	Policy string
}

// Mask is what the data-mask policies decide for one column. The first case whose Role the session
// holds decides; a session holding none of them sees the clear value. Each role appears at most once,
// and no case follows one for RolePublic (every session holds it). A Mask without cases means no
// policy masks the column.
type Mask struct {
	Cases []MaskCase
}

// Empty reports whether no policy masks the column: it needs no masking policy.
func (m Mask) Empty() bool { return len(m.Cases) == 0 }

// MasksTable reports whether some enabled data-mask policy's database, schema and table resources
// match o (a table or a view), whatever its column resource: only then can Mask return cases or an
// error for one of o's columns.
func (s *Set) MasksTable(o Object) bool {
	names, ok := tableNames(o)
	if !ok {
		return false
	}
	for _, r := range s.masks {
		if r.matches(names) {
			return true
		}
	}
	return false
}

// Mask returns the mask the data-mask policies decide for column of o (a table or a view): the cases of
// every enabled policy whose resources match, in Ranger's order (see Set and sortDataRules), item by
// item in the policy's order, principal by principal (users, groups, roles), keeping only the first
// case of each role. It returns an *UnexpressibleError when a matching policy cannot be expressed;
// columns that policy does not match are unaffected.
func (s *Set) Mask(o Object, column string) (Mask, error) {
	names, ok := tableNames(o)
	if !ok {
		return Mask{}, nil
	}
	col := strings.ToLower(column)
	var m Mask
	seen := map[string]bool{}
	for _, r := range s.masks {
		if !r.matches(names) || !r.column.match(col) {
			continue
		}
		if r.err != nil {
			return Mask{}, r.err
		}
		for _, c := range r.masks {
			if !seen[c.Role] && !seen[RolePublic] {
				seen[c.Role] = true
				m.Cases = append(m.Cases, c)
			}
		}
	}
	return m, nil
}

// maskCase reads an item's dataMaskInfo into a case (without role and policy), or returns why it
// cannot be expressed.
func maskCase(info *dataMaskInfo) (MaskCase, string) {
	if info == nil {
		return MaskCase{}, "no dataMaskInfo"
	}
	t := MaskType(strings.TrimSpace(info.DataMaskType))
	switch {
	case t == "":
		return MaskCase{}, "no dataMaskType"
	case !knownMaskTypes[t]:
		return MaskCase{}, fmt.Sprintf("mask type %q is not one of Ranger's built-in types or CUSTOM", string(t))
	case strings.TrimSpace(info.ConditionExpr) != "":
		return MaskCase{}, "a mask conditionExpr cannot be expressed yet"
	case t == MaskCustom && strings.TrimSpace(info.ValueExpr) == "":
		return MaskCase{}, "CUSTOM mask without valueExpr"
	}
	c := MaskCase{Type: t}
	if t == MaskCustom {
		c.Expr = strings.TrimSpace(info.ValueExpr)
	}
	return c, ""
}
