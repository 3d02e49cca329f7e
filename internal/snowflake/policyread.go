package snowflake

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Reading policies: what each read costs.
//
//   - DESCRIBE TABLE lists a table's (or view's) columns with their types and, in its "policy name"
//     column, the masking policy set directly on each column (NULL when none, or when the column is
//     protected only through a tag) ("DESCRIBE TABLE", usage notes,
//     https://docs.snowflake.com/en/sql-reference/sql/desc-table). It is a metadata command, like
//     SHOW: it runs in the cloud services layer and needs no running warehouse.
//   - SHOW MASKING POLICIES and SHOW ROW ACCESS POLICIES list the policies of a schema with their
//     comment; no warehouse either (https://docs.snowflake.com/en/sql-reference/sql/show-masking-policies,
//     https://docs.snowflake.com/en/sql-reference/sql/show-row-access-policies). Their syntax takes LIKE
//     and IN but no LIMIT … FROM, so they are read in one request.
//   - Nothing but POLICY_REFERENCES tells which row access policy a table carries, or which tables carry
//     a given policy. It is an INFORMATION_SCHEMA table function, queried with SELECT … FROM TABLE(…),
//     and so needs the session's warehouse ("POLICY_REFERENCES",
//     https://docs.snowflake.com/en/sql-reference/functions/policy_references).

// ColumnInfo is one column of DESCRIBE TABLE.
type ColumnInfo struct {
	Name string
	// Type is the data type as Snowflake prints it, e.g. VARCHAR(16777216), NUMBER(38,0).
	Type string
	// MaskingPolicy is the masking policy set on the column, nil when none.
	MaskingPolicy *ObjectID
}

// DescribeTable runs DESCRIBE TABLE id (which describes views too: "DESCRIBE TABLE and DESCRIBE VIEW
// are interchangeable") and returns its columns in order. A missing object gives an error for which
// IsNotExist is true. A policy name that is not qualified is taken to be in the table's schema.
func DescribeTable(ctx context.Context, q Querier, id ObjectID) ([]ColumnInfo, error) {
	var out []ColumnInfo
	err := queryRecords(ctx, q, "DESCRIBE TABLE "+id.FullyQualifiedName(), []string{"name", "type", "kind", "policy name"},
		func(r record) error {
			if r.get("kind") != "" && r.get("kind") != "COLUMN" {
				return nil
			}
			c := ColumnInfo{Name: r.get("name"), Type: r.get("type")}
			if p := r.get("policy name"); p != "" {
				pid, err := policyID(p, id)
				if err != nil {
					return err
				}
				c.MaskingPolicy = &pid
			}
			out = append(out, c)
			return nil
		})
	return out, err
}

// policyID parses a policy name as Snowflake prints it, qualified or not (then in the schema of in).
func policyID(s string, in ObjectID) (ObjectID, error) {
	parts, err := ParseQualifiedName(s)
	if err != nil {
		return ObjectID{}, err
	}
	switch len(parts) {
	case 1:
		return ObjectID{in.Database, in.Schema, parts[0]}, nil
	case 2:
		return ObjectID{in.Database, parts[0], parts[1]}, nil
	case 3:
		return ObjectID{parts[0], parts[1], parts[2]}, nil
	}
	return ObjectID{}, fmt.Errorf("policy name %q: %w: more than three parts", s, ErrBadQualifiedName)
}

// PolicyInfo is one row of SHOW MASKING POLICIES or SHOW ROW ACCESS POLICIES.
type PolicyInfo struct {
	ID      ObjectID
	Comment string
	Owner   string
}

// ShowPolicies runs SHOW MASKING POLICIES or SHOW ROW ACCESS POLICIES IN SCHEMA schema. A missing
// schema (or database) gives an error for which IsNotExist is true.
func ShowPolicies(ctx context.Context, q Querier, kind PolicyKind, schema SchemaID) ([]PolicyInfo, error) {
	if err := validKind("SHOW", kind); err != nil {
		return nil, err
	}
	var out []PolicyInfo
	query := "SHOW " + strings.Replace(string(kind), "POLICY", "POLICIES", 1) + " IN SCHEMA " + schema.FullyQualifiedName()
	err := queryRecords(ctx, q, query, []string{"name", "database_name", "schema_name", "comment", "owner"}, func(r record) error {
		out = append(out, PolicyInfo{ID: ObjectID{r.get("database_name"), r.get("schema_name"), r.get("name")},
			Comment: r.get("comment"), Owner: r.get("owner")})
		return nil
	})
	return out, err
}

// PolicyRef is one row of POLICY_REFERENCES: a policy set on a table or view (Column set for a
// masking policy; ArgColumns the columns a row access policy reads).
type PolicyRef struct {
	Policy     ObjectID
	Kind       PolicyKind
	Object     ObjectID
	Domain     ObjectType
	Column     string
	ArgColumns []string
}

// PolicyReferencesOn returns the masking and row access policies set on a table or view (on is
// ObjectTable or ObjectView), with POLICY_REFERENCES(REF_ENTITY_NAME => …, REF_ENTITY_DOMAIN => …).
// It needs a warehouse (see the top of this file).
func PolicyReferencesOn(ctx context.Context, q Querier, on ObjectType, id ObjectID) ([]PolicyRef, error) {
	return policyRefs(ctx, q, id.Database, "REF_ENTITY_NAME => "+QuoteString(id.FullyQualifiedName())+
		", REF_ENTITY_DOMAIN => "+QuoteString(strings.ToLower(string(on))))
}

// PolicyReferencesOf returns the tables and views a policy is set on, with
// POLICY_REFERENCES(POLICY_NAME => …). It needs a warehouse (see the top of this file).
func PolicyReferencesOf(ctx context.Context, q Querier, policy ObjectID) ([]PolicyRef, error) {
	return policyRefs(ctx, q, policy.Database, "POLICY_NAME => "+QuoteString(policy.FullyQualifiedName()))
}

func policyRefs(ctx context.Context, q Querier, db, args string) ([]PolicyRef, error) {
	query := "SELECT POLICY_DB, POLICY_SCHEMA, POLICY_NAME, POLICY_KIND, REF_DATABASE_NAME, REF_SCHEMA_NAME, " +
		"REF_ENTITY_NAME, REF_ENTITY_DOMAIN, REF_COLUMN_NAME, REF_ARG_COLUMN_NAMES FROM TABLE(" +
		QuoteIdent(db) + "." + QuoteIdent(informationSchema) + ".POLICY_REFERENCES(" + args + "))"
	var out []PolicyRef
	err := queryRecords(ctx, q, query, []string{"policy_db", "policy_schema", "policy_name", "policy_kind",
		"ref_database_name", "ref_schema_name", "ref_entity_name", "ref_entity_domain", "ref_column_name", "ref_arg_column_names"},
		func(r record) error {
			kind, ok := policyKinds[r.get("policy_kind")]
			if !ok {
				return nil // other kinds (aggregation, projection, …) are not snowsync's
			}
			ref := PolicyRef{
				Policy: ObjectID{r.get("policy_db"), r.get("policy_schema"), r.get("policy_name")},
				Kind:   kind,
				Object: ObjectID{r.get("ref_database_name"), r.get("ref_schema_name"), r.get("ref_entity_name")},
				Domain: ObjectType(strings.ToUpper(r.get("ref_entity_domain"))),
				Column: r.get("ref_column_name"),
			}
			ref.ArgColumns = argColumns(r.get("ref_arg_column_names"))
			out = append(out, ref)
			return nil
		})
	return out, err
}

// policyKinds maps POLICY_KIND values to the kinds snowsync manages.
var policyKinds = map[string]PolicyKind{"MASKING_POLICY": MaskingPolicy, "ROW_ACCESS_POLICY": RowAccessPolicy}

// argColumns parses REF_ARG_COLUMN_NAMES, which Snowflake prints as a JSON-like list
// (`[ "REGION" ]`) or leaves NULL.
func argColumns(s string) []string {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "["), "]"))
	if s == "" {
		return nil
	}
	var out []string
	for _, p := range strings.Split(s, ",") {
		out = append(out, strings.Trim(strings.TrimSpace(p), `"`))
	}
	return out
}

// TableColumns reads the columns of db's tables and views named by scope (see CatalogScope; the pairs
// the caller wants are kept from the result), with one query of INFORMATION_SCHEMA.COLUMNS, in column
// order: the bulk alternative to one DESCRIBE TABLE per table. It needs a warehouse, and it says
// nothing of masking policies (MaskingPolicy stays nil). A type is rendered as DESCRIBE TABLE renders
// it where the view says enough: NUMBER(precision,scale), other types by name.
// (https://docs.snowflake.com/en/sql-reference/info-schema/columns)
func TableColumns(ctx context.Context, q Querier, db DatabaseID, scope CatalogScope) (map[ObjectID][]ColumnInfo, error) {
	query := "SELECT * FROM " + db.FullyQualifiedName() + "." + QuoteIdent(informationSchema) + "." + QuoteIdent("COLUMNS") +
		" WHERE TABLE_SCHEMA != " + QuoteString(informationSchema)
	if scope.Schemas != nil {
		query += " AND TABLE_SCHEMA IN " + stringList(scope.Schemas)
	}
	if scope.Names != nil {
		query += " AND TABLE_NAME IN " + stringList(scope.Names)
	}
	type positioned struct {
		ColumnInfo
		pos int
	}
	cols := map[ObjectID][]positioned{}
	err := queryRecords(ctx, q, query, []string{"table_schema", "table_name", "column_name", "ordinal_position", "data_type"}, func(r record) error {
		id := ObjectID{db.Name, r.get("table_schema"), r.get("table_name")}
		typ := r.get("data_type")
		_, scaled := r.index["numeric_scale"]
		_, precise := r.index["numeric_precision"]
		if scaled && precise && typ == "NUMBER" && r.get("numeric_precision") != "" {
			typ += "(" + r.get("numeric_precision") + "," + r.get("numeric_scale") + ")"
		}
		pos, err := strconv.Atoi(r.get("ordinal_position"))
		if err != nil {
			return fmt.Errorf("ordinal_position %q: %w", r.get("ordinal_position"), err)
		}
		cols[id] = append(cols[id], positioned{ColumnInfo{Name: r.get("column_name"), Type: typ}, pos})
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make(map[ObjectID][]ColumnInfo, len(cols))
	for id, cs := range cols {
		slices.SortFunc(cs, func(a, b positioned) int { return a.pos - b.pos })
		for _, c := range cs {
			out[id] = append(out[id], c.ColumnInfo)
		}
	}
	return out, nil
}
