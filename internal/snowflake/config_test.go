package snowflake

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/snowflakedb/gosnowflake"
	"github.com/snowsync/snowsync/internal/secret"
)

func TestParseJDBCURL(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want JDBCURL
	}{
		{"jdbc:snowflake://xy12345.snowflakecomputing.com/?warehouse=COMPUTE_WH&role=SYNC_ROLE&db=SALES",
			JDBCURL{Account: "xy12345", Host: "xy12345.snowflakecomputing.com", Port: 443, Protocol: "https",
				Warehouse: "COMPUTE_WH", Role: "SYNC_ROLE", Database: "SALES"}},
		{"jdbc:snowflake://myorg-myaccount.snowflakecomputing.com?user=SYNC&schema=PUBLIC&DATABASE=D&tracing=ALL&CLIENT_SESSION_KEEP_ALIVE=true",
			JDBCURL{Account: "myorg-myaccount", Host: "myorg-myaccount.snowflakecomputing.com", Port: 443, Protocol: "https",
				User: "SYNC", Database: "D", Schema: "PUBLIC"}},
		{"JDBC:SNOWFLAKE://xy12345.east-us-2.azure.snowflakecomputing.com:443/?Warehouse=WH",
			JDBCURL{Account: "xy12345", Host: "xy12345.east-us-2.azure.snowflakecomputing.com", Port: 443, Protocol: "https", Warehouse: "WH"}},
		{"jdbc:snowflake://xy12345.us-east-1.privatelink.snowflakecomputing.com/?account=xy12345&role=R%20X",
			JDBCURL{Account: "xy12345", Host: "xy12345.us-east-1.privatelink.snowflakecomputing.com", Port: 443, Protocol: "https", Role: "R X"}},
		{"jdbc:snowflake://127.0.0.1:8089/?account=emu&ssl=off&warehouse=WH",
			JDBCURL{Account: "emu", Host: "127.0.0.1", Port: 8089, Protocol: "http", Warehouse: "WH"}},
		{"jdbc:snowflake://localhost:8089?ssl=false",
			JDBCURL{Account: "localhost", Host: "localhost", Port: 8089, Protocol: "http"}},
		{"  jdbc:snowflake://emulator.local/?ssl=off  ",
			JDBCURL{Account: "emulator", Host: "emulator.local", Port: 80, Protocol: "http"}},
	} {
		t.Run(tc.raw, func(t *testing.T) {
			got, err := ParseJDBCURL(tc.raw)
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseJDBCURL = %+v, %v\nwant %+v", got, err, tc.want)
			}
		})
	}
}

func TestParseJDBCURLErrors(t *testing.T) {
	const pw = "s3cr3t-Value"
	for _, raw := range []string{
		"",
		"snowflake://x.snowflakecomputing.com",
		"jdbc:postgresql://x/db",
		"jdbc:snowflake://",
		"jdbc:snowflake://x.snowflakecomputing.com/SALES",
		"jdbc:snowflake://127.0.0.1:8080/?ssl=off",
		"jdbc:snowflake://x.snowflakecomputing.com/?ssl=maybe",
		"jdbc:snowflake://x.snowflakecomputing.com:99999/",
		"jdbc:snowflake://x.snowflakecomputing.com/?role=A&ROLE=B",
		"jdbc:snowflake://x.snowflakecomputing.com/?password=" + pw,
		"jdbc:snowflake://x.snowflakecomputing.com/?private_key_file_pwd=" + pw,
		"jdbc:snowflake://user:" + pw + "@x.snowflakecomputing.com/",
		"jdbc:snowflake://x.snowflakecomputing.com:" + pw + "/",
		"jdbc:snowflake://x.snowflakecomputing.com/" + pw + "?role=SYNC",             // a token pasted into the path
		"jdbc:snowflake://x.snowflakecomputing.com/;password=" + pw,                  // a JDBC-style property in the path
		"jdbc:snowflake://x.snowflakecomputing.com/?token=%zz" + pw,                  // a bad escape next to a credential
		"jdbc:snowflake://x.snowflakecomputing.com/?warehouse=W;authenticator=" + pw, // a semicolon in the query
	} {
		t.Run(raw, func(t *testing.T) {
			_, err := ParseJDBCURL(raw)
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), pw) {
				t.Errorf("error shows the secret: %v", err)
			}
		})
	}
}

// pemKey encodes der as PEM with the given block type.
func pemKey(typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

func TestParsePrivateKey(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := x509.MarshalPKCS1PrivateKey(key)
	pem8 := pemKey("PRIVATE KEY", pkcs8)
	//lint:ignore SA1019 legacy PEM encryption is the format the stdlib can decrypt, so it is the one to test
	encBlock, err := x509.EncryptPEMBlock(rand.Reader, "RSA PRIVATE KEY", pkcs1, []byte("pass phrase"), x509.PEMCipherAES256) //nolint:staticcheck
	if err != nil {
		t.Fatal(err)
	}
	encrypted := string(pem.EncodeToMemory(encBlock))
	b64 := base64.StdEncoding.EncodeToString

	for _, tc := range []struct {
		name, key, passphrase string
	}{
		{"PKCS#8 PEM", pem8, ""},
		{"PKCS#1 PEM", pemKey("RSA PRIVATE KEY", pkcs1), ""},
		{"PEM with literal \\n", strings.ReplaceAll(pem8, "\n", `\n`), ""},
		{"PEM with surrounding blanks", "\n  " + pem8 + "\n", ""},
		{"base64 of PEM", b64([]byte(pem8)), ""},
		{"base64 of PEM, wrapped", wrap(b64([]byte(pem8)), 76), ""},
		{"base64 of PKCS#8 DER", b64(pkcs8), ""},
		{"base64 of PKCS#1 DER", b64(pkcs1), ""},
		{"legacy encrypted PEM", encrypted, "pass phrase"},
		{"unneeded passphrase", pem8, "ignored"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePrivateKey(secret.String(tc.key), secret.String(tc.passphrase))
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(key) {
				t.Error("parsed a different key")
			}
		})
	}

	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ec8, err := x509.MarshalPKCS8PrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, key, passphrase string
		encrypted             bool
	}{
		{"empty", "", "", false},
		{"garbage", "not a key at all!", "", false},
		{"base64 of garbage", b64([]byte("garbage")), "", false},
		{"EC key", pemKey("PRIVATE KEY", ec8), "", false},
		{"certificate block", pemKey("CERTIFICATE", []byte{1, 2, 3}), "", false},
		{"truncated PEM", pem8[:len(pem8)/2], "", false},
		{"encrypted PKCS#8", pemKey("ENCRYPTED PRIVATE KEY", []byte{1, 2, 3}), "pw", true},
		{"encrypted PEM without passphrase", encrypted, "", true},
		{"encrypted PEM, wrong passphrase", encrypted, "wrong", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePrivateKey(secret.String(tc.key), secret.String(tc.passphrase))
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, ErrEncryptedKey) != tc.encrypted {
				t.Errorf("errors.Is(%v, ErrEncryptedKey) = %v; want %v", err, !tc.encrypted, tc.encrypted)
			}
			if tc.key != "" && strings.Contains(err.Error(), tc.key[:min(len(tc.key), 40)]) {
				t.Errorf("error shows key material: %v", err)
			}
		})
	}
}

func wrap(s string, n int) string {
	var b strings.Builder
	for len(s) > n {
		b.WriteString(s[:n] + "\n")
		s = s[n:]
	}
	b.WriteString(s)
	return b.String()
}

func TestDriverConfig(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	const pw = "hunter2-password"
	base := ConnConfig{
		JDBCURL:  "jdbc:snowflake://xy12345.snowflakecomputing.com/?warehouse=URL_WH&role=URL_ROLE&user=URL_USER&db=SALES",
		Password: pw,
	}

	t.Run("password, URL values", func(t *testing.T) {
		conn, err := base.Check()
		if err != nil {
			t.Fatal(err)
		}
		cfg := conn.DriverConfig()
		if cfg.Account != "xy12345" || cfg.Host != "xy12345.snowflakecomputing.com" || cfg.Port != 443 ||
			cfg.Protocol != "https" || cfg.User != "URL_USER" || cfg.Warehouse != "URL_WH" || cfg.Role != "URL_ROLE" ||
			cfg.Database != "SALES" || cfg.Password != pw || cfg.Authenticator != gosnowflake.AuthTypeSnowflake {
			t.Errorf("config = %+v", cfg)
		}
		telemetryOff, login, request := deprecatedSettings(cfg)
		if !telemetryOff || *cfg.Params["client_session_keep_alive"] != "false" ||
			login != defaultLoginTimeout || request != DefaultRequestTimeout {
			t.Errorf("defaults not applied: %+v", cfg)
		}
	})
	t.Run("key pair and overrides", func(t *testing.T) {
		c := base
		c.Username, c.Warehouse, c.Role = "SYNC", "WH", "SYNC_ROLE"
		c.PrivateKey = secret.String(pemKey("PRIVATE KEY", der))
		c.LoginTimeout = 5 * time.Second
		conn, err := c.Check()
		if err != nil {
			t.Fatal(err)
		}
		cfg := conn.DriverConfig()
		_, login, _ := deprecatedSettings(cfg)
		if cfg.Authenticator != gosnowflake.AuthTypeJwt || !cfg.PrivateKey.Equal(key) || cfg.Password != "" ||
			cfg.User != "SYNC" || cfg.Warehouse != "WH" || cfg.Role != "SYNC_ROLE" || login != 5*time.Second {
			t.Errorf("config = %+v", cfg)
		}
	})
	for _, tc := range []struct {
		name  string
		c     ConnConfig
		field string // the FieldError's field
	}{
		{"no credentials", ConnConfig{JDBCURL: base.JDBCURL}, "Password"},
		{"no user", ConnConfig{JDBCURL: "jdbc:snowflake://a.snowflakecomputing.com", Password: pw}, "Username"},
		{"bad key", ConnConfig{JDBCURL: base.JDBCURL, PrivateKey: pw}, "PrivateKey"},
		{"bad URL", ConnConfig{JDBCURL: "jdbc:snowflake://a.snowflakecomputing.com/?password=" + pw, Password: pw}, "JDBCURL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.c.Check()
			if err == nil {
				t.Fatal("no error")
			}
			if fe := (*FieldError)(nil); !errors.As(err, &fe) || fe.Field != tc.field {
				t.Errorf("error %v names field %v, want %s", err, fe, tc.field)
			}
			if _, openErr := Open(tc.c); openErr == nil {
				t.Error("Open: no error")
			}
			if strings.Contains(err.Error(), pw) {
				t.Errorf("secret shown: %v", err)
			}
		})
	}
	c := ConnConfig{Password: pw, PrivateKey: pw, PrivateKeyPassphrase: pw}
	if s := fmt.Sprintf("%v %+v %#v", c, c, c); strings.Contains(s, pw) {
		t.Errorf("formatting a ConnConfig shows a secret: %s", s)
	}
	for _, k := range []ConnConfig{base, {JDBCURL: base.JDBCURL, Username: "SYNC", PrivateKey: secret.String(pemKey("PRIVATE KEY", der))}} {
		conn, err := k.Check()
		if err != nil {
			t.Fatal(err)
		}
		if s := fmt.Sprintf("%v %+v %#v", conn, conn, conn); strings.Contains(s, pw) || strings.Contains(s, key.D.String()) {
			t.Errorf("formatting a Connection shows a secret: %s", s)
		}
	}
}

// FuzzParseJDBCURL checks that ParseJDBCURL never panics, that what it accepts has a host and an
// account, and that its errors never show the URL's path or query, where credentials end up.
func FuzzParseJDBCURL(f *testing.F) {
	for _, seed := range []string{
		"jdbc:snowflake://xy12345.snowflakecomputing.com/?warehouse=COMPUTE_WH&role=SYNC_ROLE&db=SALES",
		"jdbc:snowflake://127.0.0.1:8085/?account=emulator&ssl=off",
		"jdbc:snowflake://x.snowflakecomputing.com/SECRET-1234?role=R",
		"jdbc:snowflake://x.snowflakecomputing.com/?token=%zzSECRET-1234",
		"jdbc:snowflake://user:SECRET-1234@x/",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := ParseJDBCURL(raw)
		if err == nil {
			if u.Host == "" || u.Account == "" {
				t.Errorf("accepted %q without a host or account: %+v", raw, u)
			}
			return
		}
		if strings.Contains(raw, "SECRET-1234") && strings.Contains(err.Error(), "SECRET-1234") {
			t.Errorf("error shows part of the URL: %v", err)
		}
	})
}

// deprecatedSettings returns the driver settings that gosnowflake marks deprecated with no replacement
// yet (see DriverConfig).
func deprecatedSettings(cfg *gosnowflake.Config) (telemetryOff bool, login, request time.Duration) {
	//lint:ignore SA1019 no replacement in gosnowflake yet
	return cfg.DisableTelemetry, cfg.LoginTimeout, cfg.RequestTimeout
}
