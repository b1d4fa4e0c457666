/**
 * What each queue's consumer accepts, tied to the rules that feed the queue.
 *
 * A consumer treats an event type it does not know as poison: SQS retries it `maxReceiveCount`
 * times, then moves it to the DLQ. A rule that routes a type its consumer does not accept is
 * therefore a deploy-time bug, and it is caught twice before runtime:
 *
 * - at type-check time, by {@link consumersAgreeWithRules} below (for the literal rules of
 *   `declarations/rules.ts`; a mismatch is a `tsc` error that names the queue and the missing types);
 * - by `paybus rules lint` (and its test), which evaluates every rule's pattern with the
 *   EventBridge matcher, so prefix or wildcard patterns and the lifecycle rules are covered too.
 *
 * Each consumer keeps its own list next to the code that switches on it (exhaustiveness stays a
 * local concern); this module only gathers them, keyed by queue.
 */
import type { QueueName, rules } from "./rules.ts";
import { CUSTOMER_EVENT_TYPES } from "../functions/customers/sync.ts";
import { lifecycleNotices } from "../functions/lifecycle/notices/index.ts";
import { LOYALTY_EVENT_TYPES } from "../functions/loyalty/decode.ts";
import { INVOICE_EVENT_TYPES } from "../functions/notifications/notice.ts";

/** Per queue, the detail-types its consumer handles (anything else would be poison). */
export const acceptedEventTypes = {
  notifications: INVOICE_EVENT_TYPES,
  loyalty: LOYALTY_EVENT_TYPES,
  customers: CUSTOMER_EVENT_TYPES,
  // The lifecycle rules are generated from the same notices, so they agree by construction.
  lifecycle: lifecycleNotices.flatMap((notice) => notice.eventTypes as readonly string[]),
  // Loyalty domain events (source paybus.loyalty), each parsed by its consumer with parseLoyaltyEvent.
  loyaltyVip: ["TierChanged"],
  loyaltyMilestones: ["PointsAwarded"],
} as const satisfies { readonly [Q in QueueName]: readonly string[] };

/** The detail-types a declared rule list routes to queue `Q` (from the literal `detail-type` lists). */
export type RoutedTo<Rules extends readonly unknown[], Q extends string> = Rules[number] extends infer R
  ? R extends { readonly target: { readonly queue: Q }; readonly pattern: { readonly "detail-type": readonly (infer T)[] } }
    ? T
    : never
  : never;

/** Names of the rules routing to queue `Q` a detail-type outside `Accepted`. */
export type RulesRoutingUnaccepted<Rules extends readonly unknown[], Q extends string, Accepted> = Rules[number] extends infer R
  ? R extends {
      readonly name: infer N;
      readonly target: { readonly queue: Q };
      readonly pattern: { readonly "detail-type": readonly (infer T)[] };
    }
    ? [Exclude<T, Accepted>] extends [never]
      ? never
      : N
    : never
  : never;

/**
 * `true` per queue when every type routed to it is accepted; otherwise an object naming the queue
 * the offending rules and the missing types, which is what `tsc` prints when `true` does not fit.
 */
export type ConsumerAgreement<Rules extends readonly unknown[], Accepted extends { readonly [q: string]: readonly string[] }> = {
  readonly [Q in keyof Accepted & string]: [Exclude<RoutedTo<Rules, Q>, Accepted[Q][number]>] extends [never]
    ? true
    : {
        readonly error: "a rule routes detail-types this queue's consumer does not accept: add them to the consumer (see declarations/consumers.ts)";
        readonly queue: Q;
        readonly rules: RulesRoutingUnaccepted<Rules, Q, Accepted[Q][number]>;
        readonly missing: Exclude<RoutedTo<Rules, Q>, Accepted[Q][number]>;
      };
};

/**
 * The type-level check. If a rule in `declarations/rules.ts` routes a detail-type the consumer of its
 * queue does not accept, this line fails to type-check and the error names the queue, the rules and the types.
 */
export const consumersAgreeWithRules: ConsumerAgreement<typeof rules, typeof acceptedEventTypes> = {
  notifications: true,
  loyalty: true,
  customers: true,
  lifecycle: true,
  loyaltyVip: true,
  loyaltyMilestones: true,
};
