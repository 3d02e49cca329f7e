package emulator

import (
	"slices"
	"strconv"
	"strings"
)

// StatementClass groups statements for latency, faults and counts: the statement's first
// keyword for the classes below, OTHER for everything else.
type StatementClass string

// The statement classes.
const (
	ClassShow   StatementClass = "SHOW"
	ClassGrant  StatementClass = "GRANT"
	ClassRevoke StatementClass = "REVOKE"
	ClassCreate StatementClass = "CREATE"
	ClassDrop   StatementClass = "DROP"
	ClassSelect StatementClass = "SELECT"
	ClassUse    StatementClass = "USE"
	ClassAlter  StatementClass = "ALTER"
	ClassOther  StatementClass = "OTHER"
)

// classify returns the class of a statement from its first keyword.
func classify(toks []token) StatementClass {
	if len(toks) == 0 || toks[0].kind != tIdent {
		return ClassOther
	}
	switch c := StatementClass(toks[0].val); c {
	case ClassShow, ClassGrant, ClassRevoke, ClassCreate, ClassDrop, ClassSelect, ClassUse, ClassAlter:
		return c
	}
	return ClassOther
}

// parser is a recursive-descent parser over one statement's tokens.
type parser struct {
	src  string // the whole request text, for positions and view bodies
	toks []token
	i    int
}

func (p *parser) peek() token {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return token{kind: tEOF, pos: len(p.src)}
}

func (p *parser) next() token { t := p.peek(); p.i++; return t }

func (p *parser) atEnd() bool { return p.i >= len(p.toks) }

// isKw reports whether the next tokens are the given keywords.
func (p *parser) isKw(words ...string) bool {
	for k, w := range words {
		j := p.i + k
		if j >= len(p.toks) || p.toks[j].kind != tIdent || p.toks[j].val != w {
			return false
		}
	}
	return true
}

func (p *parser) acceptKw(words ...string) bool {
	if p.isKw(words...) {
		p.i += len(words)
		return true
	}
	return false
}

func (p *parser) isPunct(s string) bool {
	t := p.peek()
	return t.kind == tPunct && t.val == s
}

func (p *parser) acceptPunct(s string) bool {
	if p.isPunct(s) {
		p.i++
		return true
	}
	return false
}

// unexpected is the syntax error for the next token.
func (p *parser) unexpected() error {
	t := p.peek()
	if t.kind == tEOF {
		return syntaxErrorAt(p.src, t.pos, "<EOF>")
	}
	return syntaxErrorAt(p.src, t.pos, p.src[t.pos:t.end])
}

func (p *parser) expectKw(words ...string) error {
	for _, w := range words {
		if !p.acceptKw(w) {
			return p.unexpected()
		}
	}
	return nil
}

func (p *parser) expectPunct(s string) error {
	if !p.acceptPunct(s) {
		return p.unexpected()
	}
	return nil
}

// ident reads one identifier: unquoted (upper-cased) or quoted (exact).
func (p *parser) ident() (string, error) {
	t := p.peek()
	if t.kind != tIdent && t.kind != tQuoted {
		return "", p.unexpected()
	}
	p.i++
	return t.val, nil
}

// name reads a dotted name of at most maxParts identifiers.
func (p *parser) name(maxParts int) ([]string, error) {
	var parts []string
	for {
		id, err := p.ident()
		if err != nil {
			return nil, err
		}
		parts = append(parts, id)
		if !p.isPunct(".") {
			return parts, nil
		}
		if len(parts) == maxParts {
			return nil, p.unexpected()
		}
		p.i++
	}
}

// str reads a string literal (or a bound ? parameter, as its number prefixed by "?").
func (p *parser) str() (string, error) {
	t := p.peek()
	if t.kind != tString {
		return "", p.unexpected()
	}
	p.i++
	return t.val, nil
}

// end checks that the statement has no more tokens.
func (p *parser) end() error {
	if !p.atEnd() {
		return p.unexpected()
	}
	return nil
}

// optionValue reads the value after "KEY =": a string, number, identifier or TRUE/FALSE, or a
// parenthesised list of them.
func (p *parser) optionValue() (string, error) {
	p.acceptPunct("=")
	if p.acceptPunct("(") { // a list, as DEFAULT_SECONDARY_ROLES = ('ALL'): its items joined by commas
		var items []string
		for !p.acceptPunct(")") {
			t := p.next()
			if t.kind != tString && t.kind != tIdent && t.kind != tQuoted {
				p.i--
				return "", p.unexpected()
			}
			items = append(items, t.val)
			if !p.isPunct(")") {
				if err := p.expectPunct(","); err != nil {
					return "", err
				}
			}
		}
		return strings.Join(items, ","), nil
	}
	t := p.next()
	switch t.kind {
	case tString, tNumber, tIdent, tQuoted:
		return t.val, nil
	}
	p.i--
	return "", p.unexpected()
}

// statement is a parsed SQL statement that runs against the account for a session.
type statement interface {
	run(x *execCtx) (*result, error)
}

// parseStatement parses one statement of src.
func parseStatement(src string, raw rawStatement) (statement, error) {
	p := &parser{src: src, toks: raw.toks}
	t := p.next()
	if t.kind != tIdent {
		p.i--
		return nil, p.unexpected()
	}
	switch t.val {
	case "CREATE":
		return p.parseCreate()
	case "DROP":
		return p.parseDrop()
	case "USE":
		return p.parseUse()
	case "ALTER":
		return p.parseAlter()
	case "GRANT":
		return p.parseGrant(false)
	case "REVOKE":
		return p.parseGrant(true)
	case "SHOW":
		return p.parseShow()
	case "SELECT":
		return p.parseSelect()
	case "INSERT":
		return p.parseInsert()
	case "DESCRIBE", "DESC":
		return p.parseDescribe()
	case "BEGIN", "COMMIT", "ROLLBACK":
		if t.val == "BEGIN" {
			p.acceptKw("TRANSACTION")
		}
		if err := p.end(); err != nil {
			return nil, err
		}
		return noopStmt{}, nil
	}
	p.i--
	return nil, p.unexpected()
}

type noopStmt struct{}

// createStmt is CREATE [OR REPLACE] <kind> [IF NOT EXISTS] name ...
type createStmt struct {
	kind                   kind
	orReplace, ifNotExists bool
	name                   []string
	columns                []column
	viewText               string // the whole CREATE VIEW statement, as SHOW VIEWS prints it
	comment                string
	transient, secure      bool
	copyGrants             bool
	props                  map[string]string // USER properties
}

func (p *parser) parseCreate() (statement, error) {
	s := &createStmt{}
	if p.acceptKw("OR") {
		if err := p.expectKw("REPLACE"); err != nil {
			return nil, err
		}
		s.orReplace = true
	}
	if k, ok := p.acceptPolicyKind(); ok {
		return p.parseCreatePolicy(k, s.orReplace)
	}
	s.transient = p.acceptKw("TRANSIENT")
	s.secure = p.acceptKw("SECURE")
	var err error
	if s.kind, err = p.createdKind(); err != nil {
		return nil, err
	}
	if p.acceptKw("IF") {
		if err := p.expectKw("NOT", "EXISTS"); err != nil {
			return nil, err
		}
		s.ifNotExists = true
	}
	if s.name, err = p.name(partsFor(s.kind)); err != nil {
		return nil, err
	}
	switch s.kind {
	case kTable:
		if err := p.parseColumns(s); err != nil {
			return nil, err
		}
	case kView:
		if p.isPunct("(") {
			if err := p.parseViewColumns(s); err != nil {
				return nil, err
			}
		}
	}
	for !p.atEnd() {
		switch {
		case s.kind == kView && p.isKw("AS"):
			p.i++
			if p.atEnd() {
				return nil, p.unexpected()
			}
			s.viewText = p.src[p.toks[0].pos:p.toks[len(p.toks)-1].end]
			p.i = len(p.toks)
		case p.acceptKw("COPY", "GRANTS"):
			s.copyGrants = true
		case p.acceptKw("COMMENT"):
			if s.comment, err = p.optionValue(); err != nil {
				return nil, err
			}
		case s.kind == kUser && (p.peek().kind == tIdent):
			key := p.next().val
			v, err := p.optionValue()
			if err != nil {
				return nil, err
			}
			if s.props == nil {
				s.props = map[string]string{}
			}
			s.props[key] = v
		case p.peek().kind == tIdent && p.i+1 < len(p.toks) && p.toks[p.i+1].val == "=":
			// Other object properties (DATA_RETENTION_TIME_IN_DAYS = 1, ...) are accepted and ignored.
			p.i++
			if _, err := p.optionValue(); err != nil {
				return nil, err
			}
		default:
			return nil, p.unexpected()
		}
	}
	if s.kind == kView && s.viewText == "" {
		return nil, p.unexpected()
	}
	if s.orReplace && s.ifNotExists {
		return nil, errSyntaxMsg("invalid use of OR REPLACE and IF NOT EXISTS together.")
	}
	return s, nil
}

// partsFor is how many name parts a kind's name may have.
func partsFor(k kind) int {
	switch k {
	case kSchema:
		return 2
	case kTable, kView:
		return 3
	}
	return 1
}

// parseColumns reads "(name type [NOT NULL] [...], ...)"; the type is kept as written.
func (p *parser) parseColumns(s *createStmt) error {
	if err := p.expectPunct("("); err != nil {
		return err
	}
	for {
		if p.isKw("CONSTRAINT") || p.isKw("PRIMARY") || p.isKw("UNIQUE") || p.isKw("FOREIGN") {
			p.skipToColumnEnd()
		} else {
			n, err := p.ident()
			if err != nil {
				return err
			}
			start := p.peek()
			if start.kind == tEOF || start.kind == tPunct {
				return p.unexpected()
			}
			c := column{name: n, nullable: true}
			end := p.skipToColumnEnd()
			def := p.src[start.pos:end]
			upper := strings.ToUpper(def)
			if strings.Contains(upper, "NOT NULL") {
				c.nullable = false
			}
			c.decl = declaredType(def)
			c.typ = c.decl
			if k := strings.IndexByte(c.typ, '('); k > 0 {
				c.typ = c.typ[:k]
			}
			s.columns = append(s.columns, c)
		}
		if p.acceptPunct(")") {
			return nil
		}
		if err := p.expectPunct(","); err != nil {
			return err
		}
	}
}

// skipToColumnEnd advances to the "," or ")" that ends a column definition and returns the
// byte offset where the definition ends.
func (p *parser) skipToColumnEnd() int {
	depth := 0
	end := p.peek().pos
	for !p.atEnd() {
		t := p.peek()
		if t.kind == tPunct {
			switch t.val {
			case "(":
				depth++
			case ")":
				if depth == 0 {
					return end
				}
				depth--
			case ",":
				if depth == 0 {
					return end
				}
			}
		}
		end = t.end
		p.i++
	}
	return end
}

func (p *parser) parseViewColumns(s *createStmt) error {
	p.i++
	for {
		n, err := p.ident()
		if err != nil {
			return err
		}
		s.columns = append(s.columns, column{name: n, typ: "VARCHAR", nullable: true})
		if p.acceptKw("COMMENT") {
			if _, err := p.str(); err != nil {
				return err
			}
		}
		if p.acceptPunct(")") {
			return nil
		}
		if err := p.expectPunct(","); err != nil {
			return err
		}
	}
}

// dropStmt is DROP <kind> [IF EXISTS] name [CASCADE | RESTRICT].
type dropStmt struct {
	kind     kind
	ifExists bool
	name     []string
}

// createdKind reads the kind of object CREATE and DROP name: DATABASE, SCHEMA, TABLE, VIEW, ROLE or USER.
func (p *parser) createdKind() (kind, error) {
	switch k := kind(p.next().val); k {
	case kDatabase, kSchema, kTable, kView, kRole, kUser:
		return k, nil
	}
	p.i--
	return "", p.unexpected()
}

func (p *parser) parseDrop() (statement, error) {
	if k, ok := p.acceptPolicyKind(); ok {
		s := &dropPolicyStmt{kind: k, ifExists: p.acceptKw("IF", "EXISTS")}
		var err error
		if s.name, err = p.name(3); err != nil {
			return nil, err
		}
		return s, p.end()
	}
	s := &dropStmt{}
	var err error
	if s.kind, err = p.createdKind(); err != nil {
		return nil, err
	}
	if p.acceptKw("IF") {
		if err := p.expectKw("EXISTS"); err != nil {
			return nil, err
		}
		s.ifExists = true
	}
	if s.name, err = p.name(partsFor(s.kind)); err != nil {
		return nil, err
	}
	if !p.acceptKw("CASCADE") {
		p.acceptKw("RESTRICT")
	}
	return s, p.end()
}

// useStmt is USE [ROLE | WAREHOUSE | DATABASE | SCHEMA] name.
type useStmt struct {
	what string // ROLE, WAREHOUSE, DATABASE, SCHEMA, or "" for a bare name
	name []string
}

func (p *parser) parseUse() (statement, error) {
	s := &useStmt{}
	if p.acceptKw("SECONDARY", "ROLES") { // USE SECONDARY ROLES { ALL | NONE }
		s.what = "SECONDARY ROLES"
		if !p.isKw("ALL") && !p.isKw("NONE") {
			return nil, errSyntaxMsg("the emulator supports USE SECONDARY ROLES ALL | NONE")
		}
		s.name = []string{p.next().val}
		return s, p.end()
	}
	maxParts := 2
	for _, w := range []string{"ROLE", "WAREHOUSE", "DATABASE", "SCHEMA"} {
		if p.acceptKw(w) {
			s.what = w
			if w != "SCHEMA" {
				maxParts = 1
			}
			break
		}
	}
	var err error
	if s.name, err = p.name(maxParts); err != nil {
		return nil, err
	}
	return s, p.end()
}

// alterStmt is ALTER USER name SET k = v ... | UNSET k, ... and ALTER SESSION SET/UNSET.
type alterStmt struct {
	session bool
	user    string
	set     map[string]string
	unset   []string
}

func (p *parser) parseAlter() (statement, error) {
	if k, ok := p.acceptPolicyKind(); ok {
		return p.parseAlterPolicy(k)
	}
	if p.isKw("TABLE") || p.isKw("VIEW") {
		return p.parseAlterTable(p.next().val == "VIEW")
	}
	s := &alterStmt{set: map[string]string{}}
	switch {
	case p.acceptKw("SESSION"):
		s.session = true
	case p.acceptKw("USER"):
		p.acceptKw("IF", "EXISTS")
		var err error
		if s.user, err = p.ident(); err != nil {
			return nil, err
		}
	default:
		return nil, p.unexpected()
	}
	switch {
	case p.acceptKw("SET"):
		for !p.atEnd() {
			k, err := p.ident()
			if err != nil {
				return nil, err
			}
			v, err := p.optionValue()
			if err != nil {
				return nil, err
			}
			s.set[strings.ToUpper(k)] = v
			p.acceptPunct(",")
		}
	case p.acceptKw("UNSET"):
		for !p.atEnd() {
			k, err := p.ident()
			if err != nil {
				return nil, err
			}
			s.unset = append(s.unset, strings.ToUpper(k))
			p.acceptPunct(",")
		}
	default:
		return nil, p.unexpected()
	}
	if len(s.set) == 0 && len(s.unset) == 0 {
		return nil, p.unexpected()
	}
	return s, nil
}

// grantTarget is what ON names in GRANT / REVOKE.
type grantTarget struct {
	kind   kind     // ACCOUNT, DATABASE, SCHEMA, TABLE, VIEW: the kind of the objects granted on
	name   []string // the object, or the container for ALL / FUTURE
	all    bool     // ON ALL <kind>s IN <in> name
	future bool     // ON FUTURE <kind>s IN <in> name
	in     kind     // DATABASE or SCHEMA for ALL / FUTURE
}

// grantStmt is GRANT/REVOKE <privileges> ON <target> TO/FROM ROLE r.
type grantStmt struct {
	revoke        bool
	privs         []string // nil with all set
	all           bool
	target        grantTarget
	role          string
	grantOption   bool // GRANT ... WITH GRANT OPTION; REVOKE GRANT OPTION FOR ...
	revokeCurrent bool // GRANT OWNERSHIP ... REVOKE CURRENT GRANTS
	copyCurrent   bool // GRANT OWNERSHIP ... COPY CURRENT GRANTS
	cascade       bool // REVOKE ... CASCADE (RESTRICT is the default)
}

// grantRoleStmt is GRANT/REVOKE ROLE r TO/FROM ROLE|USER x.
type grantRoleStmt struct {
	revoke bool
	role   string
	toUser bool
	to     string
}

func (p *parser) parseGrant(revoke bool) (statement, error) {
	if p.acceptKw("ROLE") {
		s := &grantRoleStmt{revoke: revoke}
		var err error
		if s.role, err = p.ident(); err != nil {
			return nil, err
		}
		if err := p.expectKw(map[bool]string{false: "TO", true: "FROM"}[revoke]); err != nil {
			return nil, err
		}
		switch {
		case p.acceptKw("USER"):
			s.toUser = true
		case p.acceptKw("ROLE"):
		default:
			return nil, p.unexpected()
		}
		if s.to, err = p.ident(); err != nil {
			return nil, err
		}
		return s, p.end()
	}
	s := &grantStmt{revoke: revoke}
	if revoke && p.acceptKw("GRANT", "OPTION", "FOR") {
		s.grantOption = true
	}
	if p.acceptKw("ALL") {
		p.acceptKw("PRIVILEGES")
		s.all = true
	} else {
		for {
			var words []string
			for p.peek().kind == tIdent && !p.isKw("ON") {
				words = append(words, p.next().val)
			}
			if len(words) == 0 {
				return nil, p.unexpected()
			}
			s.privs = append(s.privs, strings.Join(words, " "))
			if !p.acceptPunct(",") {
				break
			}
		}
	}
	if err := p.expectKw("ON"); err != nil {
		return nil, err
	}
	if err := p.parseTarget(&s.target); err != nil {
		return nil, err
	}
	if err := p.expectKw(map[bool]string{false: "TO", true: "FROM"}[revoke]); err != nil {
		return nil, err
	}
	if p.isKw("DATABASE", "ROLE") || p.isKw("SHARE") || p.isKw("APPLICATION") {
		return nil, errSyntaxMsg("the emulator supports grants to account roles only")
	}
	p.acceptKw("ROLE")
	var err error
	if s.role, err = p.ident(); err != nil {
		return nil, err
	}
	if !revoke && p.acceptKw("WITH", "GRANT", "OPTION") {
		s.grantOption = true
	}
	switch {
	case !revoke && p.acceptKw("REVOKE", "CURRENT", "GRANTS"):
		s.revokeCurrent = true
	case !revoke && p.acceptKw("COPY", "CURRENT", "GRANTS"):
		s.copyCurrent = true
	case revoke && p.acceptKw("CASCADE"):
		s.cascade = true
	case revoke:
		p.acceptKw("RESTRICT")
	}
	if (s.revokeCurrent || s.copyCurrent) && !slices.Equal(s.privs, []string{privOwnership}) {
		return nil, errSyntaxMsg("Only OWNERSHIP grant command may specify REVOKE CURRENT GRANTS option.")
	}
	return s, p.end()
}

var pluralKinds = map[string]kind{"SCHEMAS": kSchema, "TABLES": kTable, "VIEWS": kView}

func (p *parser) parseTarget(t *grantTarget) error {
	if p.acceptKw("ACCOUNT") {
		t.kind = kAccount
		return nil
	}
	if p.isKw("ALL") || p.isKw("FUTURE") {
		t.all = p.next().val == "ALL"
		t.future = !t.all
		k, ok := pluralKinds[p.peek().val]
		if !ok || p.peek().kind != tIdent {
			return p.unexpected()
		}
		p.i++
		t.kind = k
		if err := p.expectKw("IN"); err != nil {
			return err
		}
		switch {
		case p.acceptKw("DATABASE"):
			t.in = kDatabase
		case p.acceptKw("SCHEMA") && k != kSchema:
			t.in = kSchema
		default:
			return p.unexpected()
		}
		var err error
		t.name, err = p.name(partsFor(t.in))
		return err
	}
	if k, ok := p.acceptPolicyKind(); ok { // GRANT APPLY ON MASKING | ROW ACCESS POLICY p
		t.kind = k
		var err error
		t.name, err = p.name(3)
		return err
	}
	t.kind = kTable // Snowflake's default when ON names no object type
	for _, k := range []kind{kDatabase, kSchema, kTable, kView} {
		if p.acceptKw(string(k)) {
			t.kind = k
			break
		}
	}
	if p.isKw("WAREHOUSE") || p.isKw("INTEGRATION") || p.isKw("FUNCTION") || p.isKw("PROCEDURE") || p.isKw("STAGE") {
		return errSyntaxMsg("the emulator does not model %s objects", strings.ToLower(p.peek().val))
	}
	var err error
	t.name, err = p.name(partsFor(t.kind))
	return err
}

// showStmt is SHOW <what> [LIKE] [IN] [STARTS WITH] [LIMIT], SHOW [FUTURE] GRANTS ....
type showStmt struct {
	what     string // DATABASES, SCHEMAS, TABLES, VIEWS, OBJECTS, COLUMNS, ROLES, USERS, GRANTS, FUTURE GRANTS
	like     *string
	in       kind     // ACCOUNT, DATABASE, SCHEMA, TABLE, VIEW; "" = default scope
	inName   []string // nil = the current one
	starts   string
	limit    int          // LIMIT rows; -1 when absent
	from     *string      // LIMIT ... FROM 'name_string'; nil when absent
	grantsOn *grantTarget // SHOW GRANTS ON
	grantsTo string       // "ROLE", "USER" (SHOW GRANTS TO), "OF" (SHOW GRANTS OF ROLE)
	grantee  string
}

func (p *parser) parseShow() (statement, error) {
	s := &showStmt{limit: -1}
	p.acceptKw("TERSE")
	if p.acceptKw("FUTURE") {
		if err := p.expectKw("GRANTS"); err != nil {
			return nil, err
		}
		s.what = "FUTURE GRANTS"
		switch {
		case p.acceptKw("IN"):
			switch {
			case p.acceptKw("DATABASE"):
				s.in = kDatabase
			case p.acceptKw("SCHEMA"):
				s.in = kSchema
			default:
				return nil, p.unexpected()
			}
			var err error
			if s.inName, err = p.name(partsFor(s.in)); err != nil {
				return nil, err
			}
		case p.acceptKw("TO", "ROLE"):
			s.grantsTo = "ROLE"
			var err error
			if s.grantee, err = p.ident(); err != nil {
				return nil, err
			}
		default:
			return nil, p.unexpected()
		}
		if err := p.parseShowLimit(s, false); err != nil {
			return nil, err
		}
		return s, p.end()
	}
	policies := true // SHOW MASKING | ROW ACCESS POLICIES take LIKE and IN only
	switch {
	case p.acceptKw("MASKING", "POLICIES"):
		s.what = "MASKING POLICIES"
	case p.acceptKw("ROW", "ACCESS", "POLICIES"):
		s.what = "ROW ACCESS POLICIES"
	default:
		policies = false
		t := p.next()
		if t.kind != tIdent {
			p.i--
			return nil, p.unexpected()
		}
		s.what = t.val
		switch s.what {
		case "GRANTS":
			return s, p.parseShowGrants(s)
		case "DATABASES", "SCHEMAS", "TABLES", "VIEWS", "OBJECTS", "COLUMNS", "ROLES", "USERS":
		default:
			p.i--
			return nil, p.unexpected()
		}
	}
	if p.acceptKw("LIKE") {
		v, err := p.str()
		if err != nil {
			return nil, err
		}
		s.like = &v
	}
	if p.acceptKw("IN") {
		if err := p.parseShowIn(s); err != nil {
			return nil, err
		}
	}
	if policies {
		return s, p.end()
	}
	if p.acceptKw("STARTS", "WITH") {
		v, err := p.str()
		if err != nil {
			return nil, err
		}
		s.starts = v
	}
	if err := p.parseShowLimit(s, true); err != nil {
		return nil, err
	}
	if s.what == "USERS" && s.from == nil && p.acceptKw("FROM") { // SHOW USERS: [ LIMIT <rows> ] [ FROM '<name_string>' ]
		v, err := p.str()
		if err != nil {
			return nil, err
		}
		s.from = &v
	}
	return s, p.end()
}

// parseShowLimit reads an optional LIMIT <rows>, followed by FROM '<name_string>' when from is
// set (SHOW <objects>); SHOW GRANTS takes LIMIT only.
func (p *parser) parseShowLimit(s *showStmt, from bool) error {
	if !p.acceptKw("LIMIT") {
		return nil
	}
	t := p.next()
	n, err := strconv.Atoi(t.val)
	if t.kind != tNumber || err != nil || n < 0 {
		p.i--
		return p.unexpected()
	}
	s.limit = n
	if from && p.acceptKw("FROM") {
		v, err := p.str()
		if err != nil {
			return err
		}
		s.from = &v
	}
	return nil
}

func (p *parser) parseShowIn(s *showStmt) error {
	switch {
	case p.acceptKw("ACCOUNT"):
		s.in = kAccount
		return nil
	case p.acceptKw("DATABASE"):
		s.in = kDatabase
	case p.acceptKw("SCHEMA"):
		s.in = kSchema
	case p.acceptKw("TABLE"):
		s.in = kTable
	case p.acceptKw("VIEW"):
		s.in = kView
	default:
		switch s.what {
		case "COLUMNS":
			s.in = kTable
		case "SCHEMAS":
			s.in = kDatabase
		default:
			s.in = kSchema
		}
		var err error
		s.inName, err = p.name(partsFor(s.in))
		return err
	}
	if p.peek().kind == tIdent && !p.isKw("STARTS") && !p.isKw("LIMIT") || p.peek().kind == tQuoted {
		var err error
		s.inName, err = p.name(partsFor(s.in))
		return err
	}
	if s.in == kTable || s.in == kView {
		return p.unexpected()
	}
	return nil
}

func (p *parser) parseShowGrants(s *showStmt) error {
	var err error
	switch {
	case p.acceptKw("ON"):
		s.grantsOn = &grantTarget{}
		if p.isKw("ROLE") || p.isKw("USER") {
			return errSyntaxMsg("the emulator supports SHOW GRANTS ON ACCOUNT, DATABASE, SCHEMA, TABLE and VIEW")
		}
		if err := p.parseTarget(s.grantsOn); err != nil {
			return err
		}
		if s.grantsOn.all || s.grantsOn.future {
			return p.unexpected()
		}
	case p.acceptKw("TO"):
		switch {
		case p.acceptKw("ROLE"):
			s.grantsTo = "ROLE"
		case p.acceptKw("USER"):
			s.grantsTo = "USER"
		default:
			return p.unexpected()
		}
		if s.grantee, err = p.ident(); err != nil {
			return err
		}
	case p.acceptKw("OF", "ROLE"):
		s.grantsTo = "OF"
		if s.grantee, err = p.ident(); err != nil {
			return err
		}
	case p.atEnd() || p.isKw("LIMIT"): // SHOW GRANTS: TO USER <current user>
		s.grantsTo = "USER"
	default:
		return p.unexpected()
	}
	if err := p.parseShowLimit(s, false); err != nil {
		return err
	}
	return p.end()
}
