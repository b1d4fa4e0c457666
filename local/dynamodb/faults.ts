/**
 * Fault injection: lets tests see how code behaves when DynamoDB throttles or conflicts, without
 * waiting for it to happen.
 */

/** An error the endpoint returns instead of handling the request. */
export interface InjectedFault {
  /** Exception name, e.g. `ProvisionedThroughputExceededException`. */
  readonly code: string;
  readonly message: string;
  /** HTTP status (DynamoDB answers 400 for throttling and conflicts, 5xx for server faults). */
  readonly status: number;
}

/** Consulted before every request; returning a fault short-circuits the request. */
export interface FaultInjector {
  decide(operation: string, request: unknown): InjectedFault | undefined;
}

/** The messages DynamoDB sends with the faults tests usually inject. */
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
  /** Defaults to DynamoDB's message for well-known codes. */
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

/** Mulberry32: a tiny, fast, well-distributed 32-bit PRNG; plenty for picking requests to fail. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
