/**
 * Fuzz: arbitrary JSON through the decode layers (issue 13). Whatever arrives, decoding returns a
 * typed event or throws an `EventContractError` (named, poison, one line); and an event that decodes
 * never makes the consumers' pure logic throw — everything they need was validated once, at decode.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EventContractError, decodeStripeMessage, type DecodedMessage, type KnownEventType } from "../../events/index.ts";
import { classifyError } from "../../functions/common/errors.ts";
import { parseLoyaltyConfig } from "../../functions/loyalty/config.ts";
import { LOYALTY_EVENT_TYPES, toLoyaltyCommand } from "../../functions/loyalty/decode.ts";
import { engagementInputFor } from "../../functions/loyalty/engagement.ts";
import type { AwardedPurchase } from "../../functions/loyalty/ledger.ts";
import { INVOICE_EVENT_TYPES, chooseLocale, noticeKey, stateVersion, toNotice } from "../../functions/notifications/notice.ts";
import { hasCopy, renderNotice } from "../../functions/notifications/templates.ts";
import { fuzzParameters, fuzzTimeout } from "./budget.ts";
import { mutatedEnvelope } from "./mutate.ts";

const loyaltyConfig = parseLoyaltyConfig(undefined);

/** Decodes `body`; anything thrown must be the contract's own named, one-line, poison error. */
function decodeOrRefuse<T extends KnownEventType>(body: unknown, accepted: readonly T[]): DecodedMessage<T> | undefined {
  try {
    return decodeStripeMessage(body, accepted);
  } catch (error) {
    expect(error).toBeInstanceOf(EventContractError);
    expect((error as Error).message).not.toContain("\n");
    expect(classifyError(error)).toBe("poison");
    return undefined;
  }
}

/** What the loyalty consumer computes from a decoded event before any I/O, workflow input included. */
function loyaltyLogic(decoded: DecodedMessage<(typeof LOYALTY_EVENT_TYPES)[number]>): void {
  const command = toLoyaltyCommand(decoded, loyaltyConfig);
  if (command.kind !== "accrual") return;
  const purchase = {
    purchaseId: command.purchaseId,
    customerId: command.customerId,
    stripeCustomerId: command.stripeCustomerId,
    points: command.award.points,
    amount: command.money.amount,
    currency: command.money.currency,
    occurredAt: command.source.created,
    status: "awarded",
  } as unknown as AwardedPurchase;
  engagementInputFor(purchase);
}

/** What the notifications consumer computes from a decoded event before any I/O, the email included. */
function notificationLogic(decoded: DecodedMessage<(typeof INVOICE_EVENT_TYPES)[number]>): void {
  if (decoded.kind !== "snapshot") return;
  const notice = toNotice(decoded);
  noticeKey(notice);
  expect(Number.isFinite(stateVersion(notice))).toBe(true);
  const locale = chooseLocale(notice, undefined, "en-US", hasCopy);
  const rendered = renderNotice(notice, { locale, billingPortalUrl: "https://billing.example.com/payment-method" });
  expect(rendered.email.subject).not.toMatch(/[\r\n]/);
}

const bodies: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: mutatedEnvelope },
  { weight: 2, arbitrary: mutatedEnvelope.map((envelope) => JSON.stringify(envelope)) },
  { weight: 1, arbitrary: fc.jsonValue() },
  { weight: 1, arbitrary: fc.string() },
);

describe("the decode layers under arbitrary JSON", () => {
  const RUNS = 400;

  it(
    "refuse with a named poison error or decode into something the loyalty logic handles",
    () => {
      fc.assert(
        fc.property(bodies, (body) => {
          const decoded = decodeOrRefuse(body, LOYALTY_EVENT_TYPES);
          if (decoded) loyaltyLogic(decoded);
        }),
        fuzzParameters(RUNS),
      );
    },
    fuzzTimeout(RUNS, 5),
  );

  it(
    "refuse with a named poison error or decode into something the notification logic renders",
    () => {
      fc.assert(
        fc.property(bodies, (body) => {
          const decoded = decodeOrRefuse(body, INVOICE_EVENT_TYPES);
          if (decoded) notificationLogic(decoded);
        }),
        fuzzParameters(RUNS),
      );
    },
    fuzzTimeout(RUNS, 10),
  );
});
