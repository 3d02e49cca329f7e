package emulator

import (
	"encoding/json"
	"strings"
)

// tableFunc is FROM TABLE([db.]INFORMATION_SCHEMA.POLICY_REFERENCES(NAME => 'value', ...)),
// the only table function the emulator answers
// (https://docs.snowflake.com/en/sql-reference/functions/policy_references).
type tableFunc struct {
	db   string // the database named before INFORMATION_SCHEMA; "" for the session's
	args map[string]string
}

func (p *parser) tableFunc() (*tableFunc, error) {
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	name, err := p.name(3)
	if err != nil {
		return nil, err
	}
	f := &tableFunc{args: map[string]string{}}
	switch {
	case len(name) == 3 && name[1] == infoSchemaName:
		f.db = name[0]
	case len(name) == 2 && name[0] == infoSchemaName, len(name) == 1:
	default:
		return nil, errNotExist("Function", joinName(name...))
	}
	if name[len(name)-1] != "POLICY_REFERENCES" {
		return nil, errSyntaxMsg("the emulator answers only the table function INFORMATION_SCHEMA.POLICY_REFERENCES")
	}
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	for !p.acceptPunct(")") {
		key, err := p.ident()
		if err != nil {
			return nil, err
		}
		if err := p.expectPunct("="); err != nil {
			return nil, err
		}
		if err := p.expectPunct(">"); err != nil {
			return nil, err
		}
		v, err := p.str()
		if err != nil {
			return nil, err
		}
		f.args[key] = v
		if !p.isPunct(")") {
			if err := p.expectPunct(","); err != nil {
				return nil, err
			}
		}
	}
	return f, p.expectPunct(")")
}

// policyRefCols are POLICY_REFERENCES' output columns, in the order of its reference page.
var policyRefCols = textCols("POLICY_DB", "POLICY_SCHEMA", "POLICY_NAME", "POLICY_KIND", "REF_DATABASE_NAME",
	"REF_SCHEMA_NAME", "REF_ENTITY_NAME", "REF_ENTITY_DOMAIN", "REF_COLUMN_NAME", "REF_ARG_COLUMN_NAMES",
	"TAG_DATABASE", "TAG_SCHEMA", "TAG_NAME", "POLICY_STATUS")

// run answers POLICY_REFERENCES(POLICY_NAME => 'p') (every column and object p is set on) or
// POLICY_REFERENCES(REF_ENTITY_NAME => 't', REF_ENTITY_DOMAIN => 'table' | 'view') (every
// policy set on t). Names are identifiers inside the string ('"Quoted"' keeps its case),
// completed with the session's database and schema. It needs a running warehouse: table
// functions run as queries (SnowDDL: "Management of row access policies requires active
// warehouse due to unavoidable POLICY_REFERENCES table function calls",
// https://docs.snowddl.com/basic/yaml-configs/row-access-policy); the error is Snowflake's
// 000606.
func (f *tableFunc) run(x *execCtx) ([]colMeta, [][]value, error) {
	if x.st.warehouse == "" {
		return nil, nil, errNoWarehouse()
	}
	if f.db != "" {
		if _, err := x.database(f.db, "SELECT"); err != nil {
			return nil, nil, err
		}
	}
	var refs []policyRef
	pname, byPolicy := f.args["POLICY_NAME"]
	ename, byEntity := f.args["REF_ENTITY_NAME"]
	domain := strings.ToUpper(f.args["REF_ENTITY_DOMAIN"])
	switch {
	case byPolicy && len(f.args) == 1:
		parts, err := nameArg(pname)
		if err != nil {
			return nil, nil, err
		}
		var pol *object
		for _, k := range []kind{kMaskingPolicy, kRowAccessPolicy} {
			if pol, err = x.policyObj(k, parts, "SELECT"); err == nil {
				break
			}
		}
		if pol == nil {
			return nil, nil, err
		}
		refs = x.a.references(pol)
	case byEntity && len(f.args) == 2 && (domain == "TABLE" || domain == "VIEW"):
		parts, err := nameArg(ename)
		if err != nil {
			return nil, nil, err
		}
		want := kTable
		if domain == "VIEW" {
			want = kView
		}
		obj, err := x.tableObj(parts, want, "SELECT")
		if err != nil {
			return nil, nil, err
		}
		if !x.roles().sees(obj) {
			return nil, nil, errNotExist(want.title(), obj.fqn())
		}
		refs = obj.policyRefs(nil)
	default:
		return nil, nil, errSyntaxMsg("POLICY_REFERENCES takes POLICY_NAME => '<name>', or REF_ENTITY_NAME => '<name>' and REF_ENTITY_DOMAIN => 'table' | 'view'")
	}
	var rows [][]value
	for _, r := range refs {
		pol := r.policy()
		col, args := null, null
		if r.column != "" {
			col = textVal(r.column)
		}
		// REF_ARG_COLUMN_NAMES: the row access policy's ON columns, a conditional masking
		// policy's USING columns after the masked one, NULL for a plain masking policy.
		bound := r.args
		if r.column != "" && len(bound) > 0 {
			bound = bound[1:]
		}
		if len(bound) > 0 {
			b, _ := json.Marshal(bound)
			args = textVal(string(b))
		}
		rows = append(rows, []value{textVal(pol.database()), textVal(pol.schema()), textVal(pol.name),
			textVal(string(pol.kind)), textVal(r.obj.database()), textVal(r.obj.schema()), textVal(r.obj.name),
			textVal(string(r.obj.kind)), col, args, null, null, null, textVal("ACTIVE")})
	}
	return policyRefCols, rows, nil
}

// policy is the policy a reference names.
func (r policyRef) policy() *object {
	if r.column == "" {
		return r.obj.rowPolicy.policy
	}
	return r.obj.columns[r.obj.columnIndex(r.column)].mask.policy
}

// nameArg reads an identifier given as a string argument ('db.schema."Name"').
func nameArg(s string) ([]string, error) {
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &parser{src: s, toks: toks}
	parts, err := p.name(3)
	if err != nil {
		return nil, err
	}
	return parts, p.end()
}

func errNoWarehouse() *Error {
	return newError(ErrNoWarehouse, "57P03", "No active warehouse selected in the current session.  Select an active warehouse with the 'use warehouse' command.")
}
