// Example parameters for infra/main.bicep. Copy, edit, then:
//   az deployment group create -g <rg> -f infra/main.bicep -p infra/main.bicepparam
// No secret belongs here: the Snowflake private key goes into Key Vault after deployment
// (docs/deploy.md, "Set the private key").
using 'main.bicep'

param baseName = 'snowsync'

// Snowflake: the user must have the public half of the key pair (ALTER USER ... SET RSA_PUBLIC_KEY).
param snowflakeJdbcUrl = 'jdbc:snowflake://myorg-myaccount.snowflakecomputing.com/?warehouse=SNOWSYNC_WH&role=SNOWSYNC'
param snowflakeUsername = 'SNOWSYNC'
param snowflakeWarehouse = 'SNOWSYNC_WH'
param snowflakeRole = 'SNOWSYNC'
param privateKeySecretName = 'snowflake-private-key'

// Event Hubs: partitions bound how many instances consume in parallel.
param eventHubPartitionCount = 4
param consumerGroupName = 'snowsync'

// Seed batch properties; they also override host.json's Event Hubs batch settings.
param batchSize = 50
param batchTimeoutMs = 5000

// Policies: a Ranger ServicePolicies document shipped with the app, or a Ranger Admin.
param policyFile = 'policies.json'

// Start as a dry run; switch to true once the audit records show the plan you expect.
param grantUpdates = false

// Your user object id (az ad signed-in-user show --query id -o tsv) so you can set the key secret.
param secretsOfficerPrincipalId = ''
