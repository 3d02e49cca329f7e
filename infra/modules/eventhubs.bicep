// Event Hubs namespace with the sync hub (the trigger's source), its consumer group, and the failure
// hub (the `failures` output binding's target). Local (SAS key) auth is disabled: only Microsoft Entra
// identities can connect, so no connection string exists to leak.
//
// Role scope: the app may receive from the sync hub only and send to the failure hub only.

param namespaceName string
param location string
param tags object

@description('Standard is the smallest tier with custom consumer groups.')
@allowed([
  'Standard'
  'Premium'
])
param sku string = 'Standard'

@minValue(1)
@maxValue(40)
param capacity int = 1

param syncHubName string
param failureHubName string
param consumerGroupName string

@description('Partitions of the sync hub: the most instances that can consume it in parallel.')
@minValue(1)
@maxValue(32)
param partitionCount int

@minValue(1)
@maxValue(7)
param messageRetentionInDays int

@description('Principal id of the function app identity.')
param principalId string

var dataReceiverRoleId = 'a638d3c7-ab3a-418d-83e6-5f17a39d4fde'
var dataSenderRoleId = '2b629674-e913-4c01-ae53-ef4638d8f975'

resource namespace 'Microsoft.EventHub/namespaces@2024-01-01' = {
  name: namespaceName
  location: location
  tags: tags
  sku: {
    name: sku
    tier: sku
    capacity: capacity
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

resource syncHub 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' = {
  parent: namespace
  name: syncHubName
  properties: {
    partitionCount: partitionCount
    messageRetentionInDays: messageRetentionInDays
  }
}

resource consumerGroup 'Microsoft.EventHub/namespaces/eventhubs/consumergroups@2024-01-01' = {
  parent: syncHub
  name: consumerGroupName
  properties: {
    userMetadata: 'snowsync OnDemandSync trigger'
  }
}

resource failureHub 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' = {
  parent: namespace
  name: failureHubName
  properties: {
    partitionCount: 1
    messageRetentionInDays: messageRetentionInDays
  }
}

resource receiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(syncHub.id, principalId, dataReceiverRoleId)
  scope: syncHub
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', dataReceiverRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource sender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(failureHub.id, principalId, dataSenderRoleId)
  scope: failureHub
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', dataSenderRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

output namespaceName string = namespace.name
output fullyQualifiedNamespace string = '${namespace.name}.servicebus.windows.net'
output syncHubName string = syncHub.name
output failureHubName string = failureHub.name
output consumerGroupName string = consumerGroup.name
