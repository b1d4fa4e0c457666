/**
 * The workflow declaration: every Step Functions state machine of paybus, the Lambda functions its
 * Task states invoke, and the scheduled functions that serve it, declared once.
 *
 * The SST stacks and the local runtime both read this module and {@link loadDefinition}; nothing
 * else restates a definition file, a handler path or a function's access.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Access, StateMachineName } from "../declarations/rules.ts";
import { ENGAGEMENT_EMAIL_TIMEOUT_SECONDS, FOLLOWUP_DISPATCH_TIMEOUT_SECONDS, LOYALTY_EXPIRY_TIMEOUT_SECONDS } from "../functions/common/timeouts.ts";

export { engagementInput, HIGH_VALUE_POINTS, type EngagementInput } from "../events/engagement-input.ts";

/** A Lambda function invoked by a state machine's Task states. */
export interface WorkflowFunctionDeclaration {
  readonly description: string;
  /** `<file without extension>.<export>`, relative to the repository root (SST's format). */
  readonly handler: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly access: Access;
}

export interface StateMachineDeclaration {
  readonly description: string;
  /** Standard: the follow-up waits 72 h on a task token, beyond Express's 5-minute limit. */
  readonly type: "STANDARD";
  /** ASL JSON, relative to the repository root; Lambda ARNs are `${LogicalName}` placeholders. */
  readonly definitionFile: string;
  /** The functions the definition invokes, by the logical name its placeholders use. */
  readonly functions: Readonly<Record<string, WorkflowFunctionDeclaration>>;
}

/** A function run on a schedule (an EventBridge Scheduler / rule `rate(...)` or `cron(...)`). */
export interface ScheduledFunctionDeclaration extends WorkflowFunctionDeclaration {
  readonly scheduleExpression: string;
  /** Bounded context (its stage environment, e.g. `PAYBUS_LOYALTY_CONFIG`); default `workflows`. */
  readonly context?: string;
}

/** Every state machine, by name. */
export const stateMachines = {
  engagement: {
    description:
      "After a credited purchase: congratulate, update the CRM and apply an offer on a tier upgrade, thank high-value " +
      "purchases, confirm the others; schedule a follow-up campaign 72 h later; record failures.",
    type: "STANDARD",
    definitionFile: "workflows/engagement.asl.json",
    functions: {
      EngagementEmail: {
        description: "Sends one engagement email (tier upgrade, high value, confirmation) once per execution and template.",
        handler: "functions/engagement-email/handler.handler",
        timeoutSeconds: ENGAGEMENT_EMAIL_TIMEOUT_SECONDS,
        memoryMb: 256,
        access: {
          tables: {
            // One send claim per execution and template (UpdateItem with a lease, GetItem when taken),
            // marked sent (PutItem) after SES accepts, released (DeleteItem) when SES refuses.
            loyalty: { actions: ["UpdateItem", "GetItem", "PutItem", "DeleteItem"], leadingKeys: ["ENGAGEMENT#*"] },
            profiles: { actions: ["GetItem"] },
          },
          email: true,
        },
      },
      EngagementCrm: {
        description: "Updates the customer's loyalty profile in the CRM record with the new tier.",
        handler: "functions/engagement-crm/handler.handler",
        timeoutSeconds: 10,
        memoryMb: 256,
        access: { tables: { loyalty: { actions: ["UpdateItem"], leadingKeys: ["CUSTOMER#*"] } } },
      },
      EngagementOffer: {
        description:
          "Grants the new tier's reward in the customer's Stripe account once (balance credit or promotion code, " +
          "Idempotency-Key per customer and tier) and records what was applied.",
        handler: "functions/engagement-offer/handler.handler",
        timeoutSeconds: 20,
        memoryMb: 256,
        // The reward record (GetItem, then a conditional PutItem); the Stripe key from Secrets Manager;
        // The profile names a Connect customer's account.
        access: { tables: { loyalty: { actions: ["PutItem", "GetItem"], leadingKeys: ["CUSTOMER#*"] }, profiles: { actions: ["GetItem"] } }, stripeApiKey: true },
      },
      FollowupSchedule: {
        description: "Stores the follow-up's task token with its due time; the dispatcher completes the task.",
        handler: "functions/engagement-followup-schedule/handler.handler",
        timeoutSeconds: 10,
        memoryMb: 256,
        access: { tables: { loyalty: { actions: ["PutItem"], leadingKeys: ["FOLLOWUP"] } } },
      },
      EngagementRecordFailure: {
        description: "Records why an engagement execution failed, for the operator.",
        handler: "functions/engagement-record-failure/handler.handler",
        timeoutSeconds: 10,
        memoryMb: 256,
        access: { tables: { loyalty: { actions: ["PutItem"], leadingKeys: ["ENGAGEMENT#*"] } } },
      },
    },
  },
} as const satisfies Record<StateMachineName, StateMachineDeclaration>;

/** Functions on a schedule that belong to the workflows. */
export const scheduledFunctions = {
  FollowupDispatch: {
    description:
      "Sends the follow-up campaigns that are due and completes their workflow tasks (SendTaskSuccess).",
    handler: "functions/engagement-followup-dispatch/handler.handler",
    scheduleExpression: "rate(5 minutes)",
    timeoutSeconds: FOLLOWUP_DISPATCH_TIMEOUT_SECONDS,
    memoryMb: 256,
    access: {
      tables: {
        loyalty: [
          // Due follow-ups, read and removed once sent.
          { actions: ["Query"], leadingKeys: ["FOLLOWUP"] },
          { actions: ["DeleteItem"], leadingKeys: ["FOLLOWUP", "ENGAGEMENT#*"] },
          // The follow-up email's send claim: claimed with a lease (UpdateItem, GetItem when taken),
          // marked sent (PutItem), released (DeleteItem above) when SES refuses the send.
          { actions: ["UpdateItem", "GetItem", "PutItem"], leadingKeys: ["ENGAGEMENT#*"] },
        ],
        profiles: { actions: ["GetItem"] },
      },
      email: true,
      taskTokens: ["engagement"],
    },
  },
  LoyaltyExpiry: {
    description: "Expires points lots whose time has come (oldest first, exactly once each) and warns customers before.",
    handler: "functions/loyalty-expiry/handler.handler",
    scheduleExpression: "rate(1 hour)",
    // The loyalty programme's configuration (expiry, warning lead) is the loyalty context's.
    context: "loyalty",
    timeoutSeconds: LOYALTY_EXPIRY_TIMEOUT_SECONDS,
    memoryMb: 256,
    access: {
      tables: {
        loyalty: [
          // The expiry index and warning claims (LOTEXPIRY); lots, balances and entries (CUSTOMER#…):
          // read, marked expired, debited, the expire entry written; warnings claimed and recorded.
          { actions: ["Query", "GetItem", "UpdateItem", "PutItem"], leadingKeys: ["LOTEXPIRY", "CUSTOMER#*"] },
          // Index items and warning claims removed once their lot expired, or a refused send released.
          { actions: ["DeleteItem"], leadingKeys: ["LOTEXPIRY"] },
          // The loyalty outbox (functions/loyalty/outbox.ts): PointsExpired written with the expiry,
          // leftovers read, each removed once on the bus.
          { actions: ["PutItem", "Query", "DeleteItem"], leadingKeys: ["OUTBOX#*"] },
        ],
        profiles: { actions: ["GetItem"] },
      },
      email: true,
      // PointsExpired, and the outbox's leftovers (PointsRedeemed whose PutEvents failed).
      putEvents: true,
    },
  },
} as const satisfies Record<string, ScheduledFunctionDeclaration>;

/** A placeholder in the ASL names a function the state machine does not declare. */
export class UndeclaredFunctionError extends Error {
  override name = "UndeclaredFunctionError";
}

const REPOSITORY_ROOT = fileURLToPath(new URL("../", import.meta.url));
const PLACEHOLDER = /^\$\{([A-Za-z][A-Za-z0-9]*)\}$/;

/** Replaces every string that is exactly a `${LogicalName}` placeholder, anywhere in the value. */
function substitute(value: unknown, replace: (logicalName: string) => string): unknown {
  if (typeof value === "string") {
    const match = PLACEHOLDER.exec(value);
    return match ? replace(match[1]!) : value;
  }
  if (Array.isArray(value)) return value.map((item) => substitute(item, replace));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, replace)]));
  }
  return value;
}

/** The logical function names a definition's placeholders use, in order of first use. */
export function definitionPlaceholders(definition: unknown): string[] {
  const names = new Set<string>();
  substitute(definition, (name) => {
    names.add(name);
    return name;
  });
  return [...names];
}

/** The ASL of a state machine as written, placeholders included. */
export function readDefinition(name: StateMachineName): object {
  return JSON.parse(readFileSync(`${REPOSITORY_ROOT}${stateMachines[name].definitionFile}`, "utf8")) as object;
}

/**
 * `definition` with every `${LogicalName}` replaced by `resolveFunctionArn(LogicalName)`.
 *
 * @throws UndeclaredFunctionError when a placeholder names none of `declared`.
 */
export function resolvePlaceholders(
  definition: object,
  declared: Readonly<Record<string, unknown>>,
  resolveFunctionArn: (logicalName: string) => string,
  source = "the definition",
): object {
  return substitute(definition, (logicalName) => {
    if (!Object.hasOwn(declared, logicalName)) {
      throw new UndeclaredFunctionError(`${source} uses \${${logicalName}}, which its declaration does not list`);
    }
    return resolveFunctionArn(logicalName);
  }) as object;
}

/**
 * The ASL of a state machine with every `${LogicalName}` replaced by `resolveFunctionArn(LogicalName)`
 * (a Lambda ARN in AWS; whatever name the local runtime's `invokeLambda` understands locally).
 *
 * @throws UndeclaredFunctionError when the definition uses a name the declaration lacks.
 */
export function loadDefinition(name: StateMachineName, resolveFunctionArn: (logicalName: string) => string): object {
  const machine = stateMachines[name];
  return resolvePlaceholders(readDefinition(name), machine.functions, resolveFunctionArn, machine.definitionFile);
}
