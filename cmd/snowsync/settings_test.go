package main

import (
	"reflect"
	"strings"
	"testing"

	"github.com/snowsync/snowsync/internal/config"
	"github.com/snowsync/snowsync/internal/publish"
	sf "github.com/snowsync/snowsync/internal/snowflake"
)

func TestLoadSettings(t *testing.T) {
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
	// load loads the section a command uses, as the command does, and checks what it holds.
	type load func(t *testing.T, e env) error
	hubs := func(t *testing.T, e env) error {
		_, err := loadSettings(e.getenv, config.LoadHubs)
		return err
	}
	auditSection := func(t *testing.T, e env) error {
		a, err := loadSettings(e.getenv, config.LoadAudit)
		if err == nil && a.Table != "Tasks" {
			t.Errorf("audit table %q, want the configured Tasks", a.Table)
		}
		return err
	}
	syncSection := func(t *testing.T, e env) error {
		s, err := loadSettings(e.getenv, config.LoadSync)
		if want, _ := sf.ParseJDBCURL(snowflake["CONNECTOR_SNOWFLAKE_JDBC_URL"]); err == nil && !reflect.DeepEqual(s.Snowflake.URL, want) {
			t.Errorf("JDBC URL %+v, want the configured one", s.Snowflake.URL)
		}
		return err
	}
	tests := []struct {
		name    string
		env     env
		load    load
		wantErr []string // settings the error must name; none means success
	}{
		{"nothing needed, nothing set", env{}, hubs, nil},
		{"nothing needed, unrelated settings broken", broken, hubs, nil},
		{"audit with broken Snowflake and policy settings", merge(broken, audit), auditSection, nil},
		{"audit missing", env{}, auditSection, []string{"CONNECTOR_ON_DEMAND_V2_AUDIT_STORAGE_CONNECTION"}},
		{"snowflake with broken audit settings and two policy sources", merge(broken, snowflake, env{"CONNECTOR_SNOWFLAKE_PRIVATE_KEY": ""}),
			syncSection, []string{"CONNECTOR_POLICY_FILE"}},
		{"snowflake complete", merge(audit, snowflake), syncSection, nil},
		{"snowflake missing", env{}, syncSection, []string{"CONNECTOR_SNOWFLAKE_JDBC_URL", "CONNECTOR_SNOWFLAKE_JDBC_USERNAME",
			"CONNECTOR_SNOWFLAKE_JDBC_PASSWORD", "CONNECTOR_POLICY_FILE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.load(t, tt.env)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("loadSettings: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("loadSettings succeeded, want an error")
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
			cfg, err := loadSettings(tt.env.getenv, config.LoadHubs)
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
