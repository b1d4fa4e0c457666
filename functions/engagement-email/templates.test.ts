import { describe, expect, it } from "vitest";
import { renderEngagementEmail, type EmailFacts } from "./templates.ts";

const facts: EmailFacts = { template: "confirmation", pointsEarned: 1200, amount: 60_000, currency: "usd", newTier: null };

describe("engagement email templates", () => {
  it("tier upgrade", () => {
    expect(renderEngagementEmail({ ...facts, template: "tier-upgrade", newTier: "gold" }, { name: "Ada <Lovelace>" })).toMatchInlineSnapshot(`
      {
        "html": "<p>Hello Ada &#60;Lovelace&#62;,</p>
      <p>Your purchase of $600.00 earned 1,200 points and took you to Gold.</p>
      <p>Your Gold welcome offer is already on your account: it applies at your next checkout.</p>",
        "subject": "Welcome to Gold",
        "text": "Hello Ada <Lovelace>,

      Your purchase of $600.00 earned 1,200 points and took you to Gold.

      Your Gold welcome offer is already on your account: it applies at your next checkout.
      ",
      }
    `);
  });

  it("high value, in the customer's locale and currency", () => {
    const email = renderEngagementEmail({ ...facts, template: "high-value", amount: 480_000, currency: "jpy" }, { locale: "ja-JP" });

    expect(email.subject).toBe("Thank you: 1,200 points are yours");
    expect(email.text).toContain("Your purchase of ￥480,000 earned 1,200 points.");
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
