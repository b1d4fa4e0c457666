import { describe, expect, it } from "vitest";
import { decodeStripeMessage } from "../../events/parse.ts";
import type { KnownEventType } from "../../events/stripe-event.ts";
import { loadFixture } from "../../fixtures/index.ts";
import { COPY } from "../notifications/templates.ts";
import { enabledNotices } from "./config.ts";
import { noticeFor, renderFact } from "./core.ts";
import type { LifecycleFact, LifecycleNotice } from "./notice.ts";
import { lifecycleNotices } from "./notices/index.ts";

const PORTAL = "https://billing.example.com/account";

/** The fixture's event decoded, with `patch` applied to its object and previous attributes. */
function decode(fixture: string, patch: { object?: Record<string, unknown>; previous?: Record<string, unknown> | null } = {}) {
  const envelope = loadFixture(fixture);
  Object.assign(envelope.detail.data.object, patch.object ?? {});
  if (patch.previous === null) delete envelope.detail.data.previous_attributes;
  else if (patch.previous) envelope.detail.data.previous_attributes = patch.previous;
  const type = envelope["detail-type"] as KnownEventType;
  const decoded = decodeStripeMessage(envelope, [type]);
  if (decoded.kind !== "snapshot") throw new Error("expected a snapshot event");
  return decoded;
}

function decide(fixture: string, patch?: Parameters<typeof decode>[1]) {
  const event = decode(fixture, patch);
  const notice = noticeFor(lifecycleNotices, event.type)!;
  return { notice, decision: notice.decide(event as never), event };
}

function told(fixture: string, patch?: Parameters<typeof decode>[1]): { notice: LifecycleNotice<any, any>; fact: LifecycleFact } {
  const { notice, decision } = decide(fixture, patch);
  if (!("tell" in decision)) throw new Error(`skipped: ${decision.skip}`);
  return { notice, fact: decision.tell };
}

describe("the notice declarations", () => {
  it("give each event type to one notice only, and each notice its own rule", () => {
    const types = lifecycleNotices.flatMap((notice) => notice.eventTypes);
    const rules = lifecycleNotices.map((notice) => notice.rule.name);

    expect(new Set(types).size).toBe(types.length);
    expect(new Set(rules).size).toBe(rules.length);
  });

  it.each(lifecycleNotices.flatMap((notice) => Object.keys(COPY).map((language) => [notice.name, language] as const)))(
    "%s has copy in %s",
    (name, language) => {
      const notice = lifecycleNotices.find((candidate) => candidate.name === name)!;

      expect(notice.copy[language], `${name} lacks a template for "${language}"`).toBeTypeOf("function");
    },
  );

  it("turn renewal reminders on only when configured, and refuse unknown names", () => {
    expect([...enabledNotices(lifecycleNotices, undefined)]).not.toContain("renewal-reminder");
    expect([...enabledNotices(lifecycleNotices, '{"renewal-reminder":true,"trial-ending":false}')].sort()).toEqual([
      "cancellation-confirmed",
      "cancellation-scheduled",
      "payment-action-required",
      "renewal-reminder",
    ]);
    expect(() => enabledNotices(lifecycleNotices, '{"trial-end":true}')).toThrow(/unknown notices: trial-end/);
  });
});

describe("what each notice tells", () => {
  it("payment action required: the amount, the invoice, the hosted invoice link (not the portal), once per attempt", () => {
    const { notice, fact } = told("20");

    const { email, push } = renderFact(notice, fact, { locale: "fr-FR", customerName: "Camille", billingPortalUrl: PORTAL, eventType: "invoice.payment_action_required" });

    expect(fact.key).toBe("attempt#1");
    expect(email.subject).toBe("Veuillez confirmer votre paiement pour la facture 7C1D2E3F-0002");
    expect(email.text).toMatchInlineSnapshot(`
      "Bonjour Camille,

      Votre banque vous demande de confirmer le paiement de 29,00 € pour la facture 7C1D2E3F-0002.

      Confirmez-le sur la page de paiement sécurisée pour que votre abonnement reste actif.

      Confirmer le paiement
      https://invoice.stripe.com/i/acct_1ZqaEk5kb18UZlUm/test_YWNjdF8xWnFhRWs1a2IxOFVabFVtLF9UMGRBODVrYjE4VVpsVW1RN2NWeDJMaywxMzk50?s=ap
      "
    `);
    expect(push.data).toEqual({ type: "invoice.payment_action_required", notice: "payment-action-required", subject: "in_1T0dA85kb18UZlUmQ7cVx2Lk", url: fact.url });
  });

  it("payment action required: an invoice number with control characters stays on one line in the subject", () => {
    const { notice, fact } = told("20", { object: { number: "7C1D\r\nBcc: victim@example.com\u2028-0002" } });

    const { email } = renderFact(notice, fact, { locale: "en-US", customerName: undefined, billingPortalUrl: PORTAL, eventType: "invoice.payment_action_required" });

    expect(email.subject).toBe("Please confirm your payment for invoice 7C1D Bcc: victim@example.com -0002");
  });

  it.each(["javascript:alert(document.cookie)", "JavaScript:alert(1)", "data:text/html,<script>alert(1)</script>", "/relative/path"])(
    "payment action required: a hosted invoice link %s is never rendered (the billing portal instead)",
    (link) => {
      const { notice, fact } = told("20", { object: { hosted_invoice_url: link } });

      const { email, push } = renderFact(notice, fact, { locale: "en-US", customerName: undefined, billingPortalUrl: PORTAL, eventType: "invoice.payment_action_required" });

      expect(email.text).not.toContain(link);
      expect(email.html).not.toContain(link.replace(/</g, "&lt;"));
      expect(email.text).toContain(`Confirm payment\n${PORTAL}`);
      expect(push.data.url).toBe(PORTAL);
    },
  );

  it("trial ending: the date the trial ends, the billing portal to act", () => {
    const { notice, fact } = told("21");

    const { email, push } = renderFact(notice, fact, { locale: "en-US", customerName: undefined, billingPortalUrl: PORTAL, eventType: "customer.subscription.trial_will_end" });

    expect(email.subject).toBe("Your trial ends on August 23, 2026");
    expect(push.body).toBe("Your free trial ends on August 23, 2026.");
    expect(push.data.url).toBe(PORTAL);
    expect(decide("21", { object: { status: "active" } }).decision).toEqual({ skip: "the subscription is active, no longer trialing" });
  });

  it("cancellation scheduled: only when cancel_at_period_end turned on, with the end date", () => {
    const { notice, fact } = told("09");

    const { email } = renderFact(notice, fact, { locale: "de-DE", customerName: undefined, billingPortalUrl: PORTAL, eventType: "customer.subscription.updated" });

    expect(email.subject).toBe("Ihr Abonnement endet am 5. September 2026");
    expect(decide("09", { previous: { metadata: {} } }).decision).toEqual({ skip: "cancel_at_period_end was not turned on by this update" });
    expect(decide("09", { previous: null }).decision).toHaveProperty("skip");
  });

  it("cancellation confirmed: the date it ended", () => {
    const { notice, fact } = told("10");

    const { email } = renderFact(notice, fact, { locale: "ja-JP", customerName: "花子", billingPortalUrl: PORTAL, eventType: "customer.subscription.deleted" });

    expect(email.subject).toBe("サブスクリプションが終了しました");
    expect(email.text).toMatch(/^花子 様\n\nサブスクリプションは 2026年\d+月\d+日 に終了しました。/);
  });

  it("renewal reminder: amount and date from the upcoming invoice, which has no id", () => {
    const { notice, fact } = told("22");

    const { email } = renderFact(notice, fact, { locale: "fr-FR", customerName: undefined, billingPortalUrl: PORTAL, eventType: "invoice.upcoming" });

    expect(fact.subject).toBe("sub_1T0cW85kb18UZlUmP9dQs3Vh");
    expect(fact.key).toBe(`renewal#${loadFixture("22").detail.data.object.next_payment_attempt}`);
    expect(email.text).toMatch(/Votre abonnement sera renouvelé le 8 octobre 2026\u00a0: 29,00\s€ seront prélevés\./);
  });
});
