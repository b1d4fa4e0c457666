/**
 * Fault injection for the whole runtime: one switchable injector per downstream service, so a test
 * or the reliability suite can turn faults on and off while the pipeline runs.
 */
import type { FaultInjector, InjectedFault } from "./dynamodb/faults.ts";

export { rateFaults, type FaultInjector, type InjectedFault } from "./dynamodb/faults.ts";

/** A fault injector whose behaviour can be replaced at any time (none by default). */
export class SwitchableFaults implements FaultInjector {
  private current: FaultInjector | undefined;
  injected = 0;

  set(injector: FaultInjector | undefined): void {
    this.current = injector;
  }

  decide(operation: string, request: unknown): InjectedFault | undefined {
    const fault = this.current?.decide(operation, request);
    if (fault) this.injected++;
    return fault;
  }
}

/** Combines injectors: the first that returns a fault wins. */
export function anyOf(...injectors: FaultInjector[]): FaultInjector {
  return { decide: (operation, request) => injectors.map((i) => i.decide(operation, request)).find(Boolean) };
}
