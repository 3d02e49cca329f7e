package emulator

import "fmt"

// Error numbers the emulator answers with. Each is the number Snowflake uses for the same
// condition; the SQLState that goes with it is set by the constructors below.
const (
	ErrStatementCount         = 8      // 0A000: statement count differs from MULTI_STATEMENT_COUNT
	ErrCanceled               = 604    // 57014: SQL execution canceled
	ErrEmptyStatement         = 900    // 42000: empty SQL statement
	ErrSyntax                 = 1003   // 42000: syntax error (also: unsupported statement)
	ErrAlreadyExists          = 2002   // 42710: object already exists
	ErrDoesNotExist           = 2003   // 02000: object or role does not exist or not authorized
	ErrCannotPerform          = 2043   // 02000: object does not exist, or operation cannot be performed
	ErrInsufficientPrivileges = 3001   // 42501: insufficient privileges
	ErrCycle                  = 3012   // 42601: role grant would create a cycle (number not verified)
	ErrDependentGrant         = 3036   // 23001: a dependent grant blocks GRANT OWNERSHIP or REVOKE RESTRICT
	ErrRoleNotAssigned        = 3013   // 42501: USE ROLE of a role not granted to the user
	ErrNoCurrentDatabase      = 90105  // 22000: unqualified name and no current database
	ErrNoCurrentSchema        = 90106  // 22000: unqualified name and no current schema
	ErrShowRowLimit           = 90153  // 22000: SHOW <objects> result over the row limit, or LIMIT above it
	ErrBadCredentials         = 390100 // 08004: incorrect username or password
	ErrSessionGone            = 390111 // 08001: session no longer exists
	ErrSessionExpired         = 390112 // 08001: session token expired, renew it
	ErrMasterTokenExpired     = 390114 // 08001: master token expired, log in again
	ErrInvalidJWT             = 390144 // 08004: JWT token is invalid
	ErrLoginRoleNotGranted    = 390189 // 08004: role in the connect string is not granted to the user

	// Policies, data and expressions. Numbers marked "not verified" are the emulator's choice:
	// the documentation gives the messages (doc.go says which) but not the numbers.
	ErrNoWarehouse       = 606    // 57P03: a query that needs a warehouse and the session has none
	ErrInvalidIdentifier = 904    // 42000: unknown column
	ErrInsertValueCount  = 2020   // 21S01: INSERT value list does not match the column list
	ErrPolicyAttached    = 3529   // 42601: column already attached to another masking policy
	ErrPolicyInUse       = 3530   // 42601: policy cannot be dropped/replaced while attached (number not verified)
	ErrPolicySignature   = 3531   // 42601: policy signature does not match the column types (number not verified)
	ErrRowPolicyExists   = 3532   // 42601: the table already has a row access policy (number not verified)
	ErrPolicyReturnType  = 3533   // 42601: masking policy argument and return type mismatch (number not verified)
	ErrPolicyNotAttached = 3534   // 42601: DROP ROW ACCESS POLICY of a policy not attached (number not verified)
	ErrBooleanValue      = 100037 // 22018: text that is not a boolean (number not verified)
	ErrNumericValue      = 100038 // 22018: text that is not a number
	ErrDateValue         = 100040 // 22007: text that is not a date or timestamp
	ErrInvalidRegexp     = 100048 // 2201B: invalid regular expression (number not verified)
	ErrDivisionByZero    = 100051 // 22012: division by zero
	ErrNotNull           = 100072 // 22000: NULL inserted into a NOT NULL column
)

// Error is a Snowflake error as the emulator reports it: a number, a five-character SQLState
// and a message. The driver turns it into a *gosnowflake.SnowflakeError with the same fields;
// Server.Exec returns it as is.
type Error struct {
	Number   int
	SQLState string
	Message  string
}

// Error formats the error as Snowflake's clients do: "002003 (02000): message".
func (e *Error) Error() string {
	return fmt.Sprintf("%06d (%s): %s", e.Number, e.SQLState, e.Message)
}

// code is the error number as the wire protocol spells it (six digits).
func (e *Error) code() string { return fmt.Sprintf("%06d", e.Number) }

func newError(number int, state, format string, args ...any) *Error {
	return &Error{Number: number, SQLState: state, Message: fmt.Sprintf(format, args...)}
}

func errNotExist(kind, name string) *Error {
	return newError(ErrDoesNotExist, "02000", "SQL compilation error:\n%s '%s' does not exist or not authorized.", kind, name)
}

func errExists(name string) *Error {
	return newError(ErrAlreadyExists, "42710", "SQL compilation error:\nObject '%s' already exists.", name)
}

func errPrivileges(kind, name string) *Error {
	return newError(ErrInsufficientPrivileges, "42501", "SQL access control error:\nInsufficient privileges to operate on %s '%s'", kind, name)
}

func errSyntaxMsg(format string, args ...any) *Error {
	return newError(ErrSyntax, "42000", "SQL compilation error:\n"+format, args...)
}

func errNoDatabase(op string) *Error {
	return newError(ErrNoCurrentDatabase, "22000", "Cannot perform %s. This session does not have a current database. Call 'USE DATABASE', or use a qualified name.", op)
}

func errNoSchema(op string) *Error {
	return newError(ErrNoCurrentSchema, "22000", "Cannot perform %s. This session does not have a current schema. Call 'USE SCHEMA', or use a qualified name.", op)
}

// errShowLimit is Snowflake's refusal of a SHOW <objects> result larger than max rows. The
// wording is Snowflake's (as its drivers report it); the SQLState is not verified.
func errShowLimit(max int) *Error {
	return newError(ErrShowRowLimit, "22000", "The result set size exceeded the max number of rows(%d) supported for SHOW statements. Use LIMIT option to limit result set to a smaller number.", max)
}

// errDependentGrant is the refusal of GRANT OWNERSHIP or REVOKE (RESTRICT) while g exists.
// Snowflake's wording for GRANT OWNERSHIP (two spaces between sentences included); hint ends it.
func errDependentGrant(g *grant, hint string) *Error {
	return newError(ErrDependentGrant, "23001", "SQL execution error: Dependent grant of privilege '%s' on securable '%s' to role '%s' exists.  It must be revoked first.  More than one dependent grant may exist: use 'SHOW GRANTS' command to view them.  To revoke all dependent grants %s.", g.priv, g.obj.fqn(), g.role.name, hint)
}
