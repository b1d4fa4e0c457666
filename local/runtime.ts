/**
 * The embedded local runtime: the whole paybus pipeline on one machine, no AWS account, no Docker.
 *
 * It starts local engines for every AWS service paybus uses, creates the bus rules, queues, tables
 * and state machines from the same declarations the SST stacks read, and runs the unmodified
 * handlers as the deployment plan deploys them: each function in its own worker thread with exactly
 * the plan's environment (resolved to the local resources, the SDK pointed at the gateway through
 * `AWS_ENDPOINT_URL_<SERVICE>`) and its own credentials. The runtime's own `process.env` is untouched.
 */
import { CreatePlatformApplicationCommand, SNSClient } from "@aws-sdk/client-sns";
import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { queues, ruleList, type QueueName, type RuleDeclaration } from "../declarations/rules.ts";
import { tables } from "../functions/common/tables.ts";
import { DEFAULT_PROMOTIONS_CACHE_SECONDS, PROMOTIONS_CACHE_ENV } from "../functions/loyalty/promotion-key.ts";
import type { ProfileTable } from "../functions/common/profiles.ts";
import type { InfraPlan } from "../stacks/plan.ts";
import { stateMachines, scheduledFunctions, loadDefinition } from "../workflows/index.ts";
import { Archive } from "./archive.ts";
import { startLocalDynamo, type LocalDynamo } from "./dynamodb/index.ts";
import { EventSourceMapping, SwitchableChaos } from "./event-source-mapping.ts";
import { LocalEventBus, type PutEventsEntry, type RuleTargetBinding } from "./eventbridge.ts";
import { DeliveryLog } from "./bus-deliveries.ts";
import { SwitchableFaults } from "./faults.ts";
import { LOG_LEVELS, localFunctionName, localFunctions, localPlan, stateMachineArn, terminalLogLevel } from "./function-environment.ts";
import { Gateway, type AwsRequestObserver } from "./gateway.ts";
import { gatewayAuthorizer, LocalIam } from "./iam/enforcer.ts";
import { localPrincipals, localRequestContext, stateMachineOfExecution } from "./iam/local.ts";
import { Journal } from "./journal.ts";
import { localDynamoClient } from "./state.ts";
import { DataDirLock } from "./lock.ts";
import { LambdaHost, type LocalFunction } from "./lambda.ts";
import { declaredEmailIdentities, identityWarnings, LocalSes } from "./ses.ts";
import { LocalSns } from "./sns.ts";
import { LocalSqs } from "./sqs.ts";
import { LOCAL_STRIPE_API_KEY, LocalStripe } from "./stripe.ts";
import { startLocalStepFunctions, type LocalStepFunctions } from "./stepfunctions/index.ts";

export const PROJECT_ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));

export interface RuntimeOptions {
  /** Where balances (DynamoDB) and the bus archive are kept; in-memory DynamoDB when `null`. */
  readonly dataDir?: string | null;
  /**
   * Keeps DynamoDB tables and SQS queues in memory even with a `dataDir` (which then holds only
   * the archive): for one-shot runs (`paybus run`, backtests) that throw them away, disk writes
   * buy nothing.
   */
  readonly inMemory?: boolean;
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
  readonly dynamodb: SwitchableFaults;
  readonly ses: SwitchableFaults;
  readonly sns: SwitchableFaults;
  /** Consumer failures (a thrown record, a timed-out invocation) chosen per record and attempt. */
  readonly consumers: SwitchableChaos;
}

/** A running local runtime. */
export class Runtime {
  readonly journal = new Journal();
  /** Every warning given, in order (also written through {@link RuntimeOptions.warn}). */
  readonly warnings: string[] = [];
  readonly faults: RuntimeFaults = {
    dynamodb: new SwitchableFaults(),
    ses: new SwitchableFaults(),
    sns: new SwitchableFaults(),
    consumers: new SwitchableChaos(),
  };
  readonly mappings = new Map<QueueName, EventSourceMapping>();
  readonly lambda: LambdaHost;
  /** The functions, by local name (`<prefix>-<plan logical name>`). */
  readonly functions = new Map<string, LocalFunction>();
  /** The deployment plan the runtime runs (the `default` stage, with push). */
  readonly plan: InfraPlan = localPlan();
  readonly prefix: string;
  readonly region: string;
  readonly accountId: string;
  /** Local IAM at the gateway: `iam.decisions` records every authorization (caller, action, resource, allowed). */
  readonly iam: LocalIam;
  dynamo!: LocalDynamo;
  sqs!: LocalSqs;
  ses!: LocalSes;
  sns!: LocalSns;
  sfn!: LocalStepFunctions;
  /** The Stripe API endpoints the functions call (tier rewards), served at `/v1/…` on the gateway. */
  stripe!: LocalStripe;
  bus!: LocalEventBus;
  archive!: Archive;
  tableNames!: Record<keyof typeof tables, string>;
  endpoints!: RuntimeEndpoints;
  private gateway: Gateway | undefined;
  private lock: DataDirLock | undefined;
  private booted = false;

  private constructor(readonly options: RuntimeOptions) {
    this.prefix = options.prefix ?? "paybus";
    this.region = options.region ?? "us-east-1";
    this.accountId = options.accountId ?? "000000000000";
    const level = terminalLogLevel();
    this.lambda = new LambdaHost(PROJECT_ROOT, this.region, this.accountId, (_fn, chunk) => forwardLog(chunk, level));
    this.iam = new LocalIam({ enabled: options.enforceIam ?? true, onDenied: (message) => this.warn(message) });
  }

  /** Starts every engine and the gateway; resolves once the pipeline accepts events. */
  static async start(options: RuntimeOptions = {}): Promise<Runtime> {
    const runtime = new Runtime(options);
    try {
      await runtime.boot();
    } catch (error) {
      await runtime.stop();
      throw error;
    }
    return runtime;
  }

  private get dataDir(): string | undefined {
    if (this.options.dataDir === null) return undefined;
    return resolve(this.options.dataDir ?? join(PROJECT_ROOT, ".paybus"));
  }

  private async boot(): Promise<void> {
    const host = this.options.host ?? "127.0.0.1";
    const timeScale = this.options.timeScale ?? 1;
    const dataDir = this.dataDir;
    // Before any engine opens its files: a second runtime on the same directory says who holds it.
    if (dataDir) this.lock = DataDirLock.acquire(dataDir, { port: this.options.port || undefined });
    // The stable port next, so a taken port is reported before anything else starts.
    await this.startGateway(host);
    this.stripe = new LocalStripe(dataDir ? join(dataDir, "stripe", "objects.jsonl") : undefined);
    this.gateway!.addRoute(this.stripe.gatewayRoute());

    const durableDir = this.options.inMemory ? undefined : dataDir;
    const tablesDir = durableDir && join(durableDir, "dynamodb");
    this.dynamo = await startLocalDynamo({ ...(tablesDir ? { dataDir: tablesDir } : {}), host, port: 0, faults: this.faults.dynamodb });
    this.tableNames = await this.dynamo.createTables(tables, this.prefix);
    const sesIdentities = this.options.sesIdentities ?? declaredEmailIdentities();
    this.ses = new LocalSes({
      journal: this.journal,
      faults: this.faults.ses,
      host,
      region: this.region,
      identities: sesIdentities,
      sandbox: this.options.sesSandbox ?? process.env.PAYBUS_SES_SANDBOX === "true",
      // The outbox survives a restart with the data directory.
      ...(dataDir ? { stateFile: join(dataDir, "ses", "outbox.jsonl") } : {}),
    });
    for (const warning of identityWarnings(sesIdentities)) this.warn(warning);
    const emailFrom = this.options.env?.PAYBUS_EMAIL_FROM ?? process.env.PAYBUS_EMAIL_FROM;
    if (emailFrom && !this.ses.identities.isVerified(emailFrom)) {
      this.warn(`SES: PAYBUS_EMAIL_FROM=${emailFrom} is not a declared identity (${sesIdentities.join(", ")}): every send will fail with MessageRejected, as in AWS. Declare it in stacks/stages.ts (emailFrom, emailIdentity).`);
    }
    this.sns = new LocalSns({
      region: this.region,
      accountId: this.accountId,
      journal: this.journal,
      faults: this.faults.sns,
      host,
      // Platform endpoints and the outbox survive a restart with the data directory.
      ...(dataDir ? { stateDir: join(dataDir, "sns") } : {}),
    });
    await Promise.all([this.ses.start(), this.sns.start()]);
    await this.createPushApplications();
    this.sqs = await LocalSqs.start({
      host,
      region: this.region,
      accountId: this.accountId,
      prefix: this.prefix,
      timeScale,
      ...(durableDir ? { dataDir: join(durableDir, "sqs") } : {}),
    });

    this.registerFunctions();
    this.sfn = await startLocalStepFunctions({
      host,
      port: 0,
      region: this.region,
      accountId: this.accountId,
      timeScale: this.options.workflowTimeScale ?? 1,
      retryIntervalScale: timeScale,
      stateMachines: Object.keys(stateMachines).map((name) => ({
        name: `${this.prefix}-${name}`,
        definition: loadDefinition(name as keyof typeof stateMachines, (logical) => this.lambda.functionArn(localFunctionName(this.prefix, logical))),
      })),
      invokeLambda: (arnOrName, payload) => this.invokeByArn(arnOrName, payload),
      functionTimeout: (arnOrName) => this.functions.get(functionNameOf(arnOrName))?.timeoutSeconds,
      // Executions, their history and task tokens survive a restart (running ones resume below).
      ...(dataDir ? { dataDir: join(dataDir, "stepfunctions") } : {}),
    });
    this.journalWorkflows();
    this.configureIam();

    this.archive = new Archive(join(dataDir ?? join(PROJECT_ROOT, ".paybus", "tmp"), "archive", `${this.busName}.jsonl`));
    for (const [name, declaration] of Object.entries(queues)) this.sqs.createQueue(name, declaration);
    this.bus = new LocalEventBus({
      name: this.busName,
      region: this.region,
      accountId: this.accountId,
      rules: this.options.rules ?? ruleList,
      targets: (rule) => this.bindTarget(rule),
      journal: this.journal,
      archive: this.archive,
      retryTimeScale: timeScale,
      warn: (message) => this.warn(message),
      // Deliveries not finished when the process stopped are resumed below (without a data
      // directory the archive is scratch space and nothing is resumed).
      ...(dataDir ? { deliveries: new DeliveryLog(join(dataDir, "archive", `${this.busName}.delivered.jsonl`)) } : {}),
    });

    // The queues (and the target DLQs the bus just created) are on disk before anything is accepted.
    await this.sqs.engine.durable();
    this.endpoints = {
      gateway: this.gatewayUrl,
      eventBridge: this.gatewayUrl,
      sqs: this.sqs.endpoint,
      dynamodb: this.dynamo.endpoint,
      stepFunctions: this.sfn.endpoint,
      ses: this.ses.endpoint,
      sns: this.sns.endpoint,
    };
    // Functions reach every service through the gateway from here on.
    this.booted = true;

    for (const [name, declaration] of Object.entries(queues) as Array<[QueueName, (typeof queues)[QueueName]]>) {
      const consumer = this.plan.queues.find((queue) => queue.queue === name)!.consumer;
      const mapping = new EventSourceMapping({
        sqs: this.sqs,
        queue: this.sqs.queue(name),
        fn: this.functionFor(consumer),
        consumer: declaration.consumer,
        lambda: this.lambda,
        journal: this.journal,
        region: this.region,
        retryAfterSeconds: this.sqs.scaled(declaration.visibilityTimeoutSeconds),
        chaos: this.faults.consumers,
      });
      this.mappings.set(name, mapping);
      mapping.start();
    }
    // Last, once the gateway serves the functions' calls: resumed tasks invoke them.
    this.sfn.resume();
    this.bus.resumeDeliveries();
  }

  /** Records a warning for the user and prints it (stderr unless {@link RuntimeOptions.warn} says otherwise). */
  warn(message: string): void {
    this.warnings.push(message);
    (this.options.warn ?? ((line: string) => process.stderr.write(`${line}\n`)))(message);
  }

  /** The local push applications the device API registers endpoints in, by platform. */
  pushApplications: Record<string, string> = {};

  /** One platform application per platform, created through the SNS API as the stacks create it in AWS. */
  private async createPushApplications(): Promise<void> {
    const client = new SNSClient({ endpoint: this.sns.endpoint, region: this.region, credentials: { accessKeyId: "local", secretAccessKey: "local" } });
    try {
      for (const platform of ["GCM", "APNS", "APNS_SANDBOX"]) {
        const credentials: Record<string, string> =
          platform === "GCM" ? { PlatformCredential: "local-fcm-key" } : { PlatformCredential: "local-apns-key", PlatformPrincipal: "local-apns-key-id" };
        const { PlatformApplicationArn } = await client.send(
          new CreatePlatformApplicationCommand({ Name: `${this.prefix}-app`, Platform: platform, Attributes: credentials }),
        );
        this.pushApplications[platform] = PlatformApplicationArn!;
      }
    } finally {
      client.destroy();
    }
  }

  get busName(): string {
    return this.options.busName ?? `${this.prefix}-bus`;
  }

  get gatewayUrl(): string {
    return this.gateway?.url ?? "";
  }

  /** The plan's functions, named and configured as the plan deploys them, resolved to the local resources. */
  private registerFunctions(): void {
    const functions = localFunctions(this.plan, {
      prefix: this.prefix,
      region: this.region,
      accountId: this.accountId,
      busName: this.busName,
      tableNames: this.tableNames,
      pushApplications: this.pushApplications,
      gateway: this.gatewayUrl,
      extra: {
        // The loyalty consumer's promotion cache (30 s in AWS), scaled like every other local duration.
        [PROMOTIONS_CACHE_ENV]: String(DEFAULT_PROMOTIONS_CACHE_SECONDS * (this.options.timeScale ?? 1)),
        ...this.options.env,
      },
    });
    for (const fn of functions) this.functions.set(fn.name, fn);
    this.lambda.prepare(functions);
  }

  /** The local function of a plan logical name (`WebhookBridge`, `LoyaltyConsumer`). */
  functionFor(logicalName: string): LocalFunction {
    const fn = this.functions.get(localFunctionName(this.prefix, logicalName));
    if (!fn) throw Object.assign(new Error(`Function not found: ${logicalName} (the plan has ${[...this.functions.keys()].join(", ")})`), { name: "ResourceNotFoundException" });
    return fn;
  }

  /**
   * Calls `observer` with every AWS request the gateway serves (the caller's access key tells
   * which function made it); returns a function that stops observing.
   */
  observeAwsRequests(observer: AwsRequestObserver): () => void {
    return this.gateway!.observe(observer);
  }

  /** Invokes a function by name or ARN (Step Functions tasks, scheduled functions). */
  async invokeByArn(arnOrName: string, payload: unknown): Promise<unknown> {
    // `arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`, or the bare name.
    const fn = this.functions.get(functionNameOf(arnOrName));
    if (!fn) throw Object.assign(new Error(`Function not found: ${arnOrName}`), { name: "ResourceNotFoundException" });
    const invocation = await this.lambda.invoke(fn, payload);
    if (!invocation.ok) throw invocation.error;
    return invocation.result;
  }

  /** Runs a scheduled function now, as its EventBridge schedule would (the event carries `time`). */
  async runScheduled(logical: keyof typeof scheduledFunctions, time = new Date()): Promise<unknown> {
    return this.invokeByArn(localFunctionName(this.prefix, logical), {
      version: "0",
      id: crypto.randomUUID(),
      "detail-type": "Scheduled Event",
      source: "aws.events",
      account: this.accountId,
      time: time.toISOString().replace(/\.\d{3}Z$/, "Z"),
      region: this.region,
      resources: [`arn:aws:events:${this.region}:${this.accountId}:rule/${this.prefix}-${logical}`],
      detail: {},
    });
  }

  private bindTarget(rule: RuleDeclaration): RuleTargetBinding {
    const dlq = this.sqs.createPlainQueue(`${rule.name}-target-dlq`);
    const deadLetter: RuleTargetBinding["deadLetter"] = async (eventJson, error, ruleArn) => {
      await this.sqs.send(dlq.url, eventJson, {
        RULE_ARN: { DataType: "String", StringValue: ruleArn },
        ERROR_CODE: { DataType: "String", StringValue: error.name || "Error" },
        ERROR_MESSAGE: { DataType: "String", StringValue: error.message.slice(0, 256) || "(no message)" },
      });
    };
    if ("queue" in rule.target) {
      const queue = this.sqs.queue(rule.target.queue);
      return {
        arn: queue.arn,
        deliver: async (eventJson) => {
          await this.sqs.send(queue.url, eventJson);
        },
        deadLetter,
      };
    }
    const machine = rule.target.stateMachine;
    const arn = stateMachineArn(this, machine);
    const client = new SFNClient({ endpoint: this.sfn.endpoint, region: this.region, credentials: { accessKeyId: "local", secretAccessKey: "local" } });
    return {
      arn,
      deliver: async (eventJson) => {
        await client.send(new StartExecutionCommand({ stateMachineArn: arn, input: eventJson }));
      },
      deadLetter,
    };
  }

  /** Journals each workflow execution when it starts and when it ends. */
  private journalWorkflows(): void {
    // Executions read back from the data directory were journaled by the process that started them.
    const seen = new Map<string, string>(this.sfn.executions().map((execution) => [execution.executionArn, execution.status]));
    this.sfn.onChange((change) => {
      if (change.kind !== "execution") return;
      const execution = this.sfn.execution(change.executionArn);
      if (seen.get(execution.executionArn) === execution.status) return;
      if (!seen.has(execution.executionArn)) {
        this.journal.record({ kind: "workflow.started", executionArn: execution.executionArn, stateMachine: execution.stateMachineArn, name: execution.name });
      }
      seen.set(execution.executionArn, execution.status);
      if (execution.status !== "RUNNING") this.journal.record({ kind: "workflow.finished", executionArn: execution.executionArn, status: execution.status });
    });
  }

  private profiles: ProfileTable | undefined;

  /**
   * The profiles table with administrator credentials, for what stands outside the functions
   * (demo seeding, tests and benchmarks): the runtime's own process has no function environment.
   */
  get profileTable(): ProfileTable {
    this.profiles ??= { client: localDynamoClient(this), tableName: this.tableNames.profiles };
    return this.profiles;
  }

  /** Gives the gateway's IAM the plan's grants, resolved to this runtime's names. */
  private configureIam(): void {
    const subject = {
      prefix: this.prefix,
      region: this.region,
      accountId: this.accountId,
      busName: this.busName,
      functions: this.functions,
      tableNames: this.tableNames,
      partitionKeys: Object.fromEntries(Object.entries(tables).map(([name, table]) => [name, table.partitionKey.name])),
      pushApplications: this.pushApplications,
      emailFrom: this.options.env?.PAYBUS_EMAIL_FROM ?? process.env.PAYBUS_EMAIL_FROM,
      sesIdentities: this.ses.identities.identities,
      taskTokenStateMachine: (token: string) => {
        const pending = this.sfn.pendingTaskTokens().find((candidate) => candidate.token === token);
        return pending && stateMachineOfExecution(pending.executionArn);
      },
    };
    this.iam.configure(localPrincipals(subject), localRequestContext(subject));
  }

  /** Adds a gateway route (webhook bridge, admin API, dashboard); a route returns true when it answered. */
  addRoute(route: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>): void {
    this.gateway!.addRoute(route);
  }

  /** Every service on one port: the engines behind the gateway, EventBridge in process. */
  private async startGateway(host: string): Promise<void> {
    this.gateway = new Gateway({
      host,
      port: this.options.port ?? 0,
      upstreamTimeoutMs: this.options.upstreamTimeoutMs,
      ready: () => this.booted,
      upstreams: () => ({ sqs: this.sqs.endpoint, dynamodb: this.dynamo.endpoint, states: this.sfn.endpoint, ses: this.ses.endpoint, sns: this.sns.endpoint }),
      inProcess: () => ({ events: { prefix: "AWSEvents", operations: this.bus.operations() } }),
      authorize: gatewayAuthorizer(this.iam),
      onInternalError: (error, req) => this.journal.record({ kind: "runtime.error", where: `${req.method} ${req.url?.split("?")[0] ?? ""}`, error: error.message }),
    });
    await this.gateway.start();
  }

  /**
   * Puts events on the bus as the Stripe partner source would (the partner integration may use
   * `aws.partner/…` sources, which PutEvents refuses from callers). Accepts full envelopes, such as
   * the fixtures; returns one result per event, in order.
   */
  sendEnvelopes(envelopes: ReadonlyArray<Record<string, unknown>>): Array<{ EventId: string } | { ErrorCode: string; ErrorMessage: string }> {
    const results = [];
    for (let i = 0; i < envelopes.length; i += 10) {
      const entries = envelopes.slice(i, i + 10).map((envelope) => ({ ...envelopeToEntry(envelope), EventBusName: this.busName }));
      results.push(...this.bus.putEvents(entries, { partner: true }).Entries);
    }
    return results;
  }

  /** Moves DLQ messages (all, or the given ids) back to their queue, journaled; returns the ids moved. */
  async redriveDlq(queue: QueueName, messageIds?: readonly string[]): Promise<string[]> {
    const moved = await this.sqs.redrive(queue, messageIds);
    for (const messageId of moved) this.journal.record({ kind: "queue.redrive", queue, messageId });
    return moved;
  }

  /** Deletes DLQ messages (all, or the given ids) for good, journaled; returns the ids deleted. */
  async discardDlq(queue: QueueName, messageIds?: readonly string[]): Promise<string[]> {
    const deleted = await this.sqs.discard(queue, messageIds);
    for (const messageId of deleted) this.journal.record({ kind: "queue.discard", queue, messageId });
    return deleted;
  }

  /** True when no event is being delivered, no message is queued or in flight, and no batch runs. */
  isQuiet(): boolean {
    if (this.bus.busy) return false;
    for (const [name, mapping] of this.mappings) {
      if (mapping.busy) return false;
      mapping.syncDlq();
      const depth = this.sqs.depth(this.sqs.queue(name).physicalName);
      if (depth.ready + depth.inFlight + depth.delayed > 0) return false;
    }
    // An execution parked on a task token (the 72-hour follow-up) waits for the outside world.
    const waiting = new Set(this.sfn.pendingTaskTokens().map((token) => token.executionArn));
    return this.sfn.executions("RUNNING").every((execution) => waiting.has(execution.executionArn));
  }

  /** Resolves once the pipeline has been quiet for a moment; rejects after `timeoutMs`. */
  async waitForQuiet(timeoutMs = 60_000, settleMs = 300): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let quietSince: number | undefined;
    while (Date.now() < deadline) {
      if (this.isQuiet()) {
        quietSince ??= Date.now();
        if (Date.now() - quietSince >= settleMs) return;
      } else {
        quietSince = undefined;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`the pipeline did not settle within ${timeoutMs} ms (a consumer keeps failing, or the load is too high)`);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.mappings.values()].map((mapping) => mapping.stop()));
    // Workflows stop before the functions: a task cut short by the stop must resume at the next
    // start, not be recorded as failed by an execution still running.
    await Promise.allSettled([this.sfn?.close()]);
    await this.lambda.stop();
    this.profiles?.client.destroy();
    await this.gateway?.stop();
    await Promise.allSettled([this.sqs?.stop(), this.ses?.stop(), this.sns?.stop(), this.dynamo?.close()]);
    this.lock?.release();
  }
}

/** Depth, in-flight and DLQ size of every queue. */
export function queueStatus(runtime: Runtime) {
  return [...runtime.mappings.keys()].map((name) => {
    const handle = runtime.sqs.queue(name);
    return {
      queue: name,
      ...runtime.sqs.depth(handle.physicalName),
      dlq: runtime.sqs.depth(handle.dlqName).ready,
      pollError: runtime.mappings.get(name)?.lastPollError?.message,
    };
  });
}

/** A PutEvents entry from an envelope as delivered to targets (the shape of the fixtures). */
export function envelopeToEntry(envelope: Record<string, unknown>): PutEventsEntry {
  return {
    Source: envelope.source as string,
    DetailType: envelope["detail-type"] as string,
    ...(envelope.detail === undefined ? {} : { Detail: JSON.stringify(envelope.detail) }),
    Resources: Array.isArray(envelope.resources) ? (envelope.resources as string[]) : [],
    ...(typeof envelope.time === "string" ? { Time: envelope.time } : {}),
  };
}

/**
 * Writes a function's output to the terminal, as `POWERTOOLS_LOG_LEVEL` of the runtime process asks
 * (SILENT by default): Powertools JSON lines below that level are held back (the function logs at
 * WARN at least, so the runtime can read failure reasons), any other output passes.
 */
function forwardLog(chunk: string, level: string): void {
  const threshold = LOG_LEVELS.indexOf(level);
  const kept = chunk.split("\n").filter((line, index, lines) => {
    if (line === "" && index === lines.length - 1) return false;
    const lineLevel = /^\{.*"level":"([A-Z]+)"/.exec(line)?.[1];
    return lineLevel === undefined || LOG_LEVELS.indexOf(lineLevel) >= threshold;
  });
  if (kept.length > 0) process.stdout.write(`${kept.join("\n")}\n`);
}

/** A function's name from `arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]` or the bare name. */
function functionNameOf(arnOrName: string): string {
  return arnOrName.includes(":function:") ? arnOrName.split(":function:")[1]!.split(":")[0]! : arnOrName;
}
