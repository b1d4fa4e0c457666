/**
 * The local DynamoDB endpoint of the embedded runtime: dynalite plus transactions, TTL and fault
 * injection, reachable with the real AWS SDK through an endpoint override.
 */
export { startLocalDynamo, type LocalDynamo, type LocalDynamoOptions, type LocalDynamoStats } from "./local-dynamo.ts";
export { rateFaults, type FaultInjector, type InjectedFault, type RateFaultsOptions } from "./faults.ts";
export type { TransactionCounters } from "./transactions.ts";
export { TableSchemaMismatchError } from "./tables.ts";
