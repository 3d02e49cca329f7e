package emulator

import (
	"errors"
	"slices"
	"strings"
)

// Masking and row access policies, as their DDL pages describe them:
// https://docs.snowflake.com/en/sql-reference/sql/create-masking-policy,
// https://docs.snowflake.com/en/sql-reference/sql/alter-masking-policy,
// https://docs.snowflake.com/en/sql-reference/sql/drop-masking-policy,
// https://docs.snowflake.com/en/sql-reference/sql/show-masking-policies,
// https://docs.snowflake.com/en/sql-reference/sql/desc-masking-policy, and the same pages for
// ROW ACCESS POLICY. Error messages: "Advanced Column-level Security topics" § Troubleshooting
// (https://docs.snowflake.com/en/user-guide/security-column-advanced).

// policyArg is one argument of a policy's signature.
type policyArg struct{ name, typ string }

// policyDef is what a policy object holds: its signature, return type and body.
type policyDef struct {
	args     []policyArg
	returns  string
	body     expr
	bodyText string
	exempt   bool // EXEMPT_OTHER_POLICIES = TRUE (kept and shown, not evaluated)
}

// maskRef is a masking policy set on a column; using names the columns bound to the
// policy's arguments, the masked column first (USING), or is nil.
type maskRef struct {
	policy *object
	using  []string
}

// rowRef is a row access policy added to a table or view ON cols.
type rowRef struct {
	policy *object
	cols   []string
}

func policyKey(k kind, name string) string { return string(k) + "." + name }

// policyTitle is how messages name a policy kind.
func policyTitle(k kind) string {
	if k == kMaskingPolicy {
		return "Masking policy"
	}
	return "Row access policy"
}

// applyPrivilege is the account privilege that applies (and describes) any policy of kind k.
func applyPrivilege(k kind) string {
	if k == kMaskingPolicy {
		return "APPLY MASKING POLICY"
	}
	return "APPLY ROW ACCESS POLICY"
}

// acceptPolicyKind reads MASKING POLICY or ROW ACCESS POLICY.
func (p *parser) acceptPolicyKind() (kind, bool) {
	switch {
	case p.acceptKw("MASKING", "POLICY"):
		return kMaskingPolicy, true
	case p.acceptKw("ROW", "ACCESS", "POLICY"):
		return kRowAccessPolicy, true
	}
	return "", false
}

// policyVisible reports whether the session's roles may see (describe, apply, list) pol: they
// own it or hold APPLY on it, or hold the account's APPLY privilege of its kind.
func (x *execCtx) policyVisible(pol *object) bool {
	set := x.roles()
	return set.sees(pol) || set.holds(x.a.root, applyPrivilege(pol.kind), false)
}

// policyObj resolves a policy name of kind k.
func (x *execCtx) policyObj(k kind, parts []string, op string) (*object, error) {
	sc, full, err := x.inSchema(parts, op)
	if err != nil {
		return nil, err
	}
	pol := sc.policies[policyKey(k, full[2])]
	if pol == nil || !x.policyVisible(pol) {
		return nil, errNotExist(policyTitle(k), joinName(full...))
	}
	return pol, nil
}

// references lists where pol is set: each column it masks, each table or view it filters.
type policyRef struct {
	obj    *object
	column string   // masking policies: the column
	args   []string // the columns bound to the arguments (row access: ON; masking: USING)
}

func (a *account) references(pol *object) []policyRef {
	var out []policyRef
	for _, db := range a.root.sortedChildren(kDatabase) {
		for _, sc := range db.sortedChildren(kSchema) {
			for _, o := range sc.sortedChildren("") {
				out = append(out, o.policyRefs(pol)...)
			}
		}
	}
	return out
}

// policyRefs lists the policies set on a table or view, or only those of pol when it is set.
func (o *object) policyRefs(pol *object) []policyRef {
	var out []policyRef
	if r := o.rowPolicy; r != nil && (pol == nil || r.policy == pol) {
		out = append(out, policyRef{obj: o, args: r.cols})
	}
	for _, c := range o.columns {
		if c.mask != nil && (pol == nil || c.mask.policy == pol) {
			out = append(out, policyRef{obj: o, column: c.name, args: c.mask.using})
		}
	}
	return out
}

func errPolicyInUse(name string) *Error {
	return newError(ErrPolicyInUse, "42601", "SQL compilation error:\nPolicy %s cannot be dropped/replaced as it is associated with one or more entities.", quoteName(name))
}

// --- CREATE ---

// createPolicyStmt is CREATE [OR REPLACE] MASKING | ROW ACCESS POLICY [IF NOT EXISTS] name AS
// (arg type, ...) RETURNS type -> body [COMMENT = '...'] [EXEMPT_OTHER_POLICIES = TRUE | FALSE].
type createPolicyStmt struct {
	kind                   kind
	orReplace, ifNotExists bool
	name                   []string
	def                    policyDef
	comment                string
}

func (p *parser) parseCreatePolicy(k kind, orReplace bool) (statement, error) {
	s := &createPolicyStmt{kind: k, orReplace: orReplace}
	if p.acceptKw("IF") {
		if err := p.expectKw("NOT", "EXISTS"); err != nil {
			return nil, err
		}
		s.ifNotExists = true
	}
	var err error
	if s.name, err = p.name(3); err != nil {
		return nil, err
	}
	if err := p.expectKw("AS"); err != nil {
		return nil, err
	}
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	for {
		var a policyArg
		if a.name, err = p.ident(); err != nil {
			return nil, err
		}
		if a.typ, err = p.typeName(); err != nil {
			return nil, err
		}
		s.def.args = append(s.def.args, a)
		if p.acceptPunct(")") {
			break
		}
		if err := p.expectPunct(","); err != nil {
			return nil, err
		}
	}
	if err := p.expectKw("RETURNS"); err != nil {
		return nil, err
	}
	if s.def.returns, err = p.typeName(); err != nil {
		return nil, err
	}
	if err := p.policyBody(&s.def); err != nil {
		return nil, err
	}
	for !p.atEnd() {
		switch {
		case p.acceptKw("COMMENT"):
			if s.comment, err = p.optionValue(); err != nil {
				return nil, err
			}
		case k == kMaskingPolicy && p.acceptKw("EXEMPT_OTHER_POLICIES"):
			v, err := p.optionValue()
			if err != nil {
				return nil, err
			}
			s.def.exempt = strings.EqualFold(v, "TRUE")
		default:
			return nil, p.unexpected()
		}
	}
	if s.orReplace && s.ifNotExists {
		return nil, errSyntaxMsg("invalid use of OR REPLACE and IF NOT EXISTS together.")
	}
	return s, nil
}

// policyBody reads "-> expression" into def.
func (p *parser) policyBody(def *policyDef) error {
	if !p.isArrow() {
		return p.unexpected()
	}
	p.i += 2
	start := p.peek()
	body, err := p.expr()
	if err != nil {
		return err
	}
	def.body, def.bodyText = body, p.src[start.pos:p.toks[p.i-1].end]
	return nil
}

// check validates a definition: the return type matches (masking: the first argument's type;
// row access: BOOLEAN) and the body names only the arguments.
func (def *policyDef) check(x *execCtx, k kind) error {
	if k == kMaskingPolicy && typeFamily(def.returns) != typeFamily(def.args[0].typ) {
		return newError(ErrPolicyReturnType, "42601", "SQL compilation error:\nMasking policy function argument and return type mismatch.")
	}
	if k == kRowAccessPolicy && typeFamily(def.returns) != "BOOLEAN" {
		return newError(ErrPolicyReturnType, "42601", "SQL compilation error:\nRow access policy must return BOOLEAN.")
	}
	args := make([]value, len(def.args))
	_, err := def.eval(x, args)
	var e *Error
	if errors.As(err, &e) && e.Number == ErrInvalidIdentifier {
		return err
	}
	return nil
}

// eval evaluates the body with the arguments bound to args.
func (def *policyDef) eval(x *execCtx, args []value) (value, error) {
	c := &evalCtx{x: x, col: func(name string) (value, bool) {
		for i, a := range def.args {
			if a.name == name {
				return args[i], true
			}
		}
		return null, false
	}}
	return def.body.eval(c)
}

func (s *createPolicyStmt) run(x *execCtx) (*result, error) {
	op := "CREATE " + strings.ToUpper(policyTitle(s.kind))
	sc, full, err := x.inSchema(s.name, op)
	if err != nil {
		return nil, err
	}
	set := x.roles()
	if !set.holds(sc, "CREATE "+strings.ReplaceAll(string(s.kind), "_", " "), false) {
		return nil, errPrivileges("schema", sc.fqn())
	}
	if err := s.def.check(x, s.kind); err != nil {
		return nil, err
	}
	name := full[2]
	if old := sc.policies[policyKey(s.kind, name)]; old != nil {
		switch {
		case s.ifNotExists:
			return statusf("%s already exists, statement succeeded.", quoteName(name)), nil
		case !s.orReplace:
			return nil, errExists(joinName(full...))
		case !set.owns(old):
			return nil, errPrivileges(strings.ToLower(policyTitle(s.kind)), old.fqn())
		case len(x.a.references(old)) > 0:
			return nil, errPolicyInUse(name)
		}
		x.a.removeObject(old)
	}
	if sc.policies == nil {
		sc.policies = map[string]*object{}
	}
	def := s.def
	pol := &object{kind: s.kind, name: name, parent: sc, created: x.a.now(), comment: s.comment,
		grants: map[grantKey]*grant{}, policy: &def}
	sc.policies[policyKey(s.kind, name)] = pol
	x.a.setOwner(pol, x.currentRole())
	return statusf("%s %s successfully created.", policyTitle(s.kind), quoteName(name)), nil
}

// --- ALTER ---

// alterPolicyStmt is ALTER MASKING | ROW ACCESS POLICY [IF EXISTS] name RENAME TO new | SET
// BODY -> expr | SET COMMENT = '...' | UNSET COMMENT.
type alterPolicyStmt struct {
	kind     kind
	ifExists bool
	name     []string
	rename   []string
	body     *policyDef
	comment  *string
}

func (p *parser) parseAlterPolicy(k kind) (statement, error) {
	s := &alterPolicyStmt{kind: k}
	s.ifExists = p.acceptKw("IF", "EXISTS")
	var err error
	if s.name, err = p.name(3); err != nil {
		return nil, err
	}
	switch {
	case p.acceptKw("RENAME", "TO"):
		if s.rename, err = p.name(3); err != nil {
			return nil, err
		}
	case p.acceptKw("SET", "BODY"):
		s.body = &policyDef{}
		if err := p.policyBody(s.body); err != nil {
			return nil, err
		}
	case p.acceptKw("SET", "COMMENT"):
		v, err := p.optionValue()
		if err != nil {
			return nil, err
		}
		s.comment = &v
	case p.acceptKw("UNSET", "COMMENT"):
		s.comment = new(string)
	default:
		return nil, p.unexpected()
	}
	return s, p.end()
}

func (s *alterPolicyStmt) run(x *execCtx) (*result, error) {
	op := "ALTER " + strings.ToUpper(policyTitle(s.kind))
	pol, err := x.policyObj(s.kind, s.name, op)
	if err != nil {
		var e *Error
		if s.ifExists && errors.As(err, &e) && e.Number == ErrDoesNotExist {
			return status("Statement executed successfully."), nil
		}
		return nil, err
	}
	if !x.roles().owns(pol) {
		return nil, errPrivileges(strings.ToLower(policyTitle(s.kind)), pol.fqn())
	}
	switch {
	case s.body != nil:
		def := *pol.policy
		def.body, def.bodyText = s.body.body, s.body.bodyText
		if err := def.check(x, s.kind); err != nil {
			return nil, err
		}
		pol.policy = &def
	case s.comment != nil:
		pol.comment = *s.comment
	default:
		sc, full, err := x.inSchema(s.rename, op)
		if err != nil {
			return nil, err
		}
		if sc.policies[policyKey(s.kind, full[2])] != nil {
			return nil, errExists(joinName(full...))
		}
		delete(pol.parent.policies, policyKey(s.kind, pol.name))
		if sc.policies == nil {
			sc.policies = map[string]*object{}
		}
		pol.parent, pol.name = sc, full[2]
		sc.policies[policyKey(s.kind, pol.name)] = pol
	}
	return status("Statement executed successfully."), nil
}

// --- DROP ---

// dropPolicyStmt is DROP MASKING | ROW ACCESS POLICY [IF EXISTS] name; a policy still set on
// a column or table cannot be dropped.
type dropPolicyStmt struct {
	kind     kind
	ifExists bool
	name     []string
}

func (s *dropPolicyStmt) run(x *execCtx) (*result, error) {
	pol, err := x.policyObj(s.kind, s.name, "DROP "+strings.ToUpper(policyTitle(s.kind)))
	if err != nil {
		var e *Error
		if s.ifExists && errors.As(err, &e) && e.Number == ErrDoesNotExist {
			return statusf("Drop statement executed successfully (%s already dropped).", quoteName(s.name[len(s.name)-1])), nil
		}
		return nil, err
	}
	if !x.roles().owns(pol) {
		return nil, errPrivileges(strings.ToLower(policyTitle(s.kind)), pol.fqn())
	}
	if len(x.a.references(pol)) > 0 {
		return nil, errPolicyInUse(pol.name)
	}
	x.a.removeObject(pol)
	return statusf("%s successfully dropped.", quoteName(pol.name)), nil
}

// --- DESCRIBE and SHOW ---

// describePolicy answers DESCRIBE MASKING | ROW ACCESS POLICY: name, signature, return_type,
// body. It needs the account's APPLY privilege of the kind, APPLY on the policy, or its
// ownership.
func (x *execCtx) describePolicy(k kind, parts []string) (*result, error) {
	pol, err := x.policyObj(k, parts, "DESCRIBE")
	if err != nil {
		return nil, err
	}
	def := pol.policy
	sig := make([]string, len(def.args))
	for i, a := range def.args {
		sig[i] = quoteName(a.name) + " " + a.typ
	}
	rows := [][]*string{{str(pol.name), str("(" + strings.Join(sig, ", ") + ")"), str(displayType(def.returns)), str(def.bodyText)}}
	return &result{cols: []colMeta{{"name", "text"}, {"signature", "text"}, {"return_type", "text"}, {"body", "text"}},
		rows: rows, stmtType: stmtTypeSCL}, nil
}

// showPolicies answers SHOW MASKING | ROW ACCESS POLICIES [LIKE] [IN ...] with the columns
// of SHOW MASKING POLICIES' output; only the policies the session may see are listed.
func (s *showStmt) showPolicies(x *execCtx, k kind) (*result, error) {
	dbs, schema, _, err := s.scope(x)
	if err != nil {
		return nil, err
	}
	var schemas []*object
	if schema != nil {
		schemas = []*object{schema}
	}
	for _, db := range dbs {
		schemas = append(schemas, db.sortedChildren(kSchema)...)
	}
	f := s.filter()
	var pols []*object
	for _, sc := range schemas {
		for _, pol := range sc.policies {
			if pol.kind == k && f.match(pol.name) && x.policyVisible(pol) {
				pols = append(pols, pol)
			}
		}
	}
	slices.SortFunc(pols, func(a, b *object) int {
		if c := strings.Compare(a.database(), b.database()); c != 0 {
			return c
		}
		if c := strings.Compare(a.schema(), b.schema()); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	var rows [][]*string
	for _, pol := range pols {
		options := ""
		if pol.policy.exempt {
			options = `{"EXEMPT_OTHER_POLICIES":"TRUE"}`
		}
		rows = append(rows, []*string{ts(pol.created), str(pol.name), str(pol.database()), str(pol.schema()),
			str(string(k)), str(pol.ownerName()), str(pol.comment), str("ROLE"), str(options)})
	}
	return s.objectResult(x, []string{"created_on", "name", "database_name", "schema_name", "kind", "owner",
		"comment", "owner_role_type", "options"}, rows)
}
