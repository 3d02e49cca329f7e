// The user-assigned identity the function app runs as. Every data-plane permission snowsync needs is
// granted to this one identity (never to a system-assigned identity), so the role assignments can be
// created before the app exists and the app never starts without them.

@description('Name of the user-assigned managed identity.')
param name string

param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output principalId string = identity.properties.principalId
output clientId string = identity.properties.clientId
