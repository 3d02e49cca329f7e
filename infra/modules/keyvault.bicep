// A Key Vault (RBAC authorization, purge protection) dedicated to snowsync. It holds the Snowflake
// private key (and, if used, its passphrase, the Ranger password or a policy SAS URL). The template never
// writes a secret value: the operator sets it with `az keyvault secret set --file` (docs/deploy.md), and
// the app reads it through a Key Vault reference resolved by the platform with the app's identity.
//
// Role scope: Key Vault Secrets User on the vault. A role on the one secret would need the secret to exist
// when the template runs, which means either putting the key in the template or overwriting it on every
// redeploy; the vault is dedicated to this app, so vault scope grants nothing more.

param name string
param location string
param tags object

@description('Principal id of the function app identity (reads secrets).')
param readerPrincipalId string

@description('Optional principal (for example the deploying user) allowed to set secrets. Empty: none.')
param secretsOfficerPrincipalId string = ''

@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param secretsOfficerPrincipalType string = 'User'

var secretsUserRoleId = '4633458b-17de-408a-b874-0445c86b69e6'
var secretsOfficerRoleId = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
  }
}

resource reader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, readerPrincipalId, secretsUserRoleId)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsUserRoleId)
    principalId: readerPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource officer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(secretsOfficerPrincipalId)) {
  name: guid(vault.id, secretsOfficerPrincipalId, secretsOfficerRoleId)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsOfficerRoleId)
    principalId: secretsOfficerPrincipalId
    principalType: secretsOfficerPrincipalType
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
