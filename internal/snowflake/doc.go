// Package snowflake is snowsync's Snowflake layer: typed identifiers and the single quoting function,
// statements as values with one pure renderer, the connection settings (JDBC URL, key pair) turned into a
// gosnowflake connector, classification of driver errors, readers of the current state (SHOW and
// INFORMATION_SCHEMA), and executors that apply statements (grouped, retried, isolated) or only record
// them (dry run).
//
// No identifier is ever formatted into SQL except through QuoteIdent, and no string value except through
// QuoteString.
package snowflake
