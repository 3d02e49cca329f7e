// Package deploy holds no code: its test keeps the deployment files in step with the handler.
//
// The settings the handler reads (config.Names) are named again in four places that no compiler
// checks: local.settings.json.example, the app settings of infra/main.bicep, the %NAME% expressions and
// `connection` properties of functions/*/function.json, and the Event Hubs batch settings of host.json
// (whose defaults must equal the seed defaults that config applies, and which Bicep overrides per app from
// parameters with the same defaults). The test parses all of them and fails, naming the exact setting,
// when a name is changed in one place only. Settings that are deliberately absent from one place, such as
// identity-based alternatives to a connection string, are listed with a reason in the test's optional
// table; nothing else may be missing.
//
// infra/main.bicep is read leniently, without a Bicep compiler: app settings are the `name: '<NAME>'`
// entries between `var appSettings = [` and the next line holding only `]`, and parameter defaults are
// `param <name> <type> = <value>` lines. Keep that shape when editing the template.
package deploy
