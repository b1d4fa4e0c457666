/**
 * The loyalty consumer's logic for one SQS message: decode the Stripe event, then credit the
 * purchase (settling the tier) and start the engagement workflow, apply a reversal, or record
 * why nothing happens. Every step is idempotent, so a redelivery at any point converges.
 */
import { bothSettled, withEarlyWrite } from "../common/settled.ts";
import { POINTS_COMMIT_DELAY_METRIC } from "../common/metrics.ts";
import type { SFNClient } from "@aws-sdk/client-sfn";
import type { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit, type Metrics } from "@aws-lambda-powertools/metrics";
import { decodeStripeMessage, type DecodedMessage } from "../../events/parse.ts";
import { contactOf, type ContactStore } from "../customers/contact.ts";
import type { LoyaltyConfig } from "./config.ts";
import { LOYALTY_EVENT_TYPES, RECORDED_SKIP_REASONS, toLoyaltyCommand, type Accrual, type LoyaltyEventType, type SkipReason } from "./decode.ts";
import { startEngagement } from "./engagement.ts";
import type { LoyaltyLedger, ReversalOutcome } from "./ledger.ts";
import type { AwardRules } from "./points.ts";
import type { CachedPromotions } from "./promotions.ts";
import { publishPurchaseEvents, putPendingEvents, type PublishDeps } from "./publish.ts";

/** What the consumer needs: configuration, the ledger and the workflow to start. */
export interface LoyaltyDeps {
  readonly config: LoyaltyConfig;
  readonly ledger: LoyaltyLedger;
  readonly sfn: SFNClient;
  readonly stateMachineArn: string;
  readonly logger: Logger;
  /**
   * Records the address the payment carries for a customer without a profile (the contact stub of
   * `functions/customers/contact.ts`), before the engagement workflow that will write to them starts.
   */
  readonly contacts: ContactStore;
  /** The `promotions` table's windows (cached); without it, or while it holds none, the configuration's. */
  readonly promotions?: Pick<CachedPromotions, "windows">;
  /** Where {@link POINTS_COMMIT_DELAY_METRIC} goes (Powertools EMF); none in tests that do not look. */
  readonly metrics?: Pick<Metrics, "singleMetric">;
  /** Epoch milliseconds (the commit time of the delay metric). */
  readonly now?: () => number;
  /** Where the domain events go (`publish.ts`); the handler always sets it, unit tests of the ledger may not. */
  readonly publish?: PublishDeps;
}

/** Milliseconds from the Stripe event's `created` to the committed balance (the 200 ms promise). */
export { POINTS_COMMIT_DELAY_METRIC };

export type LoyaltyResult =
  | { readonly kind: "skipped"; readonly reason: SkipReason; readonly recorded: boolean }
  | {
      readonly kind: "awarded" | "duplicate";
      readonly purchaseId: string;
      readonly customerId: string;
      readonly points: number;
      readonly promotedTo: string | null;
      readonly executionName: string;
    }
  | ({ readonly kind: "reversal"; readonly purchaseId: string } & ReversalOutcome);

/**
 * Handles one message body (an EventBridge envelope around a Stripe event).
 *
 * @throws EventContractError (poison) for an invalid event; DynamoDB and Step Functions errors
 *   (retryable) propagate so that the record comes back.
 */
export async function processLoyaltyMessage(body: string, deps: LoyaltyDeps): Promise<LoyaltyResult> {
  const message = decodeStripeMessage(body, LOYALTY_EVENT_TYPES);
  // The contact stub is written beside the ledger's work, not before it: the two touch different
  // tables and neither reads the other, and only the engagement workflow (its emails read the
  // address) must wait for it — `accrue` awaits it before starting the workflow. One round trip
  // less on every record's critical path.
  // Every path waits for the stub: its failure fails the record, as when it was written first.
  return withEarlyWrite(writeContact(message, deps), (contact) => decide(message, deps, contact));
}

/** The contact stub's write, started; it resolves once the stub is written (or was there). */
function writeContact(message: DecodedMessage<LoyaltyEventType>, deps: LoyaltyDeps): Promise<void> {
  const contact = contactOf(message);
  if (!contact) return Promise.resolve();
  return deps.contacts(contact).then((written) => {
    // The ids and the field only are logged, the address is personal data.
    if (written.outcome === "stored") deps.logger.info("contact stub stored", { customerId: contact.customerId, source: contact.source, eventId: contact.eventId });
  });
}

async function decide(message: DecodedMessage<LoyaltyEventType>, deps: LoyaltyDeps, contact: Promise<void>): Promise<LoyaltyResult> {
  const rules: AwardRules = deps.promotions
    ? { ...deps.config, promotions: await deps.promotions.windows(deps.config.promotions) }
    : deps.config;
  const command = toLoyaltyCommand(message, rules);
  switch (command.kind) {
    case "skip": {
      const { purchaseId } = command;
      const recorded = purchaseId !== null && RECORDED_SKIP_REASONS.has(command.reason);
      if (recorded) await deps.ledger.recordSkip({ ...command, purchaseId });
      deps.logger.info("loyalty event skipped", {
        reason: command.reason,
        detail: command.detail,
        purchaseId,
        eventId: command.source?.eventId,
        recorded,
      });
      return { kind: "skipped", reason: command.reason, recorded };
    }
    case "reversal": {
      const { outcome, purchase } = await deps.ledger.applyReversal(command);
      deps.logger.info("loyalty reversal", { purchaseId: command.purchaseId, eventId: command.source.eventId, ...outcome });
      // Also when unchanged: a redelivery publishes what a crash after the commit left unpublished.
      if (deps.publish && outcome.outcome !== "pending") await publishPurchaseEvents(purchase, deps.publish);
      return { kind: "reversal", purchaseId: command.purchaseId, ...outcome };
    }
    case "accrual":
      return accrue(command, deps, contact);
  }
}

async function accrue(accrual: Accrual, deps: LoyaltyDeps, contact: Promise<void>): Promise<LoyaltyResult> {
  const { ledger, logger } = deps;
  const awarded = await ledger.award(accrual);
  const purchase = awarded.purchase;
  if (awarded.outcome === "awarded") {
    // Stripe's `created` has whole seconds: the figure over-states the delay by up to 1 s (see the alarm).
    const delayMs = Math.max(0, (deps.now ?? Date.now)() - accrual.source.created * 1000);
    const single = deps.metrics?.singleMetric();
    single?.addMetric(POINTS_COMMIT_DELAY_METRIC, MetricUnit.Milliseconds, delayMs);
  }
  if (awarded.outcome === "duplicate" && (purchase.points !== accrual.award.points || purchase.customerId !== accrual.customerId)) {
    // The three events of one payment should agree; when they do not (e.g. Checkout metadata not
    // copied to the PaymentIntent), the first to arrive decided. Say so, for the operator.
    logger.warn("events of one purchase disagree; the first one decided", {
      purchaseId: accrual.purchaseId,
      eventId: accrual.source.eventId,
      decidedBy: purchase.sourceEvent?.eventId,
    });
  }
  // After the commit, and on every duplicate until recorded: the workflow (once the contact stub,
  // whose address its emails read, is written) and the outbox of publish.ts, side by side — they
  // are independent (different services, no order between them at any consumer), so one round
  // trip instead of two. One write records both once done; a failure of either (both settle first,
  // so nothing runs on after it) or a crash before that write leaves both to the redelivery, which
  // starts the same execution name (refused, so counted as started) and puts the same
  // `detail.id`s (deduped by consumers) — exactly once per purchase either way.
  const started = purchase.engagementExecution;
  const [executionName, published] = await bothSettled(
    started !== undefined
      ? Promise.resolve(started)
      : contact.then(async () => (await startEngagement(deps.sfn, deps.stateMachineArn, purchase)).executionName),
    deps.publish ? putPendingEvents(purchase, deps.publish) : Promise.resolve(undefined),
  );
  await ledger.markDone(purchase.purchaseId, {
    engagementExecution: started === undefined ? executionName : undefined,
    publishedReversedPoints: published?.reversedPoints,
  });
  const result = {
    kind: awarded.outcome,
    purchaseId: purchase.purchaseId,
    customerId: purchase.customerId,
    points: purchase.points,
    promotedTo: purchase.promotedTo ?? null,
    executionName,
  };
  logger.info(awarded.outcome === "awarded" ? "loyalty points awarded" : "loyalty purchase already credited", {
    ...result,
    eventId: accrual.source.eventId,
    ...(awarded.outcome === "awarded" ? { creditedPoints: awarded.creditedPoints } : {}),
  });
  return result;
}
