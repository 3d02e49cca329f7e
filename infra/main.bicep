// snowsync: event-driven access-policy sync for Snowflake, as an Azure Functions custom handler on a
// Flex Consumption plan. Deploy into an existing resource group:
//
//   az deployment group create -g <rg> -f infra/main.bicep -p infra/main.bicepparam
//
// Everything authenticates with the one user-assigned identity; no connection string, key or password
// appears here. The Snowflake private key lives in Key Vault and reaches the app through a Key Vault
// reference. See docs/deploy.md for the steps around this template.
//
// The app settings are one list, `var appSettings` below: internal/deploy's test reads it (every setting
// the handler reads must be here or be listed there as optional), so keep every entry in the form
// `{ name: '<NAME>', value: ... }` inside that literal.

targetScope = 'resourceGroup'

// ---- names and placement ----

@description('Short name used in every resource name.')
@minLength(3)
@maxLength(12)
param baseName string = 'snowsync'

param location string = resourceGroup().location
param tags object = {}

// ---- hosting ----

@description('functionAppConfig.runtime of the Flex Consumption app.')
param runtimeName string = 'custom'
param runtimeVersion string = '1.0'

@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

// ---- Event Hubs (seed: CONNECTOR_ON_DEMAND_V2_*) ----

@description('Partitions of the sync hub; an upper bound on parallel consumers.')
@minValue(1)
@maxValue(32)
param eventHubPartitionCount int = 4

@minValue(1)
@maxValue(7)
param eventHubMessageRetentionDays int = 7

param syncHubName string = 'sync-requests'
param failureHubName string = 'sync-failures'
param consumerGroupName string = 'snowsync'

@description('CONNECTOR_ON_DEMAND_V2_AZURE_EVENT_HUB_ENABLED. false also disables the OnDemandSync trigger (AzureWebJobs.OnDemandSync.Disabled).')
param eventHubTriggerEnabled bool = true

@description('CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_ENABLED.')
param failureHubEnabled bool = true

@description('CONNECTOR_ON_DEMAND_V2_FAILURE_MESSAGE_MAX_BYTES: longest JSON-escaped originalMessage in a failure event; a longer body is cut there and kept whole in the body table.')
@minValue(1024)
@maxValue(933888)
param failureMessageMaxBytes int = 786432

@description('CONNECTOR_ON_DEMAND_V2_BATCH_SIZE: events per invocation; becomes host.json maxEventBatchSize (and minEventBatchSize).')
@minValue(1)
@maxValue(1000)
param batchSize int = 50

@description('CONNECTOR_ON_DEMAND_V2_BATCH_TIMEOUT_MS: longest wait to fill a batch; becomes host.json maxWaitTime (at most 10 minutes).')
@minValue(1)
@maxValue(600000)
param batchTimeoutMs int = 5000

@description('CONNECTOR_ON_DEMAND_V2_QUEUE_THRESHOLD.')
@minValue(1)
@maxValue(100000)
param queueThreshold int = 100

@description('CONNECTOR_ON_DEMAND_V2_MAX_RESOURCES_PER_EVENT: a request naming more resources FAILS (TOO_MANY_RESOURCES) unsynced.')
@minValue(1)
@maxValue(100000)
param maxResourcesPerEvent int = 5000

@description('CONNECTOR_ON_DEMAND_V2_RECONCILE_SCHEDULE: NCRONTAB schedule ({second} {minute} {hour} {day} {month} {day-of-week}) of the Reconcile timer function.')
param reconcileSchedule string = '0 */5 * * * *'

@description('CONNECTOR_ON_DEMAND_V2_DRIFT_SCHEMAS_PER_RUN: schemas of the managed scope each Reconcile run re-syncs in full to find drift (round robin); 0 turns the sweep off.')
@minValue(0)
@maxValue(10000)
param driftSchemasPerRun int = 10

// ---- connector ----

@description('CONNECTOR_SNOWFLAKE_ON_DEMAND_V2_ENABLED: false keeps receiving and auditing events but SKIPS every resource.')
param onDemandSyncEnabled bool = true

param connectorName string = 'snowflake'

@allowed([
  'debug'
  'info'
  'warn'
  'error'
])
param logLevel string = 'info'

@allowed([
  'load'
  'load_multi_thread'
  'load_bulk'
])
param loadResourcesKey string = 'load_multi_thread'

@minValue(1)
@maxValue(64)
param loadThreads int = 8

@description('GRANT / REVOKE statements in flight at once (CONNECTOR_SNOWFLAKE_APPLY_THREADS).')
@minValue(1)
@maxValue(64)
param applyThreads int = 16

param auditTableName string = 'OnDemandSyncTasks'

@description('CONNECTOR_ON_DEMAND_V2_AUDIT_BODY_TABLE_NAME: whole bodies of failed events too long for their failure event.')
param auditBodyTableName string = 'OnDemandSyncBodies'

// ---- Snowflake ----

@description('CONNECTOR_SNOWFLAKE_JDBC_URL, e.g. jdbc:snowflake://<account>.snowflakecomputing.com/?warehouse=WH&role=ROLE')
param snowflakeJdbcUrl string

@description('CONNECTOR_SNOWFLAKE_JDBC_USERNAME: the Snowflake user whose RSA_PUBLIC_KEY matches the key in Key Vault.')
param snowflakeUsername string

param snowflakeWarehouse string = ''
param snowflakeRole string = ''

@minValue(1)
@maxValue(3600)
param snowflakeQueryTimeoutSec int = 60

@description('Key Vault secret holding the PEM private key (set it after deployment; see docs/deploy.md).')
param privateKeySecretName string = 'snowflake-private-key'

@description('Key Vault secret holding the private key passphrase; empty when the key is not encrypted.')
param privateKeyPassphraseSecretName string = ''

// ---- managed scope and roles ----

param manageDatabaseList string = ''
param manageSchemaList string = ''
param manageTableList string = ''
param ignoreDatabaseList string = ''
param ignoreSchemaList string = ''
param ignoreTableList string = ''
param entityRolePrefix string = 'PRIV_'
param userRolePrefix string = 'PRIV_USER_'
param preserveRoleCase bool = false
param manageRoleList string = ''
param createMissingRoles bool = true

@description('CONNECTOR_SNOWFLAKE_GRANT_UPDATES: false is a dry run (plan and audit, change nothing).')
param grantUpdates bool = true

// ---- where snowsync creates masking and row access policies ----

@description('CONNECTOR_SNOWFLAKE_MASKING_POLICY_DB_NAME: database of the masking policies; empty = the masked table\'s database.')
param maskingPolicyDbName string = ''
@description('CONNECTOR_SNOWFLAKE_MASKING_POLICY_SCHEMA_NAME: schema of the masking policies, created if missing.')
param maskingPolicySchemaName string = 'SNOWSYNC_POLICIES'
@description('CONNECTOR_SNOWFLAKE_ROW_FILTER_POLICY_DB_NAME: database of the row access policies; empty = the table\'s database.')
param rowFilterPolicyDbName string = ''
@description('CONNECTOR_SNOWFLAKE_ROW_FILTER_POLICY_SCHEMA_NAME: schema of the row access policies, created if missing.')
param rowFilterPolicySchemaName string = 'SNOWSYNC_POLICIES'
@description('CONNECTOR_SNOWFLAKE_MASKING_POLICY_NULL_FALLTHROUGH: true masks to NULL for sessions no Ranger item names (default: the clear value, as Ranger).')
param maskingPolicyNullFallthrough bool = false

// ---- policy source: a file/URL, or a Ranger Admin ----

@description('CONNECTOR_POLICY_FILE as a plain path or https URL. Use policyFileSecretName instead for a SAS URL.')
param policyFile string = ''

@description('Key Vault secret holding CONNECTOR_POLICY_FILE when it is a SAS URL (a credential). Overrides policyFile.')
param policyFileSecretName string = ''

param rangerAdminUrl string = ''
param rangerServiceName string = ''
param rangerUsername string = ''

@description('Key Vault secret holding CONNECTOR_RANGER_PASSWORD; empty for none.')
param rangerPasswordSecretName string = ''

@minValue(1)
@maxValue(86400)
param policyRefreshIntervalSec int = 60

// ---- operator access ----

@description('Principal allowed to set Key Vault secrets (for example your user object id); empty for none.')
param secretsOfficerPrincipalId string = ''

@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param secretsOfficerPrincipalType string = 'User'

// ---- derived names ----

var suffix = uniqueString(resourceGroup().id, baseName)
var compactBase = toLower(replace(baseName, '-', ''))
var names = {
  identity: 'id-${baseName}-${suffix}'
  logAnalytics: 'log-${baseName}-${suffix}'
  appInsights: 'appi-${baseName}-${suffix}'
  storage: take('st${compactBase}${suffix}', 24)
  deploymentContainer: 'app-package'
  eventHubs: 'evhns-${baseName}-${suffix}'
  keyVault: take('kv-${compactBase}-${suffix}', 24)
  plan: 'plan-${baseName}-${suffix}'
  app: 'func-${baseName}-${suffix}'
}

// ---- resources ----

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: names.identity
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    logAnalyticsName: names.logAnalytics
    appInsightsName: names.appInsights
    location: location
    tags: tags
    publisherPrincipalId: identity.outputs.principalId
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: names.storage
    location: location
    tags: tags
    deploymentContainerName: names.deploymentContainer
    auditTableName: auditTableName
    auditBodyTableName: auditBodyTableName
    principalId: identity.outputs.principalId
  }
}

module eventHubs 'modules/eventhubs.bicep' = {
  name: 'eventhubs'
  params: {
    namespaceName: names.eventHubs
    location: location
    tags: tags
    syncHubName: syncHubName
    failureHubName: failureHubName
    consumerGroupName: consumerGroupName
    partitionCount: eventHubPartitionCount
    messageRetentionInDays: eventHubMessageRetentionDays
    principalId: identity.outputs.principalId
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    name: names.keyVault
    location: location
    tags: tags
    readerPrincipalId: identity.outputs.principalId
    secretsOfficerPrincipalId: secretsOfficerPrincipalId
    secretsOfficerPrincipalType: secretsOfficerPrincipalType
  }
}

// ---- app settings ----

// kvReference is an app setting value the platform resolves from Key Vault (latest secret version).
func kvReference(vaultUri string, secretName string) string => '@Microsoft.KeyVault(SecretUri=${vaultUri}secrets/${secretName}/)'

// optionalKvReference is kvReference, or '' (the setting counts as unset) when no secret is named.
func optionalKvReference(vaultUri string, secretName string) string => empty(secretName) ? '' : kvReference(vaultUri, secretName)

// timeSpan renders milliseconds as a .NET TimeSpan, hh:mm:ss[.fff], for host.json overrides.
func timeSpan(ms int) string => '${padLeft(string(ms / 3600000), 2, '0')}:${padLeft(string((ms / 60000) % 60), 2, '0')}:${padLeft(string((ms / 1000) % 60), 2, '0')}${ms % 1000 == 0 ? '' : '.${padLeft(string(ms % 1000), 3, '0')}'}'

// boolString renders a bool as the lower-case word both the host and the handler accept.
func boolString(b bool) string => b ? 'true' : 'false'

var vaultUri = keyVault.outputs.uri
var clientId = identity.outputs.clientId

var appSettings = [
  // Host storage and telemetry, identity-based.
  { name: 'AzureWebJobsStorage__accountName', value: storage.outputs.name }
  { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
  { name: 'AzureWebJobsStorage__clientId', value: clientId }
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: monitoring.outputs.connectionString }
  { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'ClientId=${clientId};Authorization=AAD' }

  // Host.json overrides: the seed batch properties drive the Event Hubs extension.
  { name: 'AzureFunctionsJobHost__extensions__eventHubs__maxEventBatchSize', value: string(batchSize) }
  { name: 'AzureFunctionsJobHost__extensions__eventHubs__minEventBatchSize', value: string(batchSize) }
  { name: 'AzureFunctionsJobHost__extensions__eventHubs__maxWaitTime', value: timeSpan(batchTimeoutMs) }
  { name: 'AzureWebJobs.OnDemandSync.Disabled', value: boolString(!eventHubTriggerEnabled) }

  // Trigger: the sync hub, identity-based.
  { name: 'CONNECTOR_ON_DEMAND_V2_AZURE_EVENT_HUB_ENABLED', value: boolString(eventHubTriggerEnabled) }
  { name: 'CONNECTOR_ON_DEMAND_V2_AZURE_CONNECTION_STRING__fullyQualifiedNamespace', value: eventHubs.outputs.fullyQualifiedNamespace }
  { name: 'CONNECTOR_ON_DEMAND_V2_AZURE_CONNECTION_STRING__credential', value: 'managedidentity' }
  { name: 'CONNECTOR_ON_DEMAND_V2_AZURE_CONNECTION_STRING__clientId', value: clientId }
  { name: 'CONNECTOR_ON_DEMAND_V2_AZURE_EVENT_HUB_NAME', value: eventHubs.outputs.syncHubName }
  { name: 'CONNECTOR_ON_DEMAND_V2_AZURE_CONSUMER_GROUP', value: eventHubs.outputs.consumerGroupName }
  { name: 'CONNECTOR_ON_DEMAND_V2_BATCH_SIZE', value: string(batchSize) }
  { name: 'CONNECTOR_ON_DEMAND_V2_BATCH_TIMEOUT_MS', value: string(batchTimeoutMs) }
  { name: 'CONNECTOR_ON_DEMAND_V2_QUEUE_THRESHOLD', value: string(queueThreshold) }
  { name: 'CONNECTOR_ON_DEMAND_V2_MAX_INVOCATION_BYTES', value: string(min(batchSize * 8388608, 1073741824)) }
  { name: 'CONNECTOR_ON_DEMAND_V2_MAX_RESOURCES_PER_EVENT', value: string(maxResourcesPerEvent) }
  { name: 'CONNECTOR_ON_DEMAND_V2_RECONCILE_SCHEDULE', value: reconcileSchedule }
  { name: 'CONNECTOR_ON_DEMAND_V2_DRIFT_SCHEMAS_PER_RUN', value: string(driftSchemasPerRun) }

  // Output binding: the failure hub, identity-based.
  { name: 'CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_ENABLED', value: boolString(failureHubEnabled) }
  { name: 'CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_CONNECTION_STRING__fullyQualifiedNamespace', value: eventHubs.outputs.fullyQualifiedNamespace }
  { name: 'CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_CONNECTION_STRING__credential', value: 'managedidentity' }
  { name: 'CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_CONNECTION_STRING__clientId', value: clientId }
  { name: 'CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_NAME', value: eventHubs.outputs.failureHubName }
  { name: 'CONNECTOR_ON_DEMAND_V2_FAILURE_MESSAGE_MAX_BYTES', value: string(failureMessageMaxBytes) }

  // Audit table, identity-based.
  { name: 'CONNECTOR_ON_DEMAND_V2_AUDIT_STORAGE_CONNECTION__tableServiceUri', value: storage.outputs.tableEndpoint }
  { name: 'CONNECTOR_ON_DEMAND_V2_AUDIT_STORAGE_CONNECTION__clientId', value: clientId }
  { name: 'CONNECTOR_ON_DEMAND_V2_AUDIT_TABLE_NAME', value: storage.outputs.auditTableName }
  { name: 'CONNECTOR_ON_DEMAND_V2_AUDIT_BODY_TABLE_NAME', value: storage.outputs.auditBodyTableName }

  // Connector.
  { name: 'CONNECTOR_SNOWFLAKE_ON_DEMAND_V2_ENABLED', value: boolString(onDemandSyncEnabled) }
  { name: 'CONNECTOR_NAME', value: connectorName }
  { name: 'CONNECTOR_LOG_LEVEL', value: logLevel }
  { name: 'CONNECTOR_SNOWFLAKE_LOAD_RESOURCES_KEY', value: loadResourcesKey }
  { name: 'CONNECTOR_SNOWFLAKE_LOAD_THREADS', value: string(loadThreads) }
  { name: 'CONNECTOR_SNOWFLAKE_APPLY_THREADS', value: string(applyThreads) }

  // Snowflake, key-pair auth from Key Vault.
  { name: 'CONNECTOR_SNOWFLAKE_JDBC_URL', value: snowflakeJdbcUrl }
  { name: 'CONNECTOR_SNOWFLAKE_JDBC_USERNAME', value: snowflakeUsername }
  { name: 'CONNECTOR_SNOWFLAKE_PRIVATE_KEY', value: kvReference(vaultUri, privateKeySecretName) }
  { name: 'CONNECTOR_SNOWFLAKE_PRIVATE_KEY_PASSPHRASE', value: optionalKvReference(vaultUri, privateKeyPassphraseSecretName) }
  { name: 'CONNECTOR_SNOWFLAKE_WAREHOUSE_TO_USE', value: snowflakeWarehouse }
  { name: 'CONNECTOR_SNOWFLAKE_ROLE_TO_USE', value: snowflakeRole }
  { name: 'CONNECTOR_SNOWFLAKE_QUERY_TIMEOUT_SEC', value: string(snowflakeQueryTimeoutSec) }

  // Managed scope and roles.
  { name: 'CONNECTOR_SNOWFLAKE_MANAGE_DATABASE_LIST', value: manageDatabaseList }
  { name: 'CONNECTOR_SNOWFLAKE_MANAGE_SCHEMA_LIST', value: manageSchemaList }
  { name: 'CONNECTOR_SNOWFLAKE_MANAGE_TABLE_LIST', value: manageTableList }
  { name: 'CONNECTOR_SNOWFLAKE_IGNORE_DATABASE_LIST', value: ignoreDatabaseList }
  { name: 'CONNECTOR_SNOWFLAKE_IGNORE_SCHEMA_LIST', value: ignoreSchemaList }
  { name: 'CONNECTOR_SNOWFLAKE_IGNORE_TABLE_LIST', value: ignoreTableList }
  { name: 'CONNECTOR_SNOWFLAKE_ENTITY_ROLE_PREFIX', value: entityRolePrefix }
  { name: 'CONNECTOR_SNOWFLAKE_USER_ROLE_PREFIX', value: userRolePrefix }
  { name: 'CONNECTOR_SNOWFLAKE_PRESERVE_ROLE_CASE', value: boolString(preserveRoleCase) }
  { name: 'CONNECTOR_SNOWFLAKE_MANAGE_ROLE_LIST', value: manageRoleList }
  { name: 'CONNECTOR_SNOWFLAKE_CREATE_MISSING_ROLES', value: boolString(createMissingRoles) }
  { name: 'CONNECTOR_SNOWFLAKE_GRANT_UPDATES', value: boolString(grantUpdates) }
  { name: 'CONNECTOR_SNOWFLAKE_MASKING_POLICY_DB_NAME', value: maskingPolicyDbName }
  { name: 'CONNECTOR_SNOWFLAKE_MASKING_POLICY_SCHEMA_NAME', value: maskingPolicySchemaName }
  { name: 'CONNECTOR_SNOWFLAKE_ROW_FILTER_POLICY_DB_NAME', value: rowFilterPolicyDbName }
  { name: 'CONNECTOR_SNOWFLAKE_ROW_FILTER_POLICY_SCHEMA_NAME', value: rowFilterPolicySchemaName }
  { name: 'CONNECTOR_SNOWFLAKE_MASKING_POLICY_NULL_FALLTHROUGH', value: boolString(maskingPolicyNullFallthrough) }

  // Policy source.
  { name: 'CONNECTOR_POLICY_FILE', value: empty(policyFileSecretName) ? policyFile : kvReference(vaultUri, policyFileSecretName) }
  { name: 'CONNECTOR_RANGER_ADMIN_URL', value: rangerAdminUrl }
  { name: 'CONNECTOR_RANGER_SERVICE_NAME', value: rangerServiceName }
  { name: 'CONNECTOR_RANGER_USERNAME', value: rangerUsername }
  { name: 'CONNECTOR_RANGER_PASSWORD', value: optionalKvReference(vaultUri, rangerPasswordSecretName) }
  { name: 'CONNECTOR_POLICY_REFRESH_INTERVAL_SEC', value: string(policyRefreshIntervalSec) }
]

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    planName: names.plan
    appName: names.app
    location: location
    tags: tags
    identityId: identity.outputs.id
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    appSettings: appSettings
    runtimeName: runtimeName
    runtimeVersion: runtimeVersion
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
  }
  // No explicit dependsOn: the app settings use outputs of every other module, so each module (and the
  // role assignments inside it) completes before the app is created and the host starts with access.
}

// ---- outputs ----

@description('Pass to `make publish APP=...`.')
output functionAppName string = functionApp.outputs.name
output functionAppUrl string = 'https://${functionApp.outputs.defaultHostName}'
output syncEndpoint string = 'https://${functionApp.outputs.defaultHostName}/api/sync'
output keyVaultName string = keyVault.outputs.name
output privateKeySecretName string = privateKeySecretName
output eventHubsNamespace string = eventHubs.outputs.fullyQualifiedNamespace
output syncHubName string = eventHubs.outputs.syncHubName
output failureHubName string = eventHubs.outputs.failureHubName
output consumerGroupName string = eventHubs.outputs.consumerGroupName
output storageAccountName string = storage.outputs.name
output auditTableName string = storage.outputs.auditTableName
output identityClientId string = identity.outputs.clientId
output identityPrincipalId string = identity.outputs.principalId
output appInsightsName string = monitoring.outputs.appInsightsName
