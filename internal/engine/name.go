package engine

import (
	"cmp"

	"github.com/snowsync/snowsync/internal/policy"
	"github.com/snowsync/snowsync/internal/request"
	"github.com/snowsync/snowsync/internal/snowflake"
)

// name identifies a database (Schema and Object empty), a schema (Object empty), or a table or view: the
// one identity the engine uses for requested resources, loaded objects and planned targets. Before
// loading it holds the names as requested; after, the exact catalog names. It is comparable, so it keys
// maps directly. Snowflake names are never empty (a zero-length identifier is a syntax error), so an
// empty part always means "not at that level".
type name struct{ Database, Schema, Object string }

// nameOf returns the requested resource's name.
func nameOf(r request.Resource) name {
	switch r.Kind {
	case request.KindDatabase:
		return name{Database: r.Database}
	case request.KindSchema:
		return name{Database: r.Database, Schema: r.Schema}
	}
	return name{r.Database, r.Schema, r.Table}
}

// nameOfID returns the name of a Snowflake identifier.
func nameOfID(id snowflake.Identifier) name {
	var n name
	parts := id.Parts()
	for l, p := range parts {
		n = n.child(l+1, p)
	}
	return n
}

// level is 1 for a database, 2 for a schema, 3 for a table or view.
func (n name) level() int {
	switch {
	case n.Object != "":
		return 3
	case n.Schema != "":
		return 2
	}
	return 1
}

// part returns the name at level l (1 to 3).
func (n name) part(l int) string { return [...]string{n.Database, n.Schema, n.Object}[l-1] }

// child returns n with the name at level l set to v and the deeper ones cleared.
func (n name) child(l int, v string) name {
	switch l {
	case 1:
		return name{Database: v}
	case 2:
		return name{n.Database, v, ""}
	}
	return name{n.Database, n.Schema, v}
}

// prefix returns n cut to level l.
func (n name) prefix(l int) name {
	switch l {
	case 1:
		return name{Database: n.Database}
	case 2:
		return name{n.Database, n.Schema, ""}
	}
	return n
}

// under reports whether n lies in (or is) the subtree of root.
func (n name) under(root name) bool {
	return n.level() >= root.level() && n.prefix(root.level()) == root
}

// id returns the Snowflake identifier of n.
func (n name) id() snowflake.Identifier {
	switch n.level() {
	case 1:
		return snowflake.DatabaseID{Name: n.Database}
	case 2:
		return snowflake.SchemaID{Database: n.Database, Name: n.Schema}
	}
	return snowflake.ObjectID{Database: n.Database, Schema: n.Schema, Name: n.Object}
}

// policyObject returns n as the policies name it, an object of type kind.
func (n name) policyObject(kind snowflake.ObjectType) policy.Object {
	return policy.Object{Type: kind, Database: n.Database, Schema: n.Schema, Name: n.Object}
}

// compareNames orders names database first, a container before what it holds.
func compareNames(a, b name) int {
	return cmp.Or(cmp.Compare(a.Database, b.Database), cmp.Compare(a.Schema, b.Schema), cmp.Compare(a.Object, b.Object))
}
