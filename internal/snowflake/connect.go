package snowflake

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/snowflakedb/gosnowflake"
	"golang.org/x/sync/errgroup"

	"github.com/snowsync/snowsync/internal/guard"
)

// Connection defaults, chosen to fit inside one Functions invocation: the driver's own defaults (login
// retried for 300 s, query requests retried without limit, 900 s per HTTP round trip) would outlive it.
const (
	defaultLoginTimeout   = 60 * time.Second
	defaultRequestTimeout = 60 * time.Second
	clientTimeout         = 60 * time.Second
	maxIdleConns          = 16
	// connMaxLifetime keeps sessions well inside Snowflake's 4-hour master token validity, so that a
	// pooled connection is replaced before its token can no longer be renewed.
	connMaxLifetime = time.Hour
)

// DriverConfig builds the gosnowflake configuration: the URL's host, port, protocol, account, user,
// warehouse, role, database and schema, overridden by the Username, Warehouse and Role settings; JWT
// authentication when PrivateKey is set, else the password; telemetry off, no keep-alive heartbeat, and
// bounded login and request timeouts. The result holds the secrets; do not log it.
func (c ConnConfig) DriverConfig() (*gosnowflake.Config, error) {
	u, err := ParseJDBCURL(c.JDBCURL)
	if err != nil {
		return nil, err
	}
	keepAlive := "false"
	cfg := &gosnowflake.Config{
		Account:     u.Account,
		Host:        u.Host,
		Port:        u.Port,
		Protocol:    u.Protocol,
		User:        cmp.Or(c.Username, u.User),
		Warehouse:   cmp.Or(c.Warehouse, u.Warehouse),
		Role:        cmp.Or(c.Role, u.Role),
		Database:    u.Database,
		Schema:      u.Schema,
		Application: "snowsync",
		Params:      map[string]*string{"client_session_keep_alive": &keepAlive},
	}
	// gosnowflake marks the timeouts ("may be reorganized") and DisableTelemetry deprecated with no
	// replacement yet: they remain its only way to set these.
	login, request := firstPositive(c.LoginTimeout, defaultLoginTimeout), firstPositive(c.RequestTimeout, defaultRequestTimeout)
	//lint:ignore SA1019 see above
	cfg.LoginTimeout, cfg.RequestTimeout, cfg.ClientTimeout, cfg.DisableTelemetry = login, request, clientTimeout, true
	if cfg.User == "" {
		return nil, errors.New("snowflake connection: no username (set the username setting or user= in the JDBC URL)")
	}
	switch {
	case c.PrivateKey.IsSet():
		key, err := ParsePrivateKey(c.PrivateKey, c.PrivateKeyPassphrase)
		if err != nil {
			return nil, fmt.Errorf("snowflake connection: %w", err)
		}
		cfg.Authenticator = gosnowflake.AuthTypeJwt
		cfg.PrivateKey = key
	case c.Password.IsSet():
		cfg.Authenticator = gosnowflake.AuthTypeSnowflake
		cfg.Password = c.Password.Reveal()
	default:
		return nil, errors.New("snowflake connection: neither a password nor a private key is set")
	}
	return cfg, nil
}

// Open returns a connection pool to Snowflake built from c with gosnowflake.NewConnector (no DSN string,
// so no password in a string that could be logged). It does not connect: the first query logs in, and
// its error tells IsSystemic whether Snowflake refused the login.
func Open(c ConnConfig) (*sql.DB, error) {
	cfg, err := c.DriverConfig()
	if err != nil {
		return nil, err
	}
	// The driver logs every failed statement as unstructured text on stderr; snowsync reports errors
	// itself (structured, per task), and an expected 002003 is not an error there. Only fatal remains.
	_ = gosnowflake.GetLogger().SetLogLevel("fatal")
	db := sql.OpenDB(gosnowflake.NewConnector(gosnowflake.SnowflakeDriver{}, *cfg))
	db.SetMaxIdleConns(maxIdleConns)
	db.SetConnMaxLifetime(connMaxLifetime)
	return db, nil
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
