package main

import (
	"strings"
	"testing"

	"github.com/snowsync/snowsync/internal/publish"
)

func TestLoadConfig(t *testing.T) {
	audit := env{"CONNECTOR_ON_DEMAND_V2_AUDIT_STORAGE_CONNECTION": "UseDevelopmentStorage=true", "CONNECTOR_ON_DEMAND_V2_AUDIT_TABLE_NAME": "Tasks"}
	snowflake := env{
		"CONNECTOR_SNOWFLAKE_JDBC_URL":      "jdbc:snowflake://127.0.0.1:8080/?account=emulator&ssl=off",
		"CONNECTOR_SNOWFLAKE_JDBC_USERNAME": "admin",
		"CONNECTOR_SNOWFLAKE_JDBC_PASSWORD": "admin",
		"CONNECTOR_POLICY_FILE":             "policies.json",
	}
	broken := env{
		"CONNECTOR_SNOWFLAKE_JDBC_URL":                   "https://not-jdbc",
		"CONNECTOR_SNOWFLAKE_PRIVATE_KEY":                "also set",
		"CONNECTOR_SNOWFLAKE_JDBC_PASSWORD":              "set",
		"CONNECTOR_RANGER_ADMIN_URL":                     "ftp://ranger",
		"CONNECTOR_ON_DEMAND_V2_AUDIT_TABLE_NAME":        "no-dashes",
		"FUNCTIONS_CUSTOMHANDLER_PORT":                   "not a port",
		"CONNECTOR_ON_DEMAND_V2_AZURE_EVENT_HUB_ENABLED": "true", // without a hub name
	}
	tests := []struct {
		name    string
		env     env
		need    need
		wantErr []string // settings the error must name; none means success
	}{
		{"nothing needed, nothing set", env{}, 0, nil},
		{"nothing needed, unrelated settings broken", broken, 0, nil},
		{"audit with broken Snowflake and policy settings", merge(broken, audit), needAudit, nil},
		{"audit missing", env{}, needAudit, []string{"CONNECTOR_ON_DEMAND_V2_AUDIT_STORAGE_CONNECTION"}},
		{"snowflake with broken audit settings and two policy sources", merge(broken, snowflake, env{"CONNECTOR_SNOWFLAKE_PRIVATE_KEY": ""}),
			needSnowflake, []string{"CONNECTOR_POLICY_FILE"}},
		{"snowflake complete", merge(audit, snowflake), needSnowflake, nil},
		{"snowflake missing", env{}, needSnowflake, []string{"CONNECTOR_SNOWFLAKE_JDBC_URL", "CONNECTOR_SNOWFLAKE_JDBC_USERNAME",
			"CONNECTOR_SNOWFLAKE_JDBC_PASSWORD", "CONNECTOR_POLICY_FILE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := loadConfig(tt.env.getenv, tt.need)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("loadConfig: %v", err)
				}
				if tt.need&needAudit != 0 && cfg.Audit.Table != "Tasks" {
					t.Errorf("audit table %q, want the configured Tasks", cfg.Audit.Table)
				}
				if tt.need&needSnowflake != 0 && cfg.Snowflake.JDBCURL != snowflake["CONNECTOR_SNOWFLAKE_JDBC_URL"] {
					t.Errorf("JDBC URL %q, want the configured one", cfg.Snowflake.JDBCURL)
				}
				return
			}
			if err == nil {
				t.Fatal("loadConfig succeeded, want an error")
			}
			for _, name := range tt.wantErr {
				if !strings.Contains(err.Error(), "setting "+name) {
					t.Errorf("error %q does not name setting %s", err, name)
				}
			}
			for _, unrelated := range []string{"AUDIT_TABLE_NAME", "FUNCTIONS_CUSTOMHANDLER_PORT", "EVENT_HUB_NAME"} {
				if strings.Contains(err.Error(), unrelated) {
					t.Errorf("error %q names %s, which the command does not use", err, unrelated)
				}
			}
		})
	}
}

func TestHubs(t *testing.T) {
	const conn = "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=s"
	tests := []struct {
		name        string
		env         env
		wantSync    publish.Hub
		wantSyncErr string
		wantFail    publish.Hub
		wantFailErr string
	}{
		{"connection strings", env{
			"CONNECTOR_ON_DEMAND_V2_AZURE_EVENT_HUB_NAME":                "sync-requests",
			"CONNECTOR_ON_DEMAND_V2_AZURE_CONNECTION_STRING":             conn,
			"CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_NAME":              "sync-failures",
			"CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_CONNECTION_STRING": conn + ";EntityPath=sync-failures",
		}, publish.Hub{Name: "sync-requests", ConnectionString: conn}, "",
			publish.Hub{Name: "sync-failures", ConnectionString: conn + ";EntityPath=sync-failures"}, ""},
		{"Entra ID", env{
			"CONNECTOR_ON_DEMAND_V2_AZURE_EVENT_HUB_NAME":                                         "sync-requests",
			"CONNECTOR_ON_DEMAND_V2_AZURE_CONNECTION_STRING__fullyQualifiedNamespace":             "ns.servicebus.windows.net",
			"CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_CONNECTION_STRING__fullyQualifiedNamespace": "ns.servicebus.windows.net",
		}, publish.Hub{Name: "sync-requests", Namespace: "ns.servicebus.windows.net"}, "",
			publish.Hub{}, "setting CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_NAME is required"},
		{"nothing", env{}, publish.Hub{}, "setting CONNECTOR_ON_DEMAND_V2_AZURE_CONNECTION_STRING is required",
			publish.Hub{}, "setting CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_CONNECTION_STRING is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := loadConfig(tt.env.getenv, 0)
			if err != nil {
				t.Fatal(err)
			}
			check := func(which string, got publish.Hub, err error, want publish.Hub, wantErr string) {
				if wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), wantErr) {
						t.Errorf("%s hub error = %v, want %q", which, err, wantErr)
					}
					return
				}
				if err != nil || got != want {
					t.Errorf("%s hub = %+v, %v; want %+v", which, got, err, want)
				}
			}
			got, err := syncHub(cfg)
			check("sync", got, err, tt.wantSync, tt.wantSyncErr)
			got, err = failureHub(cfg)
			check("failure", got, err, tt.wantFail, tt.wantFailErr)
		})
	}
}
