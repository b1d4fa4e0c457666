/** The options of the local runtime (`Runtime.start`) and the types of its public surface. */
import type { RuleDeclaration } from "../declarations/rules.ts";
import type { SwitchableChaos } from "./event-source-mapping.ts";
import type { ServiceFaults } from "./faults.ts";
import type { LocalService } from "./service.ts";

export interface RuntimeOptions {
  /** Where balances (DynamoDB) and the bus archive are kept; in-memory DynamoDB when `null`. */
  readonly dataDir?: string | null;
  /**
   * Keeps DynamoDB tables, SQS queues, the SES and SNS outboxes, Step Functions executions, Stripe
   * objects and the bus's delivery log in memory even with a `dataDir` (which then holds only the
   * archive, and with {@link archiveInMemory} not even that): for one-shot runs (`paybus run`, backtests) that throw them away, disk writes buy
   * nothing.
   */
  readonly inMemory?: boolean;
  /**
   * Keeps the bus archive in memory too (replay and `runtime.archive` work the same, for the
   * process's life), so that nothing is written to the data directory but its lock: for backtests,
   * which replay nothing of an earlier run and throw their archive away. `paybus run` keeps its
   * archive on disk, where a later `paybus backtest --events` can read it.
   */
  readonly archiveInMemory?: boolean;
  /** Port of the gateway (EventBridge API, webhook bridge, admin API, dashboard); 0 = random. */
  readonly port?: number;
  readonly host?: string;
  readonly region?: string;
  readonly accountId?: string;
  readonly busName?: string;
  /**
   * Scales queue visibility timeouts and EventBridge retry delays; 1 is AWS's timing. Tests use a
   * small value so that retries come back within a second.
   */
  readonly timeScale?: number;
  /** Scales Step Functions waits and retry intervals (the 72-hour follow-up wait in the demo). */
  readonly workflowTimeScale?: number;
  /**
   * Multiplies every function's timeout (default 1: the declared timeouts). `paybus backtest` gives
   * its runtimes longer ones, so that a busy machine does not make one side time out.
   */
  readonly functionTimeoutScale?: number;
  /**
   * At most this many execution environments per function (default 3,
   * `DEFAULT_MAX_ENVIRONMENTS_PER_FUNCTION`); a queue's event source mapping runs no more batches
   * at once. `environmentsForCores()` (local/lambda.ts) sizes it to the machine, for runs that
   * want throughput.
   */
  readonly maxEnvironmentsPerFunction?: number;
  /**
   * Caps of particular functions, by the plan's logical name (`{ LoyaltyApi: 3 }`), instead of
   * `maxEnvironmentsPerFunction`, as a function's reserved concurrency caps it in AWS; an unknown
   * name is refused. Tests that assert what overlapping invocations of one function do give that
   * function the default cap and keep one environment for the others (each is a cold start).
   */
  readonly maxEnvironmentsByFunction?: Readonly<Record<string, number>>;
  /**
   * A higher cap for a function that mostly waits on its AWS calls (its thread busy under half of
   * each invocation; `LambdaHostOptions.waitingEnvironmentsPerFunction`); default none.
   */
  readonly waitingEnvironmentsPerFunction?: number;
  /**
   * How the functions' SDK calls reach the gateway: `"port"` (default) over a message port of each
   * execution environment, no socket (`local/lambda-transport.ts`); `"http"` over loopback HTTP, as
   * any other client (to compare or diagnose; also `PAYBUS_FUNCTION_TRANSPORT=http`).
   */
  readonly functionTransport?: "port" | "http";
  /** Prefix for physical resource names. */
  readonly prefix?: string;
  /**
   * Extra environment for every function (e.g. loyalty configuration), on top of what the plan gives
   * it; the webhook signing secrets go to the webhook bridge only (local/function-environment.ts).
   */
  readonly env?: Readonly<Record<string, string>>;
  readonly rules?: readonly RuleDeclaration[];
  /**
   * Verified SES identities (addresses, domains). Default: the ones `stacks/stages.ts` declares for
   * the `default` stage, which the stacks create in AWS.
   */
  readonly sesIdentities?: readonly string[];
  /**
   * Emulate the SES sandbox: unverified recipients are refused, as on a new AWS account. Default:
   * off (an account with production access), or `PAYBUS_SES_SANDBOX=true`.
   */
  readonly sesSandbox?: boolean;
  /** Where warnings for the user go (an event on the default bus, an SES identity AWS would refuse); stderr by default. */
  readonly warn?: (message: string) => void;
  /** How long the gateway waits for an engine before answering an AWS-shaped timeout; default 60 s. */
  readonly upstreamTimeoutMs?: number;
  /**
   * Check every AWS request signed with a function's key against the IAM statements the plan grants
   * that function, and refuse it as AWS would (default true). Decisions are recorded either way.
   */
  readonly enforceIam?: boolean;
  /**
   * Services started after the standard ones (`local/services/index.ts`), e.g. an engine under
   * development or a test double of an outside API; their names must differ from the standard ones.
   */
  readonly services?: readonly LocalService[];
}

export interface RuntimeEndpoints {
  readonly gateway: string;
  readonly eventBridge: string;
  readonly sqs: string;
  readonly dynamodb: string;
  readonly stepFunctions: string;
  readonly ses: string;
  readonly sns: string;
}

/** Fault switches for the downstream services and the consumers, for tests and the reliability suite. */
export interface RuntimeFaults {
  readonly dynamodb: ServiceFaults;
  readonly ses: ServiceFaults;
  readonly sns: ServiceFaults;
  /** Consumer failures (a thrown record, a timed-out invocation) chosen per record and attempt. */
  readonly consumers: SwitchableChaos;
}

/** A service was asked for before it started (or it is not in the list). */
export class ServiceNotStartedError extends Error {
  override name = "ServiceNotStartedError";
  constructor(readonly service: string) {
    super(`the local service "${service}" is not running (not started yet, or not in local/services/index.ts)`);
  }
}

/** Two services in the list share a name (each is found by its name: `runtime.service(…)`). */
export class DuplicateServiceError extends Error {
  override name = "DuplicateServiceError";
  constructor(readonly service: string) {
    super(`two local services are named "${service}"`);
  }
}
