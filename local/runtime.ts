/**
 * The embedded local runtime: the whole paybus pipeline on one machine, no AWS account, no Docker.
 *
 * It composes the local services (`local/services/`, one {@link LocalService} each: DynamoDB, SES,
 * SNS, SQS, the Lambda host, Step Functions, EventBridge, the Stripe API) behind one gateway port.
 * They create the bus rules, queues, tables and state machines from the same declarations the SST
 * stacks read, and run the unmodified handlers as the deployment plan deploys them: each function in
 * worker threads of its own (its execution environments) with exactly the plan's environment (resolved to the local resources, the
 * SDK pointed at the gateway through `AWS_ENDPOINT_URL_<SERVICE>`) and its own credentials. The
 * runtime's own `process.env` is untouched.
 */
import { join, resolve } from "node:path";
import type { QueueName, RuleDeclaration } from "../declarations/rules.ts";
import type { ProfileTable } from "../functions/common/profiles.ts";
import type { InfraPlan } from "../stacks/plan.ts";
import type { scheduledFunctions } from "../workflows/index.ts";
import type { Archive } from "./archive.ts";
import type { Replays } from "./eventbridge/replays.ts";
import type { LocalDynamo } from "./dynamodb/index.ts";
import type { EventSourceMapping, SwitchableChaos } from "./event-source-mapping.ts";
import type { LocalEventBus, PutEventsEntry } from "./eventbridge.ts";
import type { FaultSwitch, ServiceFaults } from "./faults.ts";
import { localFunctionName, localPlan } from "./function-environment.ts";
import type { AwsRequestObserver, Gateway, Route, ServiceName } from "./gateway.ts";
import { LocalIam } from "./iam/enforcer.ts";
import { Journal, JOURNAL_FILE } from "./journal.ts";
import type { LambdaHost, LocalFunction } from "./lambda.ts";
import type { FunctionTransport } from "./lambda-transport.ts";
import { DataDirLock } from "./lock.ts";
import { PROJECT_ROOT } from "./project-root.ts";
import { isQuiet, waitForQuiet } from "./quiescence.ts";
import { configureIam, functionNameOf } from "./runtime-bindings.ts";
import { discardDlq, redriveDlq } from "./runtime-dlq.ts";
import { DuplicateServiceError, ServiceNotStartedError, type RuntimeEndpoints, type RuntimeFaults, type RuntimeOptions } from "./runtime-options.ts";
import { startRuntimeGateway } from "./runtime-gateway.ts";
import type { HandleOf, LocalService, ServiceApi, ServiceContext, StartedService } from "./service.ts";
import type { DynamoService } from "./services/dynamodb.ts";
import { envelopeToEntry } from "./services/eventbridge.ts";
import { dynamodbService, eventBridgeService, lambdaService, localServices, sesService, snsService, sqsService, stepFunctionsService, stripeService } from "./services/index.ts";
import type { LocalSes } from "./ses.ts";
import type { LocalSns } from "./sns.ts";
import type { LocalSqs } from "./sqs.ts";
import { localDynamoClient } from "./state.ts";
import type { LocalStepFunctions } from "./stepfunctions/index.ts";
import type { LocalStripe } from "./stripe.ts";

export { PROJECT_ROOT };
export { queueStatus } from "./runtime-dlq.ts";
export { envelopeToEntry } from "./services/eventbridge.ts";
export { DuplicateServiceError, ServiceNotStartedError, type RuntimeEndpoints, type RuntimeFaults, type RuntimeOptions } from "./runtime-options.ts";

/** A running local runtime. */
export class Runtime {
  readonly journal = new Journal();
  /** Every warning given, in order (also written through {@link RuntimeOptions.warn}). */
  readonly warnings: string[] = [];
  /** The deployment plan the runtime runs (the `default` stage, with push). */
  readonly plan: InfraPlan = localPlan();
  readonly prefix: string;
  readonly region: string;
  readonly accountId: string;
  /** Local IAM at the gateway: `iam.decisions` records every authorization (caller, action, resource, allowed). */
  readonly iam: LocalIam;
  endpoints!: RuntimeEndpoints;
  /** The started services, in start order. */
  private readonly started = new Map<string, StartedService<unknown>>();
  private readonly apis = new Map<ServiceName, ServiceApi>();
  private gateway: Gateway | undefined;
  private lock: DataDirLock | undefined;
  private booted = false;
  private profiles: ProfileTable | undefined;
  private stopping: Promise<void> | undefined;

  private constructor(readonly options: RuntimeOptions) {
    this.prefix = options.prefix ?? "paybus";
    this.region = options.region ?? "us-east-1";
    this.accountId = options.accountId ?? "000000000000";
    this.iam = new LocalIam({ enabled: options.enforceIam ?? true, onDenied: (message) => this.warn(message) });
  }

  /** Starts every service and the gateway; resolves once the pipeline accepts events. */
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
    const dataDir = this.dataDir;
    // Before any engine opens its files: a second runtime on the same directory says who holds it.
    if (dataDir) this.lock = DataDirLock.acquire(dataDir, { port: this.options.port || undefined });
    if (dataDir && !this.options.inMemory) {
      this.journal.keepIn(join(dataDir, JOURNAL_FILE), (error) => this.warn(`journal: an entry could not be written to ${JOURNAL_FILE} (${error.message}); the dashboard and \`paybus status\` will not show it after a restart`));
    }
    const services = [...localServices, ...(this.options.services ?? [])] as LocalService[];
    const names = services.map((service) => service.name);
    const duplicate = names.find((name, index) => names.indexOf(name) !== index);
    if (duplicate !== undefined) throw new DuplicateServiceError(duplicate);
    // The stable port next, so a taken port is reported before anything else starts.
    this.gateway = await startRuntimeGateway({
      host,
      port: this.options.port ?? 0,
      routing: services.flatMap((service) => (service.routing ? [service.routing] : [])),
      upstreamTimeoutMs: this.options.upstreamTimeoutMs,
      apis: this.apis,
      ready: () => this.booted,
      iam: this.iam,
      journal: this.journal,
    });
    const context: ServiceContext = {
      host,
      region: this.region,
      accountId: this.accountId,
      prefix: this.prefix,
      busName: this.busName,
      timeScale: this.options.timeScale ?? 1,
      dataDir,
      durableDir: this.options.inMemory ? undefined : dataDir,
      journal: this.journal,
      options: this.options,
      warn: (message) => this.warn(message),
      runtime: this,
    };
    for (const service of services) {
      const started = await service.start(context);
      this.started.set(service.name, started);
      if (started.api) this.apis.set(started.api.service, started.api);
      for (const route of started.routes ?? []) this.gateway.addRoute(route);
    }
    configureIam(this);
    const upstream = (name: ServiceName) => {
      const api = this.apis.get(name);
      return api && "upstream" in api ? api.upstream : this.gatewayUrl;
    };
    this.endpoints = {
      gateway: this.gatewayUrl,
      eventBridge: this.gatewayUrl,
      sqs: upstream("sqs"),
      dynamodb: upstream("dynamodb"),
      stepFunctions: upstream("states"),
      ses: upstream("ses"),
      sns: upstream("sns"),
    };
    // Functions reach every service through the gateway from here on; then the services start work.
    this.booted = true;
    for (const started of this.started.values()) started.ready?.();
  }

  /** A started service's handle, e.g. `runtime.service(sqsService)`; throws {@link ServiceNotStartedError}. */
  service<S extends LocalService>(service: S): HandleOf<S> {
    const started = this.started.get(service.name);
    if (!started) throw new ServiceNotStartedError(service.name);
    return started.handle as HandleOf<S>;
  }

  /** Every started service's fault switch, by service name. */
  faultSwitches(): Record<string, FaultSwitch<any, any>> {
    return Object.fromEntries([...this.started].flatMap(([name, started]) => (started.faults ? [[name, started.faults]] : [])));
  }

  /** The fault switches of the services the tests and the reliability suite drive. */
  get faults(): RuntimeFaults {
    const of = (service: LocalService) => {
      const faults = this.started.get(service.name)?.faults;
      if (!faults) throw new ServiceNotStartedError(service.name);
      return faults;
    };
    return { dynamodb: of(dynamodbService), ses: of(sesService), sns: of(snsService), consumers: of(lambdaService) };
  }

  get dynamo(): LocalDynamo { return this.service(dynamodbService).engine; }
  /** Physical table names by logical name. */
  get tableNames(): DynamoService["tableNames"] { return this.service(dynamodbService).tableNames; }
  get ses(): LocalSes { return this.service(sesService); }
  get sns(): LocalSns { return this.service(snsService).engine; }
  /** The local push applications the device API registers endpoints in, by platform. */
  get pushApplications(): Record<string, string> { return this.service(snsService).pushApplications; }
  get sqs(): LocalSqs { return this.service(sqsService); }
  get lambda(): LambdaHost { return this.service(lambdaService).host; }
  /** The functions, by local name (`<prefix>-<plan logical name>`). */
  get functions(): Map<string, LocalFunction> { return this.service(lambdaService).functions; }
  get mappings(): Map<QueueName, EventSourceMapping> { return this.service(lambdaService).mappings; }
  get sfn(): LocalStepFunctions { return this.service(stepFunctionsService); }
  /** The Stripe API endpoints the functions call (tier rewards), served at `/v1/…` on the gateway. */
  get stripe(): LocalStripe { return this.service(stripeService); }
  get bus(): LocalEventBus { return this.service(eventBridgeService).bus; }
  get archive(): Archive { return this.service(eventBridgeService).archive; }
  /** The archive's replays: `runtime.replays.start(filter)` replays as `paybus replay` does. */
  get replays(): Replays { return this.service(eventBridgeService).replays; }

  /** Records a warning for the user and prints it (stderr unless {@link RuntimeOptions.warn} says otherwise). */
  warn(message: string): void {
    this.warnings.push(message);
    (this.options.warn ?? ((line: string) => process.stderr.write(`${line}\n`)))(message);
  }

  get busName(): string { return this.options.busName ?? `${this.prefix}-bus`; }

  get gatewayUrl(): string { return this.gateway?.url ?? ""; }

  /** The gateway's entry for the functions' SDK calls without a socket (`local/lambda-transport.ts`). */
  get gatewayTransport(): FunctionTransport {
    const gateway = this.gateway!;
    return { authority: new URL(gateway.url).host, serve: (request, res) => gateway.serveDetached(request, res) };
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

  /**
   * The profiles table with administrator credentials, for what stands outside the functions
   * (demo seeding, tests and benchmarks): the runtime's own process has no function environment.
   */
  get profileTable(): ProfileTable {
    this.profiles ??= { client: localDynamoClient(this), tableName: this.tableNames.profiles };
    return this.profiles;
  }

  /** Adds a gateway route (webhook bridge, admin API, dashboard); a route returns true when it answered. */
  addRoute(route: Route): void {
    this.gateway!.addRoute(route);
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
  redriveDlq(queue: QueueName, messageIds?: readonly string[]): Promise<string[]> {
    return redriveDlq(this, queue, messageIds);
  }

  /** Deletes DLQ messages (all, or the given ids) for good, journaled; returns the ids deleted. */
  discardDlq(queue: QueueName, messageIds?: readonly string[]): Promise<string[]> {
    return discardDlq(this, queue, messageIds);
  }

  /** True when no event is being delivered, no message is queued or in flight, and no batch runs. */
  isQuiet(): boolean {
    return isQuiet(this);
  }

  /** Resolves once the pipeline has been quiet for a moment; rejects after `timeoutMs`. */
  waitForQuiet(timeoutMs = 60_000, settleMs = 300): Promise<void> {
    return waitForQuiet(this, timeoutMs, settleMs);
  }

  /**
   * Stops the services in reverse start order — first each one drains (consumers stop taking
   * batches), then each one stops (workflows before the functions they invoke, the functions before
   * the engines they call) — then the gateway; releases the data directory last.
   */
  stop(): Promise<void> {
    // Once: a second call (a test's afterAll after its own stop) waits for the first.
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  private async stopAll(): Promise<void> {
    const started = [...this.started.values()].reverse();
    for (const service of started) await Promise.allSettled([service.drain?.()]);
    for (const service of started) await Promise.allSettled([service.stop()]);
    this.profiles?.client.destroy();
    await this.gateway?.stop();
    this.journal.close();
    this.lock?.release();
  }
}
