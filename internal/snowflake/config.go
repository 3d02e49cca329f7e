package snowflake

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/snowsync/snowsync/internal/secret"
)

// ConnConfig holds the Snowflake connection settings as written, in the seed product's terms (DESIGN §5);
// Check turns it into a Connection. Secrets are secret.String, so printing or logging a ConnConfig never
// shows them.
type ConnConfig struct {
	// JDBCURL is CONNECTOR_SNOWFLAKE_JDBC_URL; see ParseJDBCURL.
	JDBCURL string
	// Username is CONNECTOR_SNOWFLAKE_JDBC_USERNAME; when empty, the URL's user= parameter.
	Username string
	// Password is CONNECTOR_SNOWFLAKE_JDBC_PASSWORD, used when PrivateKey is empty.
	Password secret.String
	// PrivateKey is CONNECTOR_SNOWFLAKE_PRIVATE_KEY (see ParsePrivateKey); when set, key-pair (JWT)
	// authentication is used.
	PrivateKey secret.String
	// PrivateKeyPassphrase decrypts an encrypted PrivateKey.
	PrivateKeyPassphrase secret.String
	// Warehouse is CONNECTOR_SNOWFLAKE_WAREHOUSE_TO_USE; it overrides the URL's warehouse=.
	Warehouse string
	// Role is CONNECTOR_SNOWFLAKE_ROLE_TO_USE; it overrides the URL's role=.
	Role string
	// LoginTimeout bounds a login including the driver's retries; 0 means 60 s.
	LoginTimeout time.Duration
	// RequestTimeout bounds one query request including the driver's retries; 0 means
	// DefaultRequestTimeout.
	RequestTimeout time.Duration
}

// JDBCURL is a parsed CONNECTOR_SNOWFLAKE_JDBC_URL.
type JDBCURL struct {
	Account  string // the account= parameter, else the host's first label
	Host     string
	Port     int    // 443 for https and 80 for http unless the URL names one
	Protocol string // "https", or "http" with ssl=off
	// User, Warehouse, Role, Database and Schema are the user=, warehouse=, role=, db= (or database=)
	// and schema= parameters.
	User, Warehouse, Role, Database, Schema string
}

// secretParams are JDBC parameters that would put a credential into the URL, which snowsync refuses:
// the URL appears in configuration listings and error messages.
var secretParams = []string{"password", "passcode", "private_key", "private_key_base64", "private_key_pwd",
	"private_key_file_pwd", "token", "oauthclientsecret"}

// ParseJDBCURL parses a Snowflake JDBC URL: jdbc:snowflake://<host>[:port][/][?<params>], where host is
// <account>[.<region>...].snowflakecomputing.com, or any host:port with ssl=off for a local emulator.
// Parameter names are case-insensitive; warehouse, role, db (or database), schema, user, account and
// ssl (on/off/true/false) are used, others (JDBC-only settings such as tracing) ignored. A parameter
// holding a credential is an error. Errors never contain parameter values.
func ParseJDBCURL(raw string) (JDBCURL, error) {
	const prefix = "jdbc:snowflake://"
	fail := func(format string, args ...any) (JDBCURL, error) {
		return JDBCURL{}, fmt.Errorf("parse JDBC URL: "+format, args...)
	}
	raw = strings.TrimSpace(raw)
	if len(raw) < len(prefix) || !strings.EqualFold(raw[:len(prefix)], prefix) {
		return fail("it must start with %s", prefix)
	}
	u, err := url.Parse("snowflake://" + raw[len(prefix):])
	if err != nil {
		// url's errors quote parts of the URL, which may hold a credential.
		return fail("not of the form %s<host>[:port]/?<params>", prefix)
	}
	if u.User != nil {
		return fail("credentials in the URL's authority are not accepted; use the username and password settings")
	}
	if u.Path != "" && u.Path != "/" {
		// The path is not shown: a URL pasted with a password or token in the wrong place ends up there.
		return fail("unexpected path after the host (the database goes in db=; the path is not shown: it may hold a credential)")
	}
	out := JDBCURL{Host: u.Hostname(), Protocol: "https"}
	if out.Host == "" {
		return fail("no host")
	}
	params := map[string]string{}
	query, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		// ParseQuery's errors quote the offending text, which may be a credential.
		return fail("bad parameters (not shown: they may hold a credential): not of the form key=value&...")
	}
	for k, vs := range query {
		key := strings.ToLower(k)
		if slices.Contains(secretParams, key) {
			return fail("parameter %s holds a credential; use the password or private key setting instead", key)
		}
		if _, dup := params[key]; dup || len(vs) > 1 {
			return fail("parameter %s is given more than once", key)
		}
		params[key] = vs[0]
	}
	take := func(keys ...string) string {
		for _, k := range keys {
			if v, ok := params[k]; ok {
				return v
			}
		}
		return ""
	}
	out.User = take("user")
	out.Warehouse = take("warehouse")
	out.Role = take("role")
	out.Database = take("db", "database")
	out.Schema = take("schema")
	switch ssl := strings.ToLower(take("ssl")); ssl {
	case "", "on", "true":
	case "off", "false":
		out.Protocol = "http"
	default:
		return fail("ssl must be on or off, not %q", ssl)
	}
	out.Account = take("account")
	if out.Account == "" {
		if net.ParseIP(out.Host) != nil {
			return fail("the account= parameter is required when the host is an IP address")
		}
		out.Account, _, _ = strings.Cut(out.Host, ".")
		if out.Account == "" {
			return fail("no account: neither the host's first label nor an account= parameter names one")
		}
	}
	out.Port = 443
	if out.Protocol == "http" {
		out.Port = 80
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return fail("bad port %q", p)
		}
		out.Port = n
	}
	return out, nil
}

// ErrEncryptedKey is wrapped by ParsePrivateKey's error for an encrypted key it cannot decrypt.
var ErrEncryptedKey = errors.New("encrypted private key")

// ParsePrivateKey parses an RSA private key for key-pair authentication given as PEM (PKCS#8 "PRIVATE
// KEY" or PKCS#1 "RSA PRIVATE KEY"; line breaks may be written as literal \n, as Key Vault references
// often deliver them), or as base64 of such a PEM or of the DER bytes. A legacy encrypted PEM
// (Proc-Type: 4,ENCRYPTED) is decrypted with passphrase; an encrypted PKCS#8 key ("ENCRYPTED PRIVATE
// KEY") is not supported by Go's standard library and gives an error saying how to convert it. Errors
// never contain key material.
func ParsePrivateKey(key, passphrase secret.String) (*rsa.PrivateKey, error) {
	text := strings.TrimSpace(strings.ReplaceAll(key.Reveal(), `\n`, "\n"))
	if text == "" {
		return nil, errors.New("parse private key: empty")
	}
	if !strings.HasPrefix(text, "-----BEGIN") {
		der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(text), ""))
		if err != nil {
			return nil, errors.New("parse private key: neither PEM nor base64")
		}
		if !strings.HasPrefix(strings.TrimSpace(string(der)), "-----BEGIN") {
			return parseDER(der)
		}
		text = strings.TrimSpace(string(der))
	}
	block, _ := pem.Decode([]byte(text))
	if block == nil {
		return nil, errors.New("parse private key: malformed PEM")
	}
	der := block.Bytes
	switch {
	case block.Type == "ENCRYPTED PRIVATE KEY":
		return nil, fmt.Errorf("parse private key: %w: encrypted PKCS#8 is not supported; convert it with "+
			"`openssl pkcs8 -topk8 -nocrypt` (and keep it in Key Vault) or use a legacy encrypted PEM "+
			"(`openssl rsa -aes256 -traditional`)", ErrEncryptedKey)
	// Legacy PEM encryption (RFC 1423) is the only one the standard library can decrypt, and keys
	// in this form exist (`openssl rsa -aes256 -traditional`); the key comes from our own settings.
	//lint:ignore SA1019 see above
	case x509.IsEncryptedPEMBlock(block):
		if !passphrase.IsSet() {
			return nil, fmt.Errorf("parse private key: %w: the key is encrypted and no passphrase is set", ErrEncryptedKey)
		}
		var err error
		//lint:ignore SA1019 legacy PEM encryption: see the case above
		der, err = x509.DecryptPEMBlock(block, []byte(passphrase.Reveal()))
		if err != nil {
			return nil, fmt.Errorf("parse private key: %w: wrong passphrase or damaged key", ErrEncryptedKey)
		}
	case block.Type != "PRIVATE KEY" && block.Type != "RSA PRIVATE KEY":
		return nil, fmt.Errorf("parse private key: unexpected PEM block %q", block.Type)
	}
	return parseDER(der)
}

// parseDER parses PKCS#8 or PKCS#1 DER and requires an RSA key (Snowflake key-pair auth is RSA only).
func parseDER(der []byte) (*rsa.PrivateKey, error) {
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, errors.New("parse private key: not a PKCS#8 or PKCS#1 private key")
	}
	rsaKey, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("parse private key: a %T key; Snowflake key-pair authentication needs RSA", k)
	}
	return rsaKey, nil
}
