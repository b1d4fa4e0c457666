/**
 * The local DynamoDB endpoint: one HTTP server speaking DynamoDB's JSON protocol, dynalite's store
 * and request handlers called in process behind it, and what dynalite lacks in front
 * (`endpoint.ts`). It runs in a worker thread of its own by default, so the callers' work (the AWS
 * SDK's serialisation and signing cost about twice the endpoint's) and the endpoint's run on two
 * cores; `thread: "caller"` keeps it on the calling thread.
 */
import type { TableDeclaration } from "../../functions/common/tables.ts";
import { startEndpoint } from "./endpoint.ts";
import type { FaultInjector } from "./faults.ts";
import type { TransactionCounters } from "./transactions.ts";
import type { WireAnswer } from "./wire.ts";
import { startWorkerEndpoint } from "./worker-host.ts";

/** Options of {@link startLocalDynamo}. */
export interface LocalDynamoOptions {
  /** Directory to persist tables (LevelDB) and TTL settings in; in-memory when absent. */
  readonly dataDir?: string;
  /** Interface to listen on; `127.0.0.1` by default. */
  readonly host?: string;
  /** Port to listen on; 0 (the default) picks a free one. */
  readonly port?: number;
  /**
   * Consulted before every client request, to fail some on purpose. It stays on the calling
   * thread: a worker asks it over a message per request (the injector may change its mind at any
   * time, as a `FaultSwitch` does).
   */
  readonly faults?: FaultInjector;
  /** How often expired items are deleted, in ms; 0 disables the timer. 60 s by default. */
  readonly ttlSweepIntervalMs?: number;
  /**
   * Clock (epoch ms) for TTL expiry and the idempotency window; `Date.now` by default. A function
   * cannot cross to another thread: giving one runs the endpoint on the calling thread.
   */
  readonly now?: () => number;
  /**
   * Where the endpoint runs: `"worker"` (the default without `now`), a worker thread of its own,
   * whose CPU is then another core's; `"caller"`, the calling thread's event loop.
   */
  readonly thread?: "worker" | "caller";
}

/** Counters, since start. */
export interface LocalDynamoStats {
  /** Client requests by operation, including those failed by fault injection. */
  readonly requests: Readonly<Record<string, number>>;
  readonly transactions: Readonly<TransactionCounters>;
  readonly faultsInjected: number;
  readonly expiredItemsDeleted: number;
}

/** A running local DynamoDB endpoint. */
export interface LocalDynamo {
  /** URL for the AWS SDK's `endpoint` option (or `AWS_ENDPOINT_URL_DYNAMODB`). */
  readonly endpoint: string;
  /**
   * The operating-system id of the endpoint's worker thread (Linux: `/proc/self/task/<id>`), so
   * that a benchmark can tell the endpoint's CPU time from its callers'; undefined on the caller's
   * thread (`thread: "caller"`) or where the system has no such id.
   */
  readonly osThreadId?: number;
  /**
   * Answers one request of the JSON protocol handed over without HTTP (the gateway read it
   * already): `target` is its `X-Amz-Target`, `body` its text. Resolves with exactly what the
   * endpoint would have answered over HTTP (status, headers, body); never rejects for a request
   * DynamoDB refuses, which is an answer like any other.
   */
  serve(target: string | undefined, body: string): Promise<WireAnswer>;
  /**
   * Creates the declared tables (on-demand, TTL enabled where declared) unless they exist.
   * @param prefix physical names are `<prefix>-<logical name>`.
   * @returns logical name -> physical name.
   */
  createTables<Name extends string>(declarations: Readonly<Record<Name, TableDeclaration>>, prefix: string): Promise<Record<Name, string>>;
  /** Deletes expired items now, in every table with TTL enabled; resolves with how many. */
  sweepExpiredItems(): Promise<number>;
  stats(): LocalDynamoStats;
  /** Stops the timer, lets in-flight operations finish, closes the endpoint and the store. */
  close(): Promise<void>;
}

/** Opens the store and starts the endpoint (in a worker thread unless told otherwise); resolves once it listens. */
export async function startLocalDynamo(options: LocalDynamoOptions = {}): Promise<LocalDynamo> {
  const { thread = options.now ? "caller" : "worker", ...rest } = options;
  if (thread === "worker" && options.now) throw new TypeError("startLocalDynamo: a custom clock (now) needs thread: \"caller\"");
  return thread === "caller" ? startEndpoint(rest) : startWorkerEndpoint(rest);
}
