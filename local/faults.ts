/**
 * Fault injection, one idea for every local service and the consumers: a decision consulted before
 * each request (or each record), which may answer with a fault instead of letting it through. Tests
 * and the reliability suite switch deciders on and off while the pipeline runs, and read how many
 * faults were injected.
 *
 * - Services (DynamoDB, SES, SNS) ask `decide(operation, request)` and answer an {@link InjectedFault}
 *   as the AWS error of their protocol.
 * - Event source mappings ask `decide(context)` per record and fail it as the verdict says
 *   (`local/event-source-mapping.ts`).
 */
import { mulberry32 } from "./random.ts";

/** An error a service returns instead of handling the request (written as its protocol's AWS error). */
export interface InjectedFault {
  /** Exception name, e.g. `ProvisionedThroughputExceededException`. */
  readonly code: string;
  readonly message: string;
  /** HTTP status (AWS answers 400 for throttling and conflicts, 5xx for server faults). */
  readonly status: number;
}

/** Consulted before every request of a service; returning a fault short-circuits the request. */
export interface FaultInjector {
  decide(operation: string, request: unknown): InjectedFault | undefined;
  /**
   * Optional: calls `listener` now and whenever the injector starts or stops possibly returning
   * faults. A service in another thread then asks `decide` only while it may answer one (each
   * question waits for the caller's thread; `local/dynamodb/worker-host.ts`).
   */
  watch?(listener: (active: boolean) => void): void;
}

/** A decision, as a function or an object with `decide` (a {@link FaultInjector}, for services). */
export type Decider<Args extends unknown[], Fault> = ((...args: Args) => Fault | undefined) | { decide(...args: Args): Fault | undefined };

/**
 * A fault decision that can be replaced at any time (none by default), counting what it injected.
 * The one switch behind every entry of `runtime.faults`.
 */
export class FaultSwitch<Args extends unknown[], Fault> {
  private current: ((...args: Args) => Fault | undefined) | undefined;
  private readonly watchers: Array<(active: boolean) => void> = [];
  /** Faults injected since start. */
  injected = 0;

  /** Replaces the decision; `undefined` lets everything through. */
  set(decider: Decider<Args, Fault> | undefined): void {
    this.current = decider === undefined ? undefined : typeof decider === "function" ? decider : (...args: Args) => decider.decide(...args);
    for (const watcher of this.watchers) watcher(decider !== undefined);
  }

  /** Calls `listener` now and on every {@link set} with whether a decision is set. */
  watch(listener: (active: boolean) => void): void {
    this.watchers.push(listener);
    listener(this.current !== undefined);
  }

  decide(...args: Args): Fault | undefined {
    const fault = this.current?.(...args);
    if (fault) this.injected++;
    return fault;
  }
}

/** The fault switch of a service: `decide(operation, request)` answers an AWS error or nothing. */
export type ServiceFaults = FaultSwitch<[operation: string, request: unknown], InjectedFault>;

/** A new, empty {@link ServiceFaults} (it satisfies {@link FaultInjector}). */
export function serviceFaults(): ServiceFaults {
  return new FaultSwitch<[operation: string, request: unknown], InjectedFault>();
}

/** Combines injectors: the first that returns a fault wins. */
export function anyOf(...injectors: FaultInjector[]): FaultInjector {
  return { decide: (operation, request) => injectors.map((i) => i.decide(operation, request)).find(Boolean) };
}

/** The messages AWS sends with the faults tests usually inject. */
const KNOWN_MESSAGES: Readonly<Record<string, string>> = {
  ProvisionedThroughputExceededException:
    "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.",
  ThrottlingException: "Rate of requests exceeds the allowed throughput.",
  TransactionConflictException: "Transaction is ongoing for the item",
  InternalServerError: "Internal server error",
};

/** Options of {@link rateFaults}. */
export interface RateFaultsOptions {
  /** Share of matching requests that fail, from 0 to 1. */
  readonly rate: number;
  /** Operations affected, e.g. `["UpdateItem", "TransactWriteItems"]`; all when absent. */
  readonly operations?: readonly string[];
  /** Exception name to return. */
  readonly code: string;
  /** Defaults to AWS's message for well-known codes. */
  readonly message?: string;
  /** Defaults to 500 for `InternalServerError`, 400 otherwise. */
  readonly status?: number;
  /** PRNG seed: the same seed fails the same requests (by arrival order) on every run. */
  readonly seed: number;
}

/** A fault injector failing a fixed share of matching requests, pseudo-randomly but reproducibly. */
export function rateFaults(options: RateFaultsOptions): FaultInjector {
  if (!(options.rate >= 0 && options.rate <= 1)) throw new RangeError(`rate must be within [0, 1], got ${options.rate}`);
  const random = mulberry32(options.seed);
  const affected = options.operations ? new Set(options.operations) : undefined;
  const fault: InjectedFault = {
    code: options.code,
    message: options.message ?? KNOWN_MESSAGES[options.code] ?? options.code,
    status: options.status ?? (options.code === "InternalServerError" ? 500 : 400),
  };
  return {
    decide(operation) {
      if (affected && !affected.has(operation)) return undefined;
      return random() < options.rate ? fault : undefined;
    },
  };
}
