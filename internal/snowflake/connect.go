package snowflake

import (
	"cmp"
	"context"
	"crypto/rsa"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/snowflakedb/gosnowflake"
	"golang.org/x/sync/errgroup"

	"github.com/snowsync/snowsync/internal/guard"

	"github.com/snowsync/snowsync/internal/secret"
)

// Connection defaults, chosen to fit inside one Functions invocation: the driver's own defaults (login
// retried for 300 s, query requests retried without limit, 900 s per HTTP round trip) would outlive it.
const (
	// DefaultRequestTimeout bounds one query request including the driver's retries
	// (CONNECTOR_SNOWFLAKE_QUERY_TIMEOUT_SEC's default).
	DefaultRequestTimeout = 60 * time.Second
	defaultLoginTimeout   = 60 * time.Second
	clientTimeout         = 60 * time.Second
	maxIdleConns          = 16
	// connMaxLifetime keeps sessions well inside Snowflake's 4-hour master token validity, so that a
	// pooled connection is replaced before its token can no longer be renewed.
	connMaxLifetime = time.Hour
)

// Connection is a checked ConnConfig: its JDBC URL parsed, its private key decoded, the user, warehouse
// and role resolved (a setting over the URL's parameter) and the timeouts' defaults applied, once, by
// ConnConfig.Check. Formatting it shows no secret: the password is a secret.String and the key a
// pointer.
type Connection struct {
	URL                   JDBCURL
	User, Warehouse, Role string
	// Password is used when Key is nil.
	Password secret.String
	// Key, when set, selects key-pair (JWT) authentication.
	Key                          *rsa.PrivateKey
	LoginTimeout, RequestTimeout time.Duration
}

// FieldError is a ConnConfig field that Check refused. Field is the field's name ("JDBCURL",
// "Username", "Password", "PrivateKey"), so that a caller can name the setting it came from. Its
// message never contains a secret.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

// Check parses and resolves c into a Connection. It requires a user (Username or the URL's user=) and a
// credential (PrivateKey, else Password); a bad JDBC URL or private key is refused with the parse error.
// Every error is a *FieldError.
func (c ConnConfig) Check() (Connection, error) {
	u, err := ParseJDBCURL(c.JDBCURL)
	if err != nil {
		return Connection{}, &FieldError{"JDBCURL", err}
	}
	conn := Connection{
		URL:            u,
		User:           cmp.Or(c.Username, u.User),
		Warehouse:      cmp.Or(c.Warehouse, u.Warehouse),
		Role:           cmp.Or(c.Role, u.Role),
		LoginTimeout:   firstPositive(c.LoginTimeout, defaultLoginTimeout),
		RequestTimeout: firstPositive(c.RequestTimeout, DefaultRequestTimeout),
	}
	if conn.User == "" {
		return Connection{}, &FieldError{"Username", errors.New("no username (set the username setting or user= in the JDBC URL)")}
	}
	switch {
	case c.PrivateKey.IsSet():
		if conn.Key, err = ParsePrivateKey(c.PrivateKey, c.PrivateKeyPassphrase); err != nil {
			return Connection{}, &FieldError{"PrivateKey", err}
		}
	case c.Password.IsSet():
		conn.Password = c.Password
	default:
		return Connection{}, &FieldError{"Password", errors.New("neither a password nor a private key is set")}
	}
	return conn, nil
}

// DriverConfig builds the gosnowflake configuration: the URL's host, port, protocol, account, database
// and schema, the resolved user, warehouse and role; JWT authentication when Key is set, else the
// password; telemetry off, no keep-alive heartbeat, and bounded login and request timeouts. The result
// holds the secrets; do not log it.
func (c Connection) DriverConfig() *gosnowflake.Config {
	keepAlive := "false"
	cfg := &gosnowflake.Config{
		Account:     c.URL.Account,
		Host:        c.URL.Host,
		Port:        c.URL.Port,
		Protocol:    c.URL.Protocol,
		User:        c.User,
		Warehouse:   c.Warehouse,
		Role:        c.Role,
		Database:    c.URL.Database,
		Schema:      c.URL.Schema,
		Application: "snowsync",
		Params:      map[string]*string{"client_session_keep_alive": &keepAlive},
	}
	// gosnowflake marks the timeouts ("may be reorganized") and DisableTelemetry deprecated with no
	// replacement yet: they remain its only way to set these.
	//lint:ignore SA1019 see above
	cfg.LoginTimeout, cfg.RequestTimeout, cfg.ClientTimeout, cfg.DisableTelemetry = c.LoginTimeout, c.RequestTimeout, clientTimeout, true
	if c.Key != nil {
		cfg.Authenticator = gosnowflake.AuthTypeJwt
		cfg.PrivateKey = c.Key
	} else {
		cfg.Authenticator = gosnowflake.AuthTypeSnowflake
		cfg.Password = c.Password.Reveal()
	}
	return cfg
}

// Open checks c and opens it (see Connection.Open).
func Open(c ConnConfig) (*sql.DB, error) {
	conn, err := c.Check()
	if err != nil {
		return nil, fmt.Errorf("snowflake connection: %w", err)
	}
	return conn.Open(), nil
}

// Open returns a connection pool to Snowflake built with gosnowflake.NewConnector (no DSN string, so no
// password in a string that could be logged). It does not connect: the first query logs in, and its
// error tells IsSystemic whether Snowflake refused the login.
func (c Connection) Open() *sql.DB {
	// The driver logs every failed statement as unstructured text on stderr; snowsync reports errors
	// itself (structured, per task), and an expected 002003 is not an error there. Only fatal remains.
	_ = gosnowflake.GetLogger().SetLogLevel("fatal")
	db := sql.OpenDB(gosnowflake.NewConnector(gosnowflake.SnowflakeDriver{}, *c.DriverConfig()))
	db.SetMaxIdleConns(maxIdleConns)
	db.SetConnMaxLifetime(connMaxLifetime)
	return db
}

func firstPositive(a, b time.Duration) time.Duration {
	if a > 0 {
		return a
	}
	return b
}

// Warm opens n sessions of db at once (each logs in) and returns them to the pool, where up to 16 stay
// idle, so that the next n concurrent statements find a session instead of waiting for a login.
func Warm(ctx context.Context, db *sql.DB, n int) error {
	conns := make([]*sql.Conn, n)
	g := new(errgroup.Group)
	for i := range conns {
		guard.Go(g, func() (err error) {
			conns[i], err = db.Conn(ctx)
			return err
		})
	}
	err := g.Wait()
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
	return err
}
