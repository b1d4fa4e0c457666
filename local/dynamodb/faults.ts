/**
 * Fault injection for the local DynamoDB: the runtime's one fault injector (`local/faults.ts`),
 * re-exported where the endpoint and its tests have always found it.
 */
export { rateFaults, type FaultInjector, type InjectedFault, type RateFaultsOptions } from "../faults.ts";
