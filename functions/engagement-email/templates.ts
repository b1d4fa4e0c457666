/**
 * Engagement email content, one template per workflow path. Pure functions of the request and the
 * customer's profile: easy to change, and snapshot-tested.
 */
import { formatMoney } from "../../events/money.ts";
import type { Tier } from "../loyalty/points.ts";
import type { CustomerProfile } from "../common/profiles.ts";

export const EMAIL_TEMPLATES = ["tier-upgrade", "high-value", "confirmation", "follow-up"] as const;
export type EmailTemplate = (typeof EMAIL_TEMPLATES)[number];

/** What the templates read. */
export interface EmailFacts {
  readonly template: EmailTemplate;
  readonly pointsEarned: number;
  readonly amount: number;
  readonly currency: string;
  readonly newTier: Tier | null;
}

export interface RenderedEmail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

const TIER_LABELS: Readonly<Record<Tier, string>> = { member: "Member", silver: "Silver", gold: "Gold", platinum: "Platinum" };

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Subject and paragraphs of each template; `tier` is the new tier's label when there is one. */
function content(facts: EmailFacts, money: string, points: string, tier: string | null): { subject: string; paragraphs: string[] } {
  switch (facts.template) {
    case "tier-upgrade":
      return {
        subject: `Welcome to ${tier}`,
        paragraphs: [
          `Your purchase of ${money} earned ${points} points and took you to ${tier}.`,
          `Your ${tier} welcome offer is already on your account: it applies at your next checkout.`,
        ],
      };
    case "high-value":
      return {
        subject: `Thank you: ${points} points are yours`,
        paragraphs: [
          `Your purchase of ${money} earned ${points} points.`,
          "As one of our most valued customers, you get early access to our next collection.",
        ],
      };
    case "confirmation":
      return {
        subject: `You earned ${points} points`,
        paragraphs: [`Your purchase of ${money} earned ${points} points.`],
      };
    case "follow-up":
      return tier
        ? {
            subject: `Making the most of ${tier}`,
            paragraphs: [`It has been a few days since you reached ${tier}.`, "Your welcome offer is still waiting at checkout."]
          }
        : {
            subject: "How are you enjoying your purchase?",
            paragraphs: [`A few days ago your purchase of ${money} earned ${points} points.`, "Tell us how it is going: just reply to this email."],
          };
  }
}

/** The email for `facts`, greeting the customer by name and formatting in their locale when the profile has them. */
export function renderEngagementEmail(facts: EmailFacts, profile: Pick<CustomerProfile, "name" | "locale">): RenderedEmail {
  const locale = profile.locale ?? "en-US";
  const money = formatMoney({ amount: facts.amount, currency: facts.currency }, locale);
  const points = new Intl.NumberFormat(locale).format(facts.pointsEarned);
  const tier = facts.newTier ? TIER_LABELS[facts.newTier] : null;
  const { subject, paragraphs } = content(facts, money, points, tier);
  const greeting = profile.name ? `Hello ${profile.name},` : "Hello,";
  return {
    subject,
    text: [greeting, ...paragraphs].join("\n\n") + "\n",
    html: [greeting, ...paragraphs].map((p) => `<p>${escapeHtml(p)}</p>`).join("\n"),
  };
}
