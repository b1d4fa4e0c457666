import { describe, expect, it } from "vitest";
import type { CustomerProfile } from "../common/profiles.ts";
import {
  chooseLocale,
  chooseRecipients,
  noticeKey,
  plannedDeliveries,
  pointlessReason,
  stateVersion,
} from "./notice.ts";
import { hasCopy } from "./templates.ts";
import { noticeFrom } from "../../test/support/invoice-events.ts";

const PHONE = "arn:aws:sns:us-east-1:111122223333:endpoint/GCM/paybus-app/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";
const TABLET = "arn:aws:sns:us-east-1:111122223333:endpoint/APNS/paybus-app/9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a";

function profile(fields: Partial<CustomerProfile> = {}): CustomerProfile {
  return { customerId: "cus_AbIItO38LiTlry", pushEndpoints: [], ...fields };
}

describe("toNotice", () => {
  it("reads a paid renewal: amount paid, the period of the line items, the hosted receipt", () => {
    // Act
    const notice = noticeFrom("01");

    // Assert
    expect(notice).toMatchObject({
      kind: "paid",
      invoiceId: "in_1x6UCL5kb18UZlUmwFb6L0HI",
      customerId: "cus_AbIItO38LiTlry",
      eventId: "evt_1RK2A95kb18UZlUmKogTQMTK",
      eventCreated: 1785751205,
      invoiceNumber: "F8C76741-0032",
      amount: { amount: 1500, currency: "usd" },
      // The invoice's own period_start/period_end (1783069200–1785747600) is the previous cycle.
      period: { start: 1785747600, end: 1788426000 },
      receiptUrl: expect.stringMatching(/^https:\/\/invoice\.stripe\.com\/i\//),
    });
  });

  it("reads a failed attempt: what is still owed, the attempt and Stripe's next retry", () => {
    // Act
    const notice = noticeFrom("02", { invoice: { amount_remaining: 900 } });

    // Assert
    expect(notice).toMatchObject({
      kind: "failed",
      invoiceId: "in_13N6v45kb18UZlUmDO92Gtng",
      amount: { amount: 900, currency: "usd" },
      attempt: 2,
      nextAttempt: 1786207221,
      collectionMethod: "charge_automatically",
    });
  });

  it("never promises an automatic retry for an invoice the customer pays by hand", () => {
    // Act
    const notice = noticeFrom("02", { invoice: { collection_method: "send_invoice" } });

    // Assert
    expect(notice).toMatchObject({ kind: "failed", collectionMethod: "send_invoice", nextAttempt: null });
  });

  it("shows the amount due when an invoice marked paid out of band reports nothing paid", () => {
    // Act
    const notice = noticeFrom("01", { invoice: { amount_paid: 0, amount_due: 1500 } });

    // Assert
    expect(notice.amount).toEqual({ amount: 1500, currency: "usd" });
  });

  it("collects locale hints from the invoice and then its subscription", () => {
    // Act
    const notice = noticeFrom("01", {
      invoice: {
        metadata: { locale: "de-AT" },
        parent: { subscription_details: { subscription: "sub_1", metadata: { locale: "fr-FR" } } },
      },
    });

    // Assert
    expect(notice.localeHints).toEqual(["de-AT", "fr-FR"]);
  });
});

describe("noticeKey (the business identity of a notice)", () => {
  it("is the same for invoice.paid and invoice.payment_succeeded of one invoice", () => {
    // Act
    const paid = noticeFrom("01");
    const succeeded = noticeFrom("15");

    // Assert
    expect(succeeded.eventId).not.toBe(paid.eventId);
    expect([succeeded.invoiceId, noticeKey(succeeded)]).toEqual([paid.invoiceId, noticeKey(paid)]);
    expect(noticeKey(paid)).toBe("paid");
  });

  it("differs per failed attempt and ignores the event and envelope ids", () => {
    // Act
    const second = noticeFrom("02");
    const redelivered = noticeFrom("02", { detail: { id: "evt_redelivered" } });
    const third = noticeFrom("02", { invoice: { attempt_count: 3 } });

    // Assert
    expect(noticeKey(second)).toBe("failed#2");
    expect(noticeKey(redelivered)).toBe("failed#2");
    expect(noticeKey(third)).toBe("failed#3");
  });
});

describe("stateVersion (ordering the events of one invoice)", () => {
  const created = 1785773987;

  it("puts a later event above an earlier one whatever their kinds", () => {
    // Arrange
    const paid = noticeFrom("02", { type: "invoice.paid", detail: { created } });
    const laterFailure = noticeFrom("02", { detail: { created: created + 1 } });

    // Assert
    expect(stateVersion(laterFailure)).toBeGreaterThan(stateVersion(paid));
  });

  it("puts paid above any failure of the same second, and later attempts above earlier ones", () => {
    // Arrange
    const paid = noticeFrom("02", { type: "invoice.paid", detail: { created } });
    const attempt2 = noticeFrom("02", { detail: { created } });
    const attempt3 = noticeFrom("02", { detail: { created }, invoice: { attempt_count: 3 } });

    // Assert
    expect(stateVersion(attempt3)).toBeGreaterThan(stateVersion(attempt2));
    expect(stateVersion(paid)).toBeGreaterThan(stateVersion(attempt3));
  });

  it("is equal for a redelivery of the same event", () => {
    // Assert
    expect(stateVersion(noticeFrom("02"))).toBe(stateVersion(noticeFrom("02")));
  });
});

describe("pointlessReason", () => {
  it.each([
    ["a paid invoice of zero (trial, full discount)", "01", { amount_paid: 0, amount_due: 0 }, "nothing was charged"],
    ["a failure with nothing left to pay", "02", { amount_remaining: 0 }, "nothing is left to pay"],
    ["a paid invoice with an amount", "01", {}, undefined],
    ["a failure with an amount due", "02", {}, undefined],
  ])("%s", (_case, fixture, invoice, reason) => {
    // Act
    const result = pointlessReason(noticeFrom(fixture, { invoice }));

    // Assert
    expect(result).toBe(reason);
  });
});

describe("chooseRecipients and plannedDeliveries", () => {
  it("emails the invoice's address and pushes to every registered device", () => {
    // Act
    const recipients = chooseRecipients(
      noticeFrom("01"),
      profile({ email: "old.address@example.com", pushEndpoints: [PHONE, TABLET, PHONE] }),
    );

    // Assert
    expect(plannedDeliveries(recipients)).toEqual([
      { channel: "email", key: "email", address: "jenny.rosen@example.com" },
      { channel: "push", key: `push#${PHONE}`, endpointArn: PHONE },
      { channel: "push", key: `push#${TABLET}`, endpointArn: TABLET },
    ]);
  });

  it("falls back to the profile's email when the invoice has none or a malformed one", () => {
    // Act
    const missing = chooseRecipients(noticeFrom("01", { invoice: { customer_email: null } }), profile({ email: "p@example.com" }));
    const malformed = chooseRecipients(noticeFrom("01", { invoice: { customer_email: "jenny@" } }), profile({ email: "p@example.com" }));

    // Assert
    expect(missing.email).toBe("p@example.com");
    expect(malformed.email).toBe("p@example.com");
  });

  it("sends only the push when no email address is known", () => {
    // Act
    const deliveries = plannedDeliveries(
      chooseRecipients(noticeFrom("01", { invoice: { customer_email: null } }), profile({ pushEndpoints: [PHONE] })),
    );

    // Assert
    expect(deliveries.map((delivery) => delivery.channel)).toEqual(["push"]);
  });

  it("sends only the email when there is no profile", () => {
    // Act
    const deliveries = plannedDeliveries(chooseRecipients(noticeFrom("01"), undefined));

    // Assert
    expect(deliveries.map((delivery) => delivery.channel)).toEqual(["email"]);
  });

  it("plans nothing when the customer cannot be reached", () => {
    // Act
    const deliveries = plannedDeliveries(chooseRecipients(noticeFrom("01", { invoice: { customer_email: null } }), profile()));

    // Assert
    expect(deliveries).toEqual([]);
  });
});

describe("chooseLocale", () => {
  const withHint = (locale: string) => noticeFrom("01", { invoice: { metadata: { locale } } });

  it.each([
    ["the invoice's locale first", withHint("fr-CA"), profile({ locale: "de-DE" }), "fr-CA"],
    ["the profile's locale when the invoice names none", noticeFrom("01"), profile({ locale: "ja-JP" }), "ja-JP"],
    ["the default when neither does", noticeFrom("01"), undefined, "de-CH"],
    ["the next candidate when a language has no copy", withHint("pt-BR"), profile({ locale: "fr" }), "fr"],
    ["the next candidate when a hint is not a language tag", withHint("french please"), undefined, "de-CH"],
  ])("takes %s", (_case, notice, customer, expected) => {
    // Act
    const locale = chooseLocale(notice, customer, "de-CH", hasCopy);

    // Assert
    expect(locale).toBe(expected);
  });

  it("falls back to en-US when even the default has no copy", () => {
    // Act
    const locale = chooseLocale(noticeFrom("01"), undefined, "pt-BR", hasCopy);

    // Assert
    expect(locale).toBe("en-US");
  });
});
