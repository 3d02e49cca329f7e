// Package datapolicy renders what Ranger data-mask and row-filter policies decide (policy.Mask for a
// column, policy.RowFilter for a table) as Snowflake masking and row access policies. It is pure: it
// builds statements and names, and never talks to Snowflake.
//
// # Contract
//
// Snowflake allows one masking policy per column and one row access policy per table, so all Ranger
// cases that apply to a column (a table) become one policy whose body decides by the session's roles,
// in Ranger's order (https://docs.snowflake.com/en/sql-reference/functions/is_role_in_session):
//
//	CASE WHEN IS_ROLE_IN_SESSION('<role 1>') THEN <masked 1> WHEN ... ELSE <fall-through> END
//
// The fall-through (a session holding none of the roles) is the clear value for a mask and TRUE (every
// row) for a row filter, as in Ranger. With Options.NullFallthrough it is NULL for a mask and FALSE (no
// row) for a row filter: a deny-by-default reading in which only the roles a Ranger item names see
// anything. Roles are string literals made by snowflake.QuoteString; column names are identifiers made
// by snowflake.QuoteIdent.
//
// A policy's name is a hash of what it does (kind, argument names and types, return type, body), so
// the same content always gets the same name: a converged column or table needs no DDL, identical masks
// on many columns of one type share one policy, and a changed mask is a new policy to swap to. Ours
// recognises these names; snowsync must never alter or drop a policy for which Ours is false.
//
// Bodies use only IS_ROLE_IN_SESSION, CASE, comparisons, ||, REGEXP_REPLACE, LEFT, RIGHT, LENGTH,
// SUBSTR, GREATEST, SHA2, DATE_TRUNC, TO_VARCHAR and TO_NUMBER, plus what a Ranger CUSTOM valueExpr or
// filterExpr uses from the list in allowedFunctions (the functions the emulator evaluates).
//
// What cannot be rendered is an error naming the Ranger policy: a mask type that does not fit the
// column's type, a column type outside the supported list (see sigType), and a valueExpr or filterExpr
// that names an unknown column or function, or that is not a plain expression (a ';', '$', a comment,
// a subquery, unbalanced parentheses or quotes). Such an expression is rejected, never passed through.
package datapolicy
