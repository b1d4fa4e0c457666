import { describe, expect, it } from "vitest";
import { COPY } from "../notifications/templates.ts";
import { EMAIL_TEMPLATES, ENGAGEMENT_COPY, renderEngagementEmail, type EmailFacts } from "./templates.ts";

const facts: EmailFacts = { template: "confirmation", pointsEarned: 1200, amount: 60_000, currency: "usd", newTier: null };

describe("engagement email templates", () => {
  it("tier upgrade, telling the credit applied in Stripe", () => {
    const reward = { kind: "balance-credit", amount: 1_000, currency: "usd", stripeId: "cbtxn_1" } as const;
    expect(renderEngagementEmail({ ...facts, template: "tier-upgrade", newTier: "gold", reward }, { name: "Ada <Lovelace>" })).toMatchInlineSnapshot(`
      {
        "html": "<p>Hello Ada &#60;Lovelace&#62;,</p>
      <p>Your purchase of $600.00 earned 1,200 points and took you to Gold.</p>
      <p>We have credited $10.00 to your account balance: it comes off your next invoice.</p>",
        "subject": "Welcome to Gold",
        "text": "Hello Ada <Lovelace>,

      Your purchase of $600.00 earned 1,200 points and took you to Gold.

      We have credited $10.00 to your account balance: it comes off your next invoice.
      ",
      }
    `);
  });

  it("tier upgrade with a promotion code, in the customer's locale", () => {
    const reward = { kind: "promotion-code", code: "GOLD-1A2B3C4D", percentOff: 10, validUntil: "2026-10-02T23:39:24.000Z", stripeId: "promo_1" } as const;
    const email = renderEngagementEmail({ ...facts, template: "tier-upgrade", newTier: "gold", reward }, { locale: "fr-FR" });

    expect(email.text).toContain("Votre code de bienvenue Or GOLD-1A2B3C4D vous offre 10\u00a0% de réduction sur une commande jusqu'au 2 octobre 2026.");
  });

  it("tier upgrade without a reward applied claims none", () => {
    for (const reward of [undefined, null, { kind: "none", reason: "no-stripe-customer" } as const]) {
      const email = renderEngagementEmail({ ...facts, template: "tier-upgrade", newTier: "gold", reward }, {});

      expect(email.text).toBe("Hello,\n\nYour purchase of $600.00 earned 1,200 points and took you to Gold.\n");
    }
  });

  it("high value, in the customer's locale and currency", () => {
    const email = renderEngagementEmail({ ...facts, template: "high-value", amount: 480_000, currency: "jpy" }, { locale: "ja-JP" });

    expect(email.subject).toBe("ありがとうございます：1,200 ポイントを獲得しました");
    expect(email.text).toContain("￥480,000 のお買い物で 1,200 ポイントを獲得しました。");
  });

  it("confirmation", () => {
    expect(renderEngagementEmail({ ...facts, pointsEarned: 40, amount: 2000 }, {}).text).toMatchInlineSnapshot(`
      "Hello,

      Your purchase of $20.00 earned 40 points.
      "
    `);
  });

  it("follow-up after a tier upgrade, and after a purchase", () => {
    expect(renderEngagementEmail({ ...facts, template: "follow-up", newTier: "silver" }, {}).subject).toBe("Making the most of Silver");
    const afterPurchase = renderEngagementEmail({ ...facts, template: "follow-up", amount: 12_350, currency: "kwd" }, {});

    // Intl separates the currency code with a no-break space.
    expect(afterPurchase.text.replace(/\u00a0/g, " ")).toContain(
      "A few days ago your purchase of KWD 12.350 earned 1,200 points.",
    );
  });
});

describe("engagement emails speak every language the notifications speak", () => {
  it("a fr-FR profile gets French, tier name included", () => {
    const email = renderEngagementEmail({ ...facts, template: "tier-upgrade", newTier: "silver" }, { name: "Camille", locale: "fr-FR" });

    expect(email.subject).toBe("Bienvenue au niveau Argent");
    expect(email.text).toContain("Bonjour Camille,");
    expect(email.text).toContain("Votre achat de 600,00\u00a0$US vous a rapporté 1\u202f200 points");
  });

  it("a language without copy falls back to English throughout", () => {
    const email = renderEngagementEmail({ ...facts, template: "confirmation" }, { locale: "pt-BR" });

    expect(email.text).toBe("Hello,\n\nYour purchase of $600.00 earned 1,200 points.\n");
  });

  it.each(Object.keys(COPY))("has every template in %s, in words of its own", (language) => {
    const copy = ENGAGEMENT_COPY[language];

    expect(copy, `no engagement copy for "${language}"`).toBeDefined();
    for (const template of EMAIL_TEMPLATES) {
      const forTier = { ...facts, template, newTier: "gold" as const };
      const email = renderEngagementEmail(forTier, { locale: language });
      const english = renderEngagementEmail(forTier, { locale: "en" });
      if (language !== "en") expect(email.subject, `${template} in ${language}`).not.toBe(english.subject);
      expect(email.subject.length).toBeGreaterThan(0);
    }
  });
});
