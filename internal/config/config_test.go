package config

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/snowsync/snowsync/internal/engine"
)

// valid is a complete, minimal local configuration.
func valid() map[string]string {
	return map[string]string{
		"FUNCTIONS_CUSTOMHANDLER_PORT":                               "7071",
		"CONNECTOR_ON_DEMAND_V2_AZURE_CONNECTION_STRING":             "Endpoint=sb://example/;SharedAccessKeyName=k;SharedAccessKey=c2VjcmV0",
		"CONNECTOR_ON_DEMAND_V2_AZURE_EVENT_HUB_NAME":                "sync-requests",
		"CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_CONNECTION_STRING": "Endpoint=sb://example/;SharedAccessKeyName=k;SharedAccessKey=c2VjcmV0",
		"CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_NAME":              "sync-failures",
		"AzureWebJobsStorage":                                        "UseDevelopmentStorage=true",
		"CONNECTOR_SNOWFLAKE_JDBC_URL":                               "jdbc:snowflake://acme.snowflakecomputing.com/?warehouse=WH&role=SYNC",
		"CONNECTOR_SNOWFLAKE_JDBC_USERNAME":                          "SNOWSYNC",
		"CONNECTOR_SNOWFLAKE_JDBC_PASSWORD":                          "pa55word-do-not-print",
		"CONNECTOR_POLICY_FILE":                                      "testdata/policies.json",
	}
}

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(valid()))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"port", c.Port, 7071},
		{"enabled", c.Enabled, true},
		{"connector", c.Connector, "snowflake"},
		{"consumer group", c.EventHub.ConsumerGroup, "$Default"},
		{"batch size", c.EventHub.BatchSize, 50},
		{"batch timeout", c.EventHub.BatchTimeout, 5 * time.Second},
		{"queue threshold", c.QueueThreshold, 100},
		{"invocation limit", c.MaxInvocationBytes, int64(400 << 20)},
		{"resources limit", c.MaxResources, 5000},
		{"reconcile schedule", c.ReconcileSchedule, "0 */5 * * * *"},
		{"load mode", c.Engine.LoadMode, engine.LoadConcurrent},
		{"load threads", c.Engine.LoadThreads, 8},
		{"apply threads", c.ApplyThreads, 16},
		{"query timeout", c.Snowflake.RequestTimeout, time.Minute},
		{"audit table", c.Audit.Table, "OnDemandSyncTasks"},
		{"body table", c.Audit.BodyTable, "OnDemandSyncBodies"},
		{"failure message limit", c.FailureHub.MaxOriginal, 768 << 10},
		{"audit from", c.Audit.Setting, "AzureWebJobsStorage"},
		{"entity prefix", c.Mapping.EntityPrefix, "PRIV_"},
		{"user prefix", c.Mapping.UserPrefix, "PRIV_USER_"},
		{"engine mapping", c.Engine.Mapping, c.Mapping},
		{"create missing", c.Engine.CreateMissingRoles, true},
		{"grant updates", !c.DryRun, true},
		{"refresh", c.Policy.Refresh, time.Minute},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestLoadErrorsNameTheSetting(t *testing.T) {
	tests := []struct {
		name    string
		change  map[string]string // "" value deletes the key
		setting string            // the setting the error must name
	}{
		{"port unset", map[string]string{"FUNCTIONS_CUSTOMHANDLER_PORT": ""}, "FUNCTIONS_CUSTOMHANDLER_PORT"},
		{"port blank", map[string]string{"FUNCTIONS_CUSTOMHANDLER_PORT": " "}, "FUNCTIONS_CUSTOMHANDLER_PORT"},
		{"port not a number", map[string]string{"FUNCTIONS_CUSTOMHANDLER_PORT": "http"}, "FUNCTIONS_CUSTOMHANDLER_PORT"},
		{"port out of range", map[string]string{"FUNCTIONS_CUSTOMHANDLER_PORT": "70000"}, "FUNCTIONS_CUSTOMHANDLER_PORT"},
		{"bad bool", map[string]string{"CONNECTOR_SNOWFLAKE_GRANT_UPDATES": "maybe"}, "CONNECTOR_SNOWFLAKE_GRANT_UPDATES"},
		{"bad load mode", map[string]string{"CONNECTOR_SNOWFLAKE_LOAD_RESOURCES_KEY": "fast"}, "CONNECTOR_SNOWFLAKE_LOAD_RESOURCES_KEY"},
		{"batch size zero", map[string]string{"CONNECTOR_ON_DEMAND_V2_BATCH_SIZE": "0"}, "CONNECTOR_ON_DEMAND_V2_BATCH_SIZE"},
		{"hub name missing", map[string]string{"CONNECTOR_ON_DEMAND_V2_AZURE_EVENT_HUB_NAME": ""}, "CONNECTOR_ON_DEMAND_V2_AZURE_EVENT_HUB_NAME"},
		{"hub connection missing", map[string]string{"CONNECTOR_ON_DEMAND_V2_AZURE_CONNECTION_STRING": ""}, "CONNECTOR_ON_DEMAND_V2_AZURE_CONNECTION_STRING"},
		{"failure hub name missing", map[string]string{"CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_NAME": ""}, "CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_NAME"},
		{"no audit storage", map[string]string{"AzureWebJobsStorage": ""}, "CONNECTOR_ON_DEMAND_V2_AUDIT_STORAGE_CONNECTION"},
		{"bad table name", map[string]string{"CONNECTOR_ON_DEMAND_V2_AUDIT_TABLE_NAME": "on-demand"}, "CONNECTOR_ON_DEMAND_V2_AUDIT_TABLE_NAME"},
		{"bad body table name", map[string]string{"CONNECTOR_ON_DEMAND_V2_AUDIT_BODY_TABLE_NAME": "x"}, "CONNECTOR_ON_DEMAND_V2_AUDIT_BODY_TABLE_NAME"},
		{"body table is the audit table", map[string]string{"CONNECTOR_ON_DEMAND_V2_AUDIT_BODY_TABLE_NAME": "ondemandsynctasks"}, "CONNECTOR_ON_DEMAND_V2_AUDIT_BODY_TABLE_NAME"},
		{"failure message limit too large", map[string]string{"CONNECTOR_ON_DEMAND_V2_FAILURE_MESSAGE_MAX_BYTES": "1048576"}, "CONNECTOR_ON_DEMAND_V2_FAILURE_MESSAGE_MAX_BYTES"},
		{"invocation limit too small", map[string]string{"CONNECTOR_ON_DEMAND_V2_MAX_INVOCATION_BYTES": "1000"}, "CONNECTOR_ON_DEMAND_V2_MAX_INVOCATION_BYTES"},
		{"no jdbc url", map[string]string{"CONNECTOR_SNOWFLAKE_JDBC_URL": ""}, "CONNECTOR_SNOWFLAKE_JDBC_URL"},
		{"jdbc url not snowflake", map[string]string{"CONNECTOR_SNOWFLAKE_JDBC_URL": "jdbc:postgresql://x"}, "CONNECTOR_SNOWFLAKE_JDBC_URL"},
		{"credential in the jdbc url", map[string]string{"CONNECTOR_SNOWFLAKE_JDBC_URL": "jdbc:snowflake://acme.snowflakecomputing.com/?password=pa55word-do-not-print"},
			"CONNECTOR_SNOWFLAKE_JDBC_URL"},
		{"private key not a key", map[string]string{"CONNECTOR_SNOWFLAKE_JDBC_PASSWORD": "", "CONNECTOR_SNOWFLAKE_PRIVATE_KEY": "c2VjcmV0"}, "CONNECTOR_SNOWFLAKE_PRIVATE_KEY"},
		{"no user", map[string]string{"CONNECTOR_SNOWFLAKE_JDBC_USERNAME": ""}, "CONNECTOR_SNOWFLAKE_JDBC_USERNAME"},
		{"no credential", map[string]string{"CONNECTOR_SNOWFLAKE_JDBC_PASSWORD": ""}, "CONNECTOR_SNOWFLAKE_JDBC_PASSWORD"},
		{"two credentials", map[string]string{"CONNECTOR_SNOWFLAKE_PRIVATE_KEY": "-----BEGIN PRIVATE KEY-----"}, "CONNECTOR_SNOWFLAKE_PRIVATE_KEY"},
		{"no policies", map[string]string{"CONNECTOR_POLICY_FILE": ""}, "CONNECTOR_POLICY_FILE"},
		{"policy over http", map[string]string{"CONNECTOR_POLICY_FILE": "http://example/p.json"}, "CONNECTOR_POLICY_FILE"},
		{"ranger URL with credentials, not http", map[string]string{"CONNECTOR_POLICY_FILE": "", "CONNECTOR_RANGER_ADMIN_URL": "ftp://admin:pa55word-do-not-print@ranger",
			"CONNECTOR_RANGER_SERVICE_NAME": "s"}, "CONNECTOR_RANGER_ADMIN_URL"},
		{"ranger without service", map[string]string{"CONNECTOR_POLICY_FILE": "", "CONNECTOR_RANGER_ADMIN_URL": "https://ranger:6182"}, "CONNECTOR_RANGER_SERVICE_NAME"},
		{"refresh zero", map[string]string{"CONNECTOR_POLICY_REFRESH_INTERVAL_SEC": "0"}, "CONNECTOR_POLICY_REFRESH_INTERVAL_SEC"},
		{"five-field cron", map[string]string{"CONNECTOR_ON_DEMAND_V2_RECONCILE_SCHEDULE": "*/5 * * * *"}, "CONNECTOR_ON_DEMAND_V2_RECONCILE_SCHEDULE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := valid()
			for k, v := range tt.change {
				if v == "" {
					delete(m, k)
				} else {
					m[k] = v
				}
			}
			_, err := Load(env(m))
			if err == nil {
				t.Fatal("Load succeeded; want an error")
			}
			if !strings.Contains(err.Error(), "setting "+tt.setting) {
				t.Errorf("error %q does not name %s", err, tt.setting)
			}
			for _, s := range []string{"pa55word-do-not-print", "c2VjcmV0", "BEGIN PRIVATE KEY"} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q echoes a secret", err)
				}
			}
		})
	}
}

// Disabled hubs need no connection; their names stay required, since function.json refers to them.
func TestDisabledHubsNeedNoConnection(t *testing.T) {
	m := valid()
	for _, k := range []string{"CONNECTOR_ON_DEMAND_V2_AZURE_CONNECTION_STRING", "CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_CONNECTION_STRING"} {
		delete(m, k)
	}
	m["CONNECTOR_ON_DEMAND_V2_AZURE_EVENT_HUB_ENABLED"] = "false"
	m["CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_ENABLED"] = "FALSE"
	c, err := Load(env(m))
	if err != nil {
		t.Fatal(err)
	}
	if c.EventHub.Enabled || c.FailureHub.Enabled {
		t.Errorf("hubs enabled: %+v %+v", c.EventHub, c.FailureHub)
	}
}

func TestAuditConnectionPrecedence(t *testing.T) {
	tests := []struct {
		set         map[string]string
		wantSetting string
		wantURL     string
	}{
		{map[string]string{"CONNECTOR_ON_DEMAND_V2_AUDIT_STORAGE_CONNECTION": "UseDevelopmentStorage=true"}, "CONNECTOR_ON_DEMAND_V2_AUDIT_STORAGE_CONNECTION", ""},
		{map[string]string{"CONNECTOR_ON_DEMAND_V2_AUDIT_STORAGE_CONNECTION__tableServiceUri": "https://acct.table.core.windows.net"},
			"CONNECTOR_ON_DEMAND_V2_AUDIT_STORAGE_CONNECTION__tableServiceUri", "https://acct.table.core.windows.net"},
		{map[string]string{"AzureWebJobsStorage__accountName": "acct"}, "AzureWebJobsStorage__accountName", "https://acct.table.core.windows.net"},
	}
	for _, tt := range tests {
		t.Run(tt.wantSetting, func(t *testing.T) {
			m := valid()
			delete(m, "AzureWebJobsStorage")
			for k, v := range tt.set {
				m[k] = v
			}
			m["AzureWebJobsStorage__tableServiceUri"] = "https://ignored.example"
			if strings.HasPrefix(tt.wantSetting, "AzureWebJobsStorage") {
				delete(m, "AzureWebJobsStorage__tableServiceUri")
			}
			c, err := Load(env(m))
			if err != nil {
				t.Fatal(err)
			}
			if c.Audit.Setting != tt.wantSetting || c.Audit.ServiceURL != tt.wantURL {
				t.Errorf("audit = %+v, want from %s with URL %q", c.Audit, tt.wantSetting, tt.wantURL)
			}
		})
	}
}

// The Snowflake connection is checked once, by config: its JDBC URL parsed, its key decoded, the
// setting's warehouse and role over the URL's, and the engine told whether a warehouse is set.
func TestLoadChecksTheSnowflakeConnection(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	m := valid()
	delete(m, "CONNECTOR_SNOWFLAKE_JDBC_PASSWORD")
	m["CONNECTOR_SNOWFLAKE_PRIVATE_KEY"] = string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	m["CONNECTOR_SNOWFLAKE_ROLE_TO_USE"] = "OTHER"
	c, err := Load(env(m))
	if err != nil {
		t.Fatal(err)
	}
	s := c.Snowflake
	if s.URL.Account != "acme" || s.User != "SNOWSYNC" || s.Warehouse != "WH" || s.Role != "OTHER" || s.Key == nil || !s.Key.Equal(key) {
		t.Errorf("connection = %+v", s)
	}
	if !c.Engine.DataPolicy.References || c.Engine.Retry.Timeout != time.Minute {
		t.Errorf("engine data policy %+v, retry %+v; want references (the URL names a warehouse), a minute", c.Engine.DataPolicy, c.Engine.Retry)
	}
	m["CONNECTOR_SNOWFLAKE_JDBC_URL"] = "jdbc:snowflake://acme.snowflakecomputing.com/"
	if c, err = Load(env(m)); err != nil || c.Engine.DataPolicy.References {
		t.Errorf("without a warehouse: references %v, %v; want false", c.Engine.DataPolicy.References, err)
	}
}

// A section loaded alone reads only its settings, and gives what Load gives.
func TestSectionsLoadAlone(t *testing.T) {
	full, err := Load(env(valid()))
	if err != nil {
		t.Fatal(err)
	}
	only := func(prefixes ...string) func(string) (string, bool) {
		return func(k string) (string, bool) {
			for _, p := range prefixes {
				if strings.HasPrefix(k, p) {
					v, ok := valid()[k]
					return v, ok
				}
			}
			return "", false
		}
	}
	sync, err := LoadSync(only("CONNECTOR_SNOWFLAKE_", "CONNECTOR_POLICY_", "CONNECTOR_RANGER_"))
	if err != nil || !reflect.DeepEqual(sync, full.Sync) {
		t.Errorf("LoadSync = %+v, %v; want %+v", sync, err, full.Sync)
	}
	audit, err := LoadAudit(only("AzureWebJobsStorage", "CONNECTOR_ON_DEMAND_V2_AUDIT_"))
	if err != nil || audit != full.Audit {
		t.Errorf("LoadAudit = %+v, %v; want %+v", audit, err, full.Audit)
	}
	hubs, err := LoadHubs(only("CONNECTOR_ON_DEMAND_V2_AZURE_", "CONNECTOR_ON_DEMAND_V2_BATCH_", "CONNECTOR_ON_DEMAND_V2_FAILURE_"))
	if err != nil || hubs != full.Hubs {
		t.Errorf("LoadHubs = %+v, %v; want %+v", hubs, err, full.Hubs)
	}
	if _, err := LoadHubs(env(nil)); err != nil {
		t.Errorf("LoadHubs requires a hub setting: %v", err)
	}
	_, err = LoadSync(env(map[string]string{"CONNECTOR_SNOWFLAKE_LOAD_THREADS": "0"}))
	for _, name := range []string{"CONNECTOR_SNOWFLAKE_JDBC_URL", "CONNECTOR_POLICY_FILE", "CONNECTOR_SNOWFLAKE_LOAD_THREADS"} {
		if err == nil || !strings.Contains(err.Error(), "setting "+name) {
			t.Errorf("LoadSync of nothing: error %v does not name %s", err, name)
		}
	}
	if err != nil && strings.Contains(err.Error(), "AUDIT") {
		t.Errorf("LoadSync names an audit setting: %v", err)
	}
}

func TestNamesListsEverySettingOnce(t *testing.T) {
	names := Names()
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			t.Errorf("%s read twice", n)
		}
		seen[n] = true
	}
	for _, n := range []string{"CONNECTOR_SNOWFLAKE_ON_DEMAND_V2_ENABLED", "CONNECTOR_RANGER_PASSWORD", "AzureWebJobsStorage__tableServiceUri",
		"CONNECTOR_ON_DEMAND_V2_QUEUE_THRESHOLD", "CONNECTOR_SNOWFLAKE_IGNORE_TABLE_LIST"} {
		if !slices.Contains(names, n) {
			t.Errorf("Names() lacks %s", n)
		}
	}
}

func ExampleLoad() {
	settings := map[string]string{
		"FUNCTIONS_CUSTOMHANDLER_PORT":      "7071",
		"CONNECTOR_SNOWFLAKE_JDBC_URL":      "jdbc:snowflake://acme.snowflakecomputing.com/",
		"CONNECTOR_SNOWFLAKE_JDBC_USERNAME": "SNOWSYNC",
		"CONNECTOR_SNOWFLAKE_JDBC_PASSWORD": "example-only",
		"CONNECTOR_POLICY_FILE":             "policies.json",
		"AzureWebJobsStorage":               "UseDevelopmentStorage=true",
		"CONNECTOR_ON_DEMAND_V2_BATCH_SIZE": "500000",
	}
	_, err := Load(func(k string) (string, bool) { v, ok := settings[k]; return v, ok })
	fmt.Println(err)
	// Output:
	// setting CONNECTOR_ON_DEMAND_V2_BATCH_SIZE: 500000 is out of range [1, 1000]
	// setting CONNECTOR_ON_DEMAND_V2_AZURE_EVENT_HUB_NAME: is required (function.json's trigger names it)
	// setting CONNECTOR_ON_DEMAND_V2_AZURE_CONNECTION_STRING: is required (or its __fullyQualifiedNamespace form) when the event hub trigger is enabled
	// setting CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_NAME: is required (function.json's failures binding names it)
	// setting CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_CONNECTION_STRING: is required (or its __fullyQualifiedNamespace form) when the failure hub is enabled
}
