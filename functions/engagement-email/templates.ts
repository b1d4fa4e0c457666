/**
 * Engagement email content, one template per workflow path. Pure functions of the request and the
 * customer's profile: easy to change, and snapshot-tested.
 */
import { dateTimeFormat, numberFormat } from "../../events/intl.ts";
import { formatMoney } from "../../events/money.ts";
import type { Tier } from "../loyalty/points.ts";
import type { CustomerProfile } from "../common/profiles.ts";
import type { AppliedReward } from "../engagement-offer/rewards.ts";

export const EMAIL_TEMPLATES = ["tier-upgrade", "high-value", "confirmation", "follow-up"] as const;
export type EmailTemplate = (typeof EMAIL_TEMPLATES)[number];

/** What the templates read. */
export interface EmailFacts {
  readonly template: EmailTemplate;
  readonly pointsEarned: number;
  readonly amount: number;
  readonly currency: string;
  readonly newTier: Tier | null;
  /** What the tier promotion applied in Stripe (tier-upgrade only); absent or `none`: nothing is claimed. */
  readonly reward?: AppliedReward | null | undefined;
}

export interface RenderedEmail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** What the words of one language place: values already formatted for the reader's locale. */
interface Values {
  readonly money: string;
  readonly points: string;
  /** The new tier's label in this language, when the purchase changed tier. */
  readonly tier: string | null;
  /** What was applied in the customer's Stripe account, formatted; null when nothing was. */
  readonly reward: RewardValues | null;
}

/** A reward as the words place it: a balance credit (money) or a promotion code (code, percent, last day). */
type RewardValues =
  | { readonly kind: "credit"; readonly money: string }
  | { readonly kind: "code"; readonly code: string; readonly percent: string; readonly until: string };

type Content = { subject: string; paragraphs: string[] };

/** The engagement emails in one language. */
export interface EngagementCopy {
  readonly greeting: (name: string | undefined) => string;
  readonly tiers: Readonly<Record<Tier, string>>;
  readonly templates: Readonly<Record<EmailTemplate, (values: Values) => Content>>;
}

const en: EngagementCopy = {
  greeting: (name) => (name ? `Hello ${name},` : "Hello,"),
  tiers: { member: "Member", silver: "Silver", gold: "Gold", platinum: "Platinum" },
  templates: {
    "tier-upgrade": ({ money, points, tier, reward }) => ({
      subject: `Welcome to ${tier}`,
      paragraphs: [
        `Your purchase of ${money} earned ${points} points and took you to ${tier}.`,
        ...(reward?.kind === "credit" ? [`We have credited ${reward.money} to your account balance: it comes off your next invoice.`] : []),
        ...(reward?.kind === "code" ? [`Your ${tier} welcome code ${reward.code} takes ${reward.percent} off one order until ${reward.until}.`] : []),
      ],
    }),
    "high-value": ({ money, points }) => ({
      subject: `Thank you: ${points} points are yours`,
      paragraphs: [`Your purchase of ${money} earned ${points} points.`, "As one of our most valued customers, you get early access to our next collection."],
    }),
    confirmation: ({ money, points }) => ({ subject: `You earned ${points} points`, paragraphs: [`Your purchase of ${money} earned ${points} points.`] }),
    "follow-up": ({ money, points, tier }) =>
      tier
        ? { subject: `Making the most of ${tier}`, paragraphs: [`It has been a few days since you reached ${tier}.`, `Your ${tier} benefits are yours for good: tiers never go down.`] }
        : {
            subject: "How are you enjoying your purchase?",
            paragraphs: [`A few days ago your purchase of ${money} earned ${points} points.`, "Tell us how it is going: just reply to this email."],
          },
  },
};

const fr: EngagementCopy = {
  greeting: (name) => (name ? `Bonjour ${name},` : "Bonjour,"),
  tiers: { member: "Membre", silver: "Argent", gold: "Or", platinum: "Platine" },
  templates: {
    "tier-upgrade": ({ money, points, tier, reward }) => ({
      subject: `Bienvenue au niveau ${tier}`,
      paragraphs: [
        `Votre achat de ${money} vous a rapporté ${points} points et vous fait passer au niveau ${tier}.`,
        ...(reward?.kind === "credit" ? [`Nous avons crédité ${reward.money} sur le solde de votre compte : ce montant sera déduit de votre prochaine facture.`] : []),
        ...(reward?.kind === "code" ? [`Votre code de bienvenue ${tier} ${reward.code} vous offre ${reward.percent} de réduction sur une commande jusqu'au ${reward.until}.`] : []),
      ],
    }),
    "high-value": ({ money, points }) => ({
      subject: `Merci : ${points} points sont à vous`,
      paragraphs: [`Votre achat de ${money} vous a rapporté ${points} points.`, "En tant que client privilégié, vous avez un accès anticipé à notre prochaine collection."],
    }),
    confirmation: ({ money, points }) => ({ subject: `Vous avez gagné ${points} points`, paragraphs: [`Votre achat de ${money} vous a rapporté ${points} points.`] }),
    "follow-up": ({ money, points, tier }) =>
      tier
        ? { subject: `Profitez pleinement du niveau ${tier}`, paragraphs: [`Vous avez atteint le niveau ${tier} il y a quelques jours.`, `Vos avantages ${tier} vous sont acquis : un niveau ne se perd jamais.`] }
        : {
            subject: "Que pensez-vous de votre achat ?",
            paragraphs: [`Il y a quelques jours, votre achat de ${money} vous a rapporté ${points} points.`, "Dites-nous ce que vous en pensez : répondez simplement à cet e-mail."],
          },
  },
};

const de: EngagementCopy = {
  greeting: (name) => (name ? `Hallo ${name},` : "Hallo,"),
  tiers: { member: "Mitglied", silver: "Silber", gold: "Gold", platinum: "Platin" },
  templates: {
    "tier-upgrade": ({ money, points, tier, reward }) => ({
      subject: `Willkommen bei ${tier}`,
      paragraphs: [
        `Ihr Einkauf über ${money} hat Ihnen ${points} Punkte eingebracht und Sie zu ${tier} befördert.`,
        ...(reward?.kind === "credit" ? [`Wir haben Ihrem Kontoguthaben ${reward.money} gutgeschrieben: Der Betrag wird von Ihrer nächsten Rechnung abgezogen.`] : []),
        ...(reward?.kind === "code" ? [`Ihr ${tier}-Willkommenscode ${reward.code} gibt Ihnen bis ${reward.until} ${reward.percent} Rabatt auf eine Bestellung.`] : []),
      ],
    }),
    "high-value": ({ money, points }) => ({
      subject: `Vielen Dank: ${points} Punkte gehören Ihnen`,
      paragraphs: [`Ihr Einkauf über ${money} hat Ihnen ${points} Punkte eingebracht.`, "Als einer unserer treuesten Kunden erhalten Sie frühen Zugang zu unserer nächsten Kollektion."],
    }),
    confirmation: ({ money, points }) => ({ subject: `Sie haben ${points} Punkte gesammelt`, paragraphs: [`Ihr Einkauf über ${money} hat Ihnen ${points} Punkte eingebracht.`] }),
    "follow-up": ({ money, points, tier }) =>
      tier
        ? { subject: `Das Beste aus ${tier} machen`, paragraphs: [`Sie haben ${tier} vor ein paar Tagen erreicht.`, `Ihre ${tier}-Vorteile bleiben Ihnen: Stufen gehen nie zurück.`] }
        : {
            subject: "Wie gefällt Ihnen Ihr Einkauf?",
            paragraphs: [`Vor ein paar Tagen hat Ihnen Ihr Einkauf über ${money} ${points} Punkte eingebracht.`, "Erzählen Sie uns davon: Antworten Sie einfach auf diese E-Mail."],
          },
  },
};

const ja: EngagementCopy = {
  greeting: (name) => (name ? `${name} 様` : "お客様"),
  tiers: { member: "メンバー", silver: "シルバー", gold: "ゴールド", platinum: "プラチナ" },
  templates: {
    "tier-upgrade": ({ money, points, tier, reward }) => ({
      subject: `${tier}会員へようこそ`,
      paragraphs: [
        `${money} のお買い物で ${points} ポイントを獲得し、${tier}会員になりました。`,
        ...(reward?.kind === "credit" ? [`アカウント残高に ${reward.money} をお付けしました。次回のご請求から差し引かれます。`] : []),
        ...(reward?.kind === "code" ? [`${tier}会員ウェルカムコード ${reward.code} で、${reward.until} まで1回のご注文が ${reward.percent} オフになります。`] : []),
      ],
    }),
    "high-value": ({ money, points }) => ({
      subject: `ありがとうございます：${points} ポイントを獲得しました`,
      paragraphs: [`${money} のお買い物で ${points} ポイントを獲得しました。`, "大切なお客様として、次のコレクションに先行してアクセスいただけます。"],
    }),
    confirmation: ({ money, points }) => ({ subject: `${points} ポイントを獲得しました`, paragraphs: [`${money} のお買い物で ${points} ポイントを獲得しました。`] }),
    "follow-up": ({ money, points, tier }) =>
      tier
        ? { subject: `${tier}会員の特典をご活用ください`, paragraphs: [`${tier}会員になってから数日が経ちました。`, `${tier}会員の特典はこれからもずっとご利用いただけます。`] }
        : {
            subject: "お買い物はいかがでしたか？",
            paragraphs: [`数日前の ${money} のお買い物で ${points} ポイントを獲得されました。`, "ご感想をお聞かせください。このメールに返信するだけで届きます。"],
          },
  },
};

/** Engagement copy by language subtag (`fr` serves `fr-FR`, `fr-CA`, …). */
export const ENGAGEMENT_COPY: Readonly<Record<string, EngagementCopy>> = { en, fr, de, ja };

function rewardValues(reward: AppliedReward | null | undefined, locale: string): RewardValues | null {
  if (!reward || reward.kind === "none") return null;
  if (reward.kind === "balance-credit") return { kind: "credit", money: formatMoney({ amount: reward.amount, currency: reward.currency }, locale) };
  return {
    kind: "code",
    code: reward.code,
    percent: numberFormat(locale, { style: "percent" }).format(reward.percentOff / 100),
    until: dateTimeFormat(locale, { dateStyle: "long", timeZone: "UTC" }).format(new Date(reward.validUntil)),
  };
}

/** The email for `facts`, greeting the customer by name and formatting in their locale when the profile has them. */
export function renderEngagementEmail(facts: EmailFacts, profile: Pick<CustomerProfile, "name" | "locale">): RenderedEmail {
  const requested = profile.locale ?? "en-US";
  // A locale whose language has no copy is written in English, with English formatting.
  const language = new Intl.Locale(requested).language;
  const copy = ENGAGEMENT_COPY[language] ?? en;
  const locale = ENGAGEMENT_COPY[language] ? requested : "en-US";
  const money = formatMoney({ amount: facts.amount, currency: facts.currency }, locale);
  const points = numberFormat(locale).format(facts.pointsEarned);
  const tier = facts.newTier ? copy.tiers[facts.newTier] : null;
  const { subject, paragraphs } = copy.templates[facts.template]({ money, points, tier, reward: rewardValues(facts.reward, locale) });
  const greeting = copy.greeting(profile.name);
  return {
    subject,
    text: [greeting, ...paragraphs].join("\n\n") + "\n",
    html: [greeting, ...paragraphs].map((p) => `<p>${escapeHtml(p)}</p>`).join("\n"),
  };
}
