package emulator

import (
	"slices"
	"strconv"
)

// alterTableStmt is ALTER TABLE | VIEW [IF EXISTS] name followed by policy actions, separated by
// commas and applied together or not at all:
//
//	{ MODIFY | ALTER } [ COLUMN ] c SET MASKING POLICY p [ USING ( c, c2, ... ) ] [ FORCE ]
//	{ MODIFY | ALTER } [ COLUMN ] c UNSET MASKING POLICY
//	ADD ROW ACCESS POLICY p ON ( c, ... )
//	DROP ROW ACCESS POLICY p
//	DROP ALL ROW ACCESS POLICIES
//
// (https://docs.snowflake.com/en/sql-reference/sql/alter-table-column,
// https://docs.snowflake.com/en/sql-reference/sql/alter-table § Row access policy actions,
// https://docs.snowflake.com/en/sql-reference/sql/alter-view). After a MODIFY, further
// column actions may omit the keyword ("MODIFY COLUMN a SET ..., COLUMN b UNSET ...").
type alterTableStmt struct {
	view     bool
	ifExists bool
	name     []string
	actions  []tableAction
}

// tableAction is one policy action of ALTER TABLE.
type tableAction struct {
	op     string // SET MASK, UNSET MASK, ADD ROW, DROP ROW, DROP ALL ROWS
	column string
	policy []string
	cols   []string // USING or ON
	force  bool
}

func (p *parser) parseAlterTable(view bool) (statement, error) {
	s := &alterTableStmt{view: view}
	s.ifExists = p.acceptKw("IF", "EXISTS")
	var err error
	if s.name, err = p.name(3); err != nil {
		return nil, err
	}
	modify := false
	for {
		var a tableAction
		switch {
		case p.acceptKw("ADD", "ROW", "ACCESS", "POLICY"):
			a.op = "ADD ROW"
			if a.policy, err = p.name(3); err != nil {
				return nil, err
			}
			if err := p.expectKw("ON"); err != nil {
				return nil, err
			}
			if a.cols, err = p.identList(); err != nil {
				return nil, err
			}
		case p.acceptKw("DROP", "ALL", "ROW", "ACCESS", "POLICIES"):
			a.op = "DROP ALL ROWS"
		case p.acceptKw("DROP", "ROW", "ACCESS", "POLICY"):
			a.op = "DROP ROW"
			if a.policy, err = p.name(3); err != nil {
				return nil, err
			}
		default:
			if p.acceptKw("MODIFY") || p.acceptKw("ALTER") {
				modify = true
			} else if !modify {
				return nil, errSyntaxMsg("the emulator supports ALTER TABLE | VIEW ... MODIFY COLUMN ... SET | UNSET MASKING POLICY and ADD | DROP ROW ACCESS POLICY")
			}
			p.acceptKw("COLUMN")
			if a.column, err = p.ident(); err != nil {
				return nil, err
			}
			switch {
			case p.acceptKw("SET", "MASKING", "POLICY"):
				a.op = "SET MASK"
				if a.policy, err = p.name(3); err != nil {
					return nil, err
				}
				if p.acceptKw("USING") {
					if a.cols, err = p.identList(); err != nil {
						return nil, err
					}
				}
				a.force = p.acceptKw("FORCE")
			case p.acceptKw("UNSET", "MASKING", "POLICY"):
				a.op = "UNSET MASK"
			default:
				return nil, p.unexpected()
			}
		}
		s.actions = append(s.actions, a)
		if !p.acceptPunct(",") {
			return s, p.end()
		}
	}
}

// identList reads "(name, ...)".
func (p *parser) identList() ([]string, error) {
	if err := p.expectPunct("("); err != nil {
		return nil, err
	}
	var out []string
	for {
		id, err := p.ident()
		if err != nil {
			return nil, err
		}
		out = append(out, id)
		if p.acceptPunct(")") {
			return out, nil
		}
		if err := p.expectPunct(","); err != nil {
			return nil, err
		}
	}
}

// Applying and removing a policy needs the account's APPLY privilege of its kind, or APPLY
// on the policy (which its ownership includes) and ownership of the table or view
// ("Manage masking policies" and "Manage row access policies" § privileges:
// https://docs.snowflake.com/en/user-guide/security-column-intro,
// https://docs.snowflake.com/en/user-guide/security-row-intro).
func (x *execCtx) mayApply(pol, obj *object) bool {
	set := x.roles()
	return set.holds(x.a.root, applyPrivilege(pol.kind), false) || set.holds(pol, "APPLY", false) && set.owns(obj)
}

// holdsApply reports whether the session holds APPLY MASKING POLICY or APPLY ROW ACCESS
// POLICY on the account.
func (x *execCtx) holdsApply() bool {
	set := x.roles()
	return set.holds(x.a.root, applyPrivilege(kMaskingPolicy), false) || set.holds(x.a.root, applyPrivilege(kRowAccessPolicy), false)
}

func (s *alterTableStmt) run(x *execCtx) (*result, error) {
	want := kTable
	if s.view {
		want = kView
	}
	obj, err := x.tableObj(s.name, want, "ALTER "+string(want))
	// A role without any privilege on the table resolves it only through the account's APPLY
	// privileges ("does not exist or not authorized" otherwise: the troubleshooting table of
	// https://docs.snowflake.com/en/user-guide/security-column-advanced).
	if err == nil && !x.roles().sees(obj) && !x.holdsApply() {
		err = errNotExist(want.title(), obj.fqn())
	}
	if err != nil {
		if s.ifExists {
			return status("Statement executed successfully."), nil
		}
		return nil, err
	}
	// Stage every change on copies, then commit: the statement succeeds or changes nothing.
	masks := make([]*maskRef, len(obj.columns))
	for i, c := range obj.columns {
		masks[i] = c.mask
	}
	rowPolicy := obj.rowPolicy
	for _, a := range s.actions {
		switch a.op {
		case "SET MASK", "UNSET MASK":
			ci := obj.columnIndex(a.column)
			if ci < 0 {
				return nil, errInvalidIdent(a.column)
			}
			if a.op == "UNSET MASK" {
				if masks[ci] != nil && !x.mayApply(masks[ci].policy, obj) {
					return nil, errPrivileges(obj.kind.label(), obj.fqn())
				}
				masks[ci] = nil
				continue
			}
			pol, err := x.policyObj(kMaskingPolicy, a.policy, "ALTER "+string(want))
			if err != nil {
				return nil, err
			}
			if !x.mayApply(pol, obj) || masks[ci] != nil && !x.mayApply(masks[ci].policy, obj) {
				return nil, errPrivileges(obj.kind.label(), obj.fqn())
			}
			// FORCE replaces the column's policy in one step; without it a second policy fails.
			// (https://docs.snowflake.com/en/sql-reference/sql/alter-table-column § FORCE)
			if masks[ci] != nil && !a.force {
				return nil, newError(ErrPolicyAttached, "42601", "Specified column already attached to another masking policy. A column cannot be attached to multiple masking policies. Please drop the current association in order to attach a new masking policy.")
			}
			bound := a.cols
			if bound == nil {
				bound = []string{obj.columns[ci].name}
			}
			if len(a.cols) > 0 && a.cols[0] != obj.columns[ci].name {
				return nil, errSignature(pol, "the first column of USING must be the masked column")
			}
			if err := obj.checkSignature(pol, bound); err != nil {
				return nil, err
			}
			masks[ci] = &maskRef{policy: pol, using: a.cols}
		case "ADD ROW":
			pol, err := x.policyObj(kRowAccessPolicy, a.policy, "ALTER "+string(want))
			if err != nil {
				return nil, err
			}
			if !x.mayApply(pol, obj) {
				return nil, errPrivileges(obj.kind.label(), obj.fqn())
			}
			if rowPolicy != nil { // one row access policy per table or view
				return nil, newError(ErrRowPolicyExists, "42601", "SQL compilation error:\nObject %s already has a row access policy %s; a table or view can have only one row access policy.", obj.fqn(), rowPolicy.policy.fqn())
			}
			if err := obj.checkSignature(pol, a.cols); err != nil {
				return nil, err
			}
			rowPolicy = &rowRef{policy: pol, cols: a.cols}
		case "DROP ROW":
			pol, err := x.policyObj(kRowAccessPolicy, a.policy, "ALTER "+string(want))
			if err != nil {
				return nil, err
			}
			if rowPolicy == nil || rowPolicy.policy != pol {
				return nil, newError(ErrPolicyNotAttached, "42601", "SQL compilation error:\nRow access policy %s is not attached to %s %s.", pol.fqn(), obj.kind, obj.fqn())
			}
			if !x.mayApply(pol, obj) {
				return nil, errPrivileges(obj.kind.label(), obj.fqn())
			}
			rowPolicy = nil
		case "DROP ALL ROWS":
			// Succeeds without a policy (bcr-1327, bundle 2023_07:
			// https://docs.snowflake.com/en/release-notes/bcr-bundles/2023_07/bcr-1327).
			if rowPolicy != nil && !x.mayApply(rowPolicy.policy, obj) {
				return nil, errPrivileges(obj.kind.label(), obj.fqn())
			}
			rowPolicy = nil
		}
	}
	for i := range obj.columns {
		obj.columns[i].mask = masks[i]
	}
	obj.rowPolicy = rowPolicy
	return status("Statement executed successfully."), nil
}

func (o *object) columnIndex(name string) int {
	return slices.IndexFunc(o.columns, func(c column) bool { return c.name == name })
}

// checkSignature checks that cols (columns of o) bind pol's arguments: as many, each column
// of its argument's type family. VARCHAR(n) matches VARCHAR and NUMBER(p,s) matches NUMBER:
// length, precision and scale are not compared, only the family (text, fixed-point number,
// float, boolean, date, time, each timestamp kind, variant, object, array, binary). A view's
// columns without declared types are text.
func (o *object) checkSignature(pol *object, cols []string) error {
	args := pol.policy.args
	if len(cols) != len(args) {
		return errSignature(pol, "the policy takes "+strconv.Itoa(len(args))+" arguments, "+strconv.Itoa(len(cols))+" columns given")
	}
	for i, name := range cols {
		ci := o.columnIndex(name)
		if ci < 0 {
			return errInvalidIdent(name)
		}
		c := o.columns[ci]
		if typeFamily(c.declared()) != typeFamily(args[i].typ) {
			return errSignature(pol, "column "+quoteName(c.name)+" is "+displayType(c.declared())+", argument "+
				quoteName(args[i].name)+" is "+args[i].typ)
		}
	}
	return nil
}

func errSignature(pol *object, detail string) *Error {
	return newError(ErrPolicySignature, "42601", "SQL compilation error:\n%s %s signature does not match the columns: %s.",
		policyTitle(pol.kind), pol.fqn(), detail)
}
