/**
 * The Lambda host: the plan's functions, each in worker threads of its own (one per execution environment) with exactly the
 * environment the plan gives it (resolved to this runtime's resources) and its own credentials, and
 * one event source mapping per declared queue. Starts after DynamoDB, SNS and SQS (the environment
 * names their tables, applications and queues).
 */
import { queues, type QueueName } from "../../declarations/rules.ts";
import { settingProblems } from "../../declarations/settings.ts";
import { DEFAULT_PROMOTIONS_CACHE_SECONDS, PROMOTIONS_CACHE_ENV } from "../../functions/loyalty/promotion-key.ts";
import { consumerFaults, EventSourceMapping } from "../event-source-mapping.ts";
import type { InfraPlan } from "../../stacks/plan.ts";
import { LOG_LEVELS, localFunctionName, localFunctions, terminalLogLevel } from "../function-environment.ts";
import { LambdaHost, type LocalFunction } from "../lambda.ts";
import { PROJECT_ROOT } from "../project-root.ts";
import { defineService } from "../service.ts";

export interface LambdaService {
  readonly host: LambdaHost;
  /** The functions, by local name (`<prefix>-<plan logical name>`). */
  readonly functions: Map<string, LocalFunction>;
  /** One event source mapping per declared queue, started once the runtime is ready. */
  readonly mappings: Map<QueueName, EventSourceMapping>;
}

export const lambdaService = defineService({
  name: "lambda",
  async start({ runtime, region, accountId, prefix, busName, timeScale, journal, options, warn }) {
    const level = terminalLogLevel();
    const transport = options.functionTransport ?? (process.env.PAYBUS_FUNCTION_TRANSPORT === "http" ? "http" : "port");
    const host = new LambdaHost(PROJECT_ROOT, region, accountId, (_fn, chunk) => forwardLog(chunk, level), {
      timeoutScale: options.functionTimeoutScale ?? 1,
      // The functions' SDK calls reach the gateway over their environments' ports, not loopback HTTP.
      ...(transport === "port" ? { transport: runtime.gatewayTransport } : {}),
      ...(options.maxEnvironmentsPerFunction !== undefined ? { maxEnvironmentsPerFunction: options.maxEnvironmentsPerFunction } : {}),
      ...(options.maxEnvironmentsByFunction ? { maxEnvironmentsByFunction: capsByName(runtime.plan, prefix, options.maxEnvironmentsByFunction) } : {}),
      ...(options.waitingEnvironmentsPerFunction !== undefined ? { waitingEnvironmentsPerFunction: options.waitingEnvironmentsPerFunction } : {}),
    });
    const planned = localFunctions(runtime.plan, {
      prefix,
      region,
      accountId,
      busName,
      tableNames: runtime.tableNames,
      pushApplications: runtime.pushApplications,
      gateway: runtime.gatewayUrl,
      extra: {
        // The loyalty consumer's promotion cache (30 s in AWS), scaled like every other local duration.
        [PROMOTIONS_CACHE_ENV]: String(DEFAULT_PROMOTIONS_CACHE_SECONDS * timeScale),
        ...options.env,
      },
    });
    const functions = new Map(planned.map((fn) => [fn.name, fn]));
    // What a deploy refuses (declarations/settings.ts), checked on the environments the functions
    // were given, and said at start rather than by every event's DLQ reason.
    for (const problem of new Set(planned.flatMap((fn) => settingProblems(fn.environment)))) {
      warn(`settings: ${problem} — the functions that read it will fail every event (into a DLQ) until it is fixed`);
    }
    host.prepare(planned);
    const faults = consumerFaults();
    const mappings = new Map<QueueName, EventSourceMapping>();
    const handle: LambdaService = { host, functions, mappings };
    return {
      handle,
      faults,
      ready() {
        const sqs = runtime.sqs;
        for (const [name, declaration] of Object.entries(queues) as Array<[QueueName, (typeof queues)[QueueName]]>) {
          const consumer = runtime.plan.queues.find((queue) => queue.queue === name)!.consumer;
          const mapping = new EventSourceMapping({
            sqs,
            queue: sqs.queue(name),
            fn: runtime.functionFor(consumer),
            consumer: declaration.consumer,
            lambda: host,
            journal,
            region,
            retryAfterSeconds: sqs.scaled(declaration.visibilityTimeoutSeconds),
            chaos: faults,
          });
          mappings.set(name, mapping);
          mapping.start();
        }
      },
      // Consumers stop first: no batch may start once services begin to stop.
      drain: async () => void (await Promise.all([...mappings.values()].map((mapping) => mapping.stop()))),
      stop: () => host.stop(),
    };
  },
});

/** Caps by plan logical name as caps by function name; a name the plan lacks is refused (a typo would cap nothing). */
function capsByName(plan: InfraPlan, prefix: string, caps: Readonly<Record<string, number>>): Record<string, number> {
  const known = new Set(plan.functions.map((fn) => fn.logicalName));
  const unknown = Object.keys(caps).filter((logical) => !known.has(logical));
  if (unknown.length > 0) throw new Error(`maxEnvironmentsByFunction: no function ${unknown.join(", ")} in the plan (it has ${[...known].join(", ")})`);
  return Object.fromEntries(Object.entries(caps).map(([logical, cap]) => [localFunctionName(prefix, logical), cap]));
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
