package emulator_test

import (
	"database/sql"
	"fmt"

	_ "github.com/snowflakedb/gosnowflake"
	"github.com/snowsync/snowsync/internal/testing/emulator"
)

// Seed an account from Go, then read it through the real driver.
func Example() {
	srv := emulator.New(emulator.Options{})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		panic(err)
	}
	defer srv.Close()
	if err := srv.Exec(`CREATE DATABASE SALES; CREATE TABLE ORDERS (ID NUMBER);
		CREATE ROLE PRIV_ANALYSTS; GRANT SELECT ON TABLE ORDERS TO ROLE PRIV_ANALYSTS`); err != nil {
		panic(err)
	}
	db, err := sql.Open("snowflake", srv.DSN("SALES"))
	if err != nil {
		panic(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT GRANTEE, PRIVILEGE_TYPE FROM INFORMATION_SCHEMA.TABLE_PRIVILEGES WHERE TABLE_NAME = ?", "ORDERS")
	if err != nil {
		panic(err)
	}
	defer rows.Close()
	for rows.Next() {
		var grantee, privilege string
		if err := rows.Scan(&grantee, &privilege); err != nil {
			panic(err)
		}
		fmt.Println(grantee, privilege)
	}
	// Output:
	// ACCOUNTADMIN OWNERSHIP
	// PRIV_ANALYSTS SELECT
}
