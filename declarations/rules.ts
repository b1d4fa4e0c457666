/**
 * The routing declaration: every EventBridge rule, queue and consumer of paybus, declared once.
 *
 * The SST stacks (`stacks/`) and the embedded local runtime (`local/`) both read this module;
 * nothing else restates a pattern, a queue setting or a handler path. Adding a rule is one entry in
 * {@link rules} (plus a queue in {@link queues} if it needs a new consumer).
 */
import { REGISTRATION_KEY_PREFIX } from "../functions/devices/idempotency-key.ts";
import { ADJUSTMENT_KEY_PREFIX, REDEMPTION_KEY_PREFIX } from "../functions/loyalty-api/idempotency-key.ts";
import { LIFECYCLE_PARTITION_PREFIX } from "../functions/lifecycle/notice.ts";
import { lifecycleNotices } from "../functions/lifecycle/notices/index.ts";
import { PROMOTIONS_KEY } from "../functions/loyalty/promotion-key.ts";
import { LOYALTY_API_TIMEOUT_SECONDS, LOYALTY_MILESTONES_TIMEOUT_SECONDS, LOYALTY_VIP_TIMEOUT_SECONDS } from "../functions/common/timeouts.ts";
import { LOYALTY_SOURCE } from "../events/loyalty-events.ts";
import { PARTNER_SOURCE_PREFIX, WEBHOOK_SOURCE } from "../events/sources.ts";

export { PARTNER_SOURCE_PREFIX, WEBHOOK_SOURCE };

/** An EventBridge event pattern, exactly as the JSON AWS receives. */
export type EventPattern = { readonly [key: string]: unknown };

/**
 * The `source` clause that accepts Stripe events from the partner event source and from the
 * webhook bridge. With `destinationIds`, only those event destinations (`ed_…`, `ed_test_…`) are
 * trusted; otherwise any Stripe destination is.
 */
export function stripeSources(options: { destinationIds?: readonly string[] } = {}): unknown[] {
  const partner =
    options.destinationIds && options.destinationIds.length > 0
      ? options.destinationIds.map((id) => `${PARTNER_SOURCE_PREFIX}${id}`)
      : [{ prefix: PARTNER_SOURCE_PREFIX }];
  return [...partner, WEBHOOK_SOURCE];
}

/** A DynamoDB item action, as IAM names it without the `dynamodb:` prefix. */
export type TableAction = "GetItem" | "BatchGetItem" | "Query" | "PutItem" | "UpdateItem" | "DeleteItem" | "ConditionCheckItem";

/**
 * What one function does on one table. `test/iam.e2e.test.ts` records every SDK call each function
 * makes and fails when an action (or a key pattern) here is never used, or a used one is missing.
 */
export interface TableAccess {
  /** Exactly the item actions the function performs (transactions count per item: Put, Update, …). */
  readonly actions: readonly TableAction[];
  /**
   * Partition-key patterns (IAM `StringLike`, `*` any run) the function's items are confined to,
   * enforced with the `dynamodb:LeadingKeys` condition; omitted where the keys have no fixed shape.
   */
  readonly leadingKeys?: readonly string[];
}

/** What one function may reach; the stacks turn this into `link`s and the tests check it is minimal. */
export interface Access {
  /** Per table, one grant, or several where actions differ in the keys they touch. */
  readonly tables?: { readonly [T in TableName]?: TableAccess | readonly TableAccess[] };
  /** State machines whose executions the function starts. */
  readonly stateMachines?: readonly StateMachineName[];
  /** State machines whose callback tasks the function completes (SendTaskSuccess/Failure/Heartbeat). */
  readonly taskTokens?: readonly StateMachineName[];
  readonly email?: boolean;
  readonly push?: boolean;
  /** May put events on the paybus event bus. */
  readonly putEvents?: boolean;
  /**
   * Manages the push application's device endpoints: `register` creates, reads, re-enables and
   * deletes them (the device API), `delete` only deletes them (erasing a deleted customer).
   */
  readonly deviceEndpoints?: "register" | "delete";
  /** May read the Stripe webhook signing secrets from Secrets Manager (the webhook bridge). */
  readonly webhookSecret?: boolean;
  /** May read the Stripe API secret key from Secrets Manager (tier rewards applied in Stripe). */
  readonly stripeApiKey?: boolean;
}

// Declared beside the tables (functions/common/tables.ts), which must not import the declarations.
import type { TableName } from "../functions/common/tables.ts";
export type { TableName };
export type StateMachineName = "engagement";

/** A Lambda function consuming an SQS queue through an event source mapping. */
export interface ConsumerDeclaration {
  /** `<file without extension>.<export>`, relative to the repository root (SST's format). */
  readonly handler: string;
  readonly batchSize: number;
  readonly batchingWindowSeconds: number;
  readonly maximumConcurrency: number;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly access: Access;
}

/** An SQS queue with its dead-letter queue and the one function that consumes it. */
export interface QueueDeclaration {
  readonly description: string;
  /** Bounded context: the stack in `stacks/<context>.ts` that owns the queue and its consumer. */
  readonly context: string;
  readonly visibilityTimeoutSeconds: number;
  readonly retentionSeconds: number;
  /** Receives before SQS moves a message to the queue's DLQ. */
  readonly maxReceiveCount: number;
  readonly consumer: ConsumerDeclaration;
}

/** EventBridge's retry policy for a rule target; failures after it go to the rule's target DLQ. */
export interface TargetRetryPolicy {
  readonly maximumRetryAttempts: number;
  readonly maximumEventAgeSeconds: number;
}

export type RuleTarget =
  | { readonly queue: QueueName }
  | { readonly stateMachine: StateMachineName };

export interface RuleDeclaration {
  /** Unique, PascalCase; becomes the EventBridge rule name. */
  readonly name: string;
  readonly description: string;
  readonly pattern: EventPattern;
  readonly target: RuleTarget;
  readonly retryPolicy: TargetRetryPolicy;
}

const DAY = 86_400;
/** EventBridge's own defaults: 185 attempts within 24 hours. */
export const defaultRetry: TargetRetryPolicy = { maximumRetryAttempts: 185, maximumEventAgeSeconds: DAY };

/** Queues (each with a DLQ) and their consumers, by name. */
export const queues = {
  notifications: {
    description: "Invoice payment outcomes waiting to be told to the customer by email and push.",
    context: "notifications",
    // Six times the function timeout, as AWS recommends for SQS event sources.
    visibilityTimeoutSeconds: 120,
    retentionSeconds: 4 * DAY,
    maxReceiveCount: 5,
    consumer: {
      handler: "functions/notifications/handler.handler",
      batchSize: 10,
      batchingWindowSeconds: 0,
      maximumConcurrency: 5,
      timeoutSeconds: 20,
      memoryMb: 512,
      access: {
        tables: {
          // invoice#<id>: the invoice's state, then one claim per notice and channel.
          notifications: { actions: ["GetItem", "PutItem", "UpdateItem", "DeleteItem"], leadingKeys: ["invoice#*"] },
          profiles: [
            { actions: ["GetItem"] },
            // Contact stubs from the invoice's customer_email (functions/customers/contact.ts).
            { actions: ["UpdateItem"], leadingKeys: ["cus_*"] },
          ],
        },
        email: true,
        push: true,
      },
    },
  },
  loyalty: {
    description: "One-time payments, refunds and disputes that change loyalty balances.",
    context: "loyalty",
    visibilityTimeoutSeconds: 120,
    retentionSeconds: 4 * DAY,
    maxReceiveCount: 5,
    consumer: {
      handler: "functions/loyalty/handler.handler",
      batchSize: 10,
      batchingWindowSeconds: 0,
      maximumConcurrency: 10,
      timeoutSeconds: 20,
      memoryMb: 512,
      access: {
        tables: {
          // Purchase entries (PURCHASE#…) are created; balances (CUSTOMER#…) updated, with a ledger
          // entry (CUSTOMER#…) per change and an expiry index item (LOTEXPIRY) per lot created.
          loyalty: [
            { actions: ["GetItem", "UpdateItem"], leadingKeys: ["PURCHASE#*", "CUSTOMER#*"] },
            { actions: ["PutItem"], leadingKeys: ["PURCHASE#*", "CUSTOMER#*", "LOTEXPIRY"] },
          ],
          // Contact stubs (functions/customers/contact.ts): a conditional create, Stripe customers only.
          profiles: { actions: ["UpdateItem"], leadingKeys: ["cus_*"] },
          // The promotion windows, read through a short cache (functions/loyalty/promotions.ts).
          promotions: { actions: ["GetItem"], leadingKeys: [PROMOTIONS_KEY] },
        },
        stateMachines: ["engagement"],
        // Domain events out (PointsAwarded, PointsReversed, TierChanged: functions/loyalty/publish.ts).
        putEvents: true,
      },
    },
  },
  customers: {
    description: "Stripe customer changes that keep profiles (email, name, locale) in sync, and deletions that erase them.",
    context: "customers",
    visibilityTimeoutSeconds: 60,
    retentionSeconds: 4 * DAY,
    maxReceiveCount: 5,
    consumer: {
      handler: "functions/customers/handler.handler",
      batchSize: 10,
      batchingWindowSeconds: 0,
      maximumConcurrency: 5,
      timeoutSeconds: 10,
      memoryMb: 256,
      access: {
        tables: {
          // Profiles are keyed by the Stripe customer id, which the event contract requires to be cus_….
          profiles: { actions: ["GetItem", "UpdateItem"], leadingKeys: ["cus_*"] },
        },
        deviceEndpoints: "delete",
      },
    },
  },
  lifecycle: {
    description: "Subscription lifecycle facts (trial ending, payment action required, renewal, cancellation) to tell by email and push.",
    context: "notifications",
    visibilityTimeoutSeconds: 120,
    retentionSeconds: 4 * DAY,
    maxReceiveCount: 5,
    consumer: {
      handler: "functions/lifecycle/handler.handler",
      batchSize: 10,
      batchingWindowSeconds: 0,
      maximumConcurrency: 5,
      timeoutSeconds: 20,
      memoryMb: 512,
      access: {
        tables: {
          notifications: [
            // lifecycle#<notice>#<subject>: one claim per fact and channel, released when a send fails.
            { actions: ["GetItem", "PutItem", "UpdateItem", "DeleteItem"], leadingKeys: [`${LIFECYCLE_PARTITION_PREFIX}*`] },
            // invoice#<id>: whether the invoice notices recorded the invoice paid (read only).
            { actions: ["GetItem"], leadingKeys: ["invoice#*"] },
          ],
          profiles: { actions: ["GetItem"] },
        },
        email: true,
        push: true,
      },
    },
  },
  loyaltyVip: {
    description: "Loyalty TierChanged events (source paybus.loyalty): the VIP push to the customer's devices, once per promotion and device.",
    context: "loyalty",
    visibilityTimeoutSeconds: 120,
    retentionSeconds: 4 * DAY,
    maxReceiveCount: 5,
    consumer: {
      handler: "functions/loyalty-vip/handler.handler",
      batchSize: 10,
      batchingWindowSeconds: 0,
      maximumConcurrency: 5,
      timeoutSeconds: LOYALTY_VIP_TIMEOUT_SECONDS,
      memoryMb: 256,
      access: {
        tables: {
          // VIP#<customer>: one send claim per promotion and device (UpdateItem with a lease, GetItem
          // when taken), completed with PutItem; never released (a failed attempt's lease runs out
          // before SQS redelivers, after the visibility timeout).
          loyalty: { actions: ["UpdateItem", "GetItem", "PutItem"], leadingKeys: ["VIP#*"] },
          profiles: { actions: ["GetItem"] },
        },
        push: true,
      },
    },
  },
  loyaltyMilestones: {
    description: "Loyalty PointsAwarded events (source paybus.loyalty): lifetime spend, and one campaign email per spending milestone reached.",
    context: "loyalty",
    visibilityTimeoutSeconds: 120,
    retentionSeconds: 4 * DAY,
    maxReceiveCount: 5,
    consumer: {
      handler: "functions/loyalty-milestones/handler.handler",
      batchSize: 10,
      batchingWindowSeconds: 0,
      maximumConcurrency: 5,
      timeoutSeconds: LOYALTY_MILESTONES_TIMEOUT_SECONDS,
      memoryMb: 256,
      access: {
        tables: {
          // SPEND#<customer>: the per-purchase marker (PutItem) and the total (UpdateItem) in one
          // transaction, the total read (GetItem); one email claim per milestone (UpdateItem with a
          // lease, GetItem when taken, PutItem when sent, DeleteItem when SES refuses).
          loyalty: { actions: ["PutItem", "UpdateItem", "GetItem", "DeleteItem"], leadingKeys: ["SPEND#*"] },
          profiles: { actions: ["GetItem"] },
        },
        email: true,
      },
    },
  },
} as const satisfies Record<string, QueueDeclaration>;

export type QueueName = keyof typeof queues;

/** A Lambda function that is not an SQS consumer. */
export interface FunctionDeclaration {
  readonly handler: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly access: Access;
  /** Reserved concurrency: the most executions that may run at once (a public URL's flood cap). */
  readonly reservedConcurrency?: number;
}

/**
 * The webhook bridge (`functions/ingest`): verified Stripe webhooks in, the same events on the bus
 * out, with source {@link WEBHOOK_SOURCE}. Served by a function URL in AWS and at
 * `/stripe/webhook` by the local runtime.
 */
export const webhookBridge = {
  handler: "functions/ingest/handler.handler",
  timeoutSeconds: 10,
  memoryMb: 256,
  access: { putEvents: true, webhookSecret: true },
  // Stripe delivers with modest concurrency and retries for three days on a 429: ten executions
  // carry normal traffic while a flood of forged requests cannot take the account's concurrency.
  reservedConcurrency: 10,
} as const satisfies FunctionDeclaration;

/**
 * The device API (`functions/devices`): the app's backend registers and removes push devices for a
 * customer. Served by a function URL with `AWS_IAM` auth in AWS and at `/devices` by the local
 * runtime. Registrations are idempotent per `Idempotency-Key` (Powertools, `idempotency` table).
 */
export const deviceApi = {
  handler: "functions/devices/handler.handler",
  timeoutSeconds: 10,
  memoryMb: 256,
  access: {
    tables: {
      profiles: { actions: ["GetItem", "UpdateItem"], leadingKeys: ["cus_*"] },
      // Powertools' DynamoDBPersistenceLayer: a conditional PutItem (the existing record comes back
      // with the failed condition, ReturnValuesOnConditionCheckFailure), UpdateItem on success,
      // DeleteItem when the registration fails. Its GetItem runs only if a failed condition
      // returned no item, which DynamoDB does not do for ALL_OLD.
      idempotency: { actions: ["PutItem", "UpdateItem", "DeleteItem"], leadingKeys: [`${REGISTRATION_KEY_PREFIX}#*`] },
    },
    deviceEndpoints: "register",
  },
} as const satisfies FunctionDeclaration;

/**
 * The promotions API (`functions/promotions`): administrators add, list and remove the loyalty
 * programme's promotion windows. Served by a function URL with `AWS_IAM` auth in AWS and at
 * `/promotions` by the local runtime.
 */
export const promotionsApi = {
  handler: "functions/promotions/handler.handler",
  timeoutSeconds: 10,
  memoryMb: 256,
  access: {
    tables: {
      // One versioned item holds the set: read it, write it back on the version read.
      promotions: { actions: ["GetItem", "PutItem"], leadingKeys: [PROMOTIONS_KEY] },
    },
  },
} as const satisfies FunctionDeclaration;

/**
 * The loyalty API (`functions/loyalty-api`): balances, the ledger, redemptions and adjustments for
 * the retailer's backend and admin tools. Served by a function URL with `AWS_IAM` auth in AWS and at
 * `/loyalty` by the local runtime. Redemptions and adjustments are idempotent per `Idempotency-Key`
 * (Powertools); redemptions publish `PointsRedeemed` through the outbox (functions/loyalty/outbox.ts).
 */
export const loyaltyApi = {
  handler: "functions/loyalty-api/handler.handler",
  timeoutSeconds: LOYALTY_API_TIMEOUT_SECONDS,
  memoryMb: 256,
  access: {
    tables: {
      loyalty: [
        // Balances read and updated, ledger entries listed: the customer's partition.
        { actions: ["GetItem", "Query", "UpdateItem"], leadingKeys: ["CUSTOMER#*"] },
        // Ledger entries written; a positive adjustment is a lot, with its expiry index item; a
        // redemption's PointsRedeemed in the outbox (OUTBOX#<shard>), removed once on the bus.
        { actions: ["PutItem"], leadingKeys: ["CUSTOMER#*", "LOTEXPIRY", "OUTBOX#*"] },
        { actions: ["DeleteItem"], leadingKeys: ["OUTBOX#*"] },
      ],
      // Powertools' persistence layer, as for the device API (no GetItem: ALL_OLD comes back on a failed put).
      idempotency: { actions: ["PutItem", "UpdateItem", "DeleteItem"], leadingKeys: [`${REDEMPTION_KEY_PREFIX}#*`, `${ADJUSTMENT_KEY_PREFIX}#*`] },
    },
    putEvents: true,
  },
} as const satisfies FunctionDeclaration;

/** Every EventBridge rule paybus puts on the bus. */
export const rules = [
  {
    name: "RecurringPaymentNotifications",
    description: "Subscription invoice paid or failed: tell the customer by email and push.",
    pattern: {
      source: stripeSources(),
      "detail-type": ["invoice.paid", "invoice.payment_failed"],
    },
    target: { queue: "notifications" },
    retryPolicy: defaultRetry,
  },
  {
    name: "LoyaltyAccrual",
    description:
      "A one-time payment succeeded: credit loyalty points once per purchase (keyed by PaymentIntent).",
    pattern: {
      source: stripeSources(),
      // invoice_payment.paid: which PaymentIntent paid an invoice, on API versions from 2025-03-31.
      "detail-type": ["payment_intent.succeeded", "charge.succeeded", "checkout.session.completed", "invoice_payment.paid"],
    },
    target: { queue: "loyalty" },
    retryPolicy: defaultRetry,
  },
  {
    name: "LoyaltyReversal",
    description: "A refund or a chargeback: take back the points the purchase earned; a dispute won gives them back.",
    pattern: {
      source: stripeSources(),
      "detail-type": ["charge.refunded", "charge.dispute.created", "charge.dispute.closed", "charge.dispute.funds_reinstated"],
    },
    target: { queue: "loyalty" },
    retryPolicy: defaultRetry,
  },
  {
    name: "LoyaltyTierChangedVip",
    description: "A customer reached a new loyalty tier (the programme's own event): notify them by push.",
    pattern: {
      source: [LOYALTY_SOURCE],
      "detail-type": ["TierChanged"],
    },
    target: { queue: "loyaltyVip" },
    retryPolicy: defaultRetry,
  },
  {
    name: "LoyaltySpendingMilestones",
    description: "Points were awarded for a purchase (the programme's own event): count its spend toward the spending milestones.",
    pattern: {
      source: [LOYALTY_SOURCE],
      "detail-type": ["PointsAwarded"],
    },
    target: { queue: "loyaltyMilestones" },
    retryPolicy: defaultRetry,
  },
  {
    name: "CustomerProfileSync",
    description: "A Stripe customer was created, changed or deleted: bring the profile up to date, or erase it.",
    pattern: {
      source: stripeSources(),
      "detail-type": ["customer.created", "customer.updated", "customer.deleted"],
    },
    target: { queue: "customers" },
    retryPolicy: defaultRetry,
  },
] as const satisfies readonly RuleDeclaration[];

/**
 * One rule per lifecycle notice (`functions/lifecycle/notices/`), each routing the notice's event
 * types to the `lifecycle` queue. A notice declared there is routed here without restating it.
 */
export const lifecycleRules: readonly RuleDeclaration[] = lifecycleNotices.map((notice) => ({
  name: notice.rule.name,
  description: notice.rule.description,
  pattern: { source: stripeSources(), "detail-type": [...notice.eventTypes] },
  target: { queue: "lifecycle" },
  retryPolicy: defaultRetry,
}));

/** The rules as the wider type, for code that iterates without caring about literal types. */
export const ruleList: readonly RuleDeclaration[] = [...rules, ...lifecycleRules];
