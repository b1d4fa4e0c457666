/**
 * The words customers read, per language: to change the copy, edit a {@link Copy} below; to add a
 * language, add one to {@link COPY}. Values arrive already formatted for the locale (money via
 * `formatMoney`, dates via `Intl`), so the copy only places them. The layout that turns a message
 * into an email and a push is `templates.ts`; its snapshot tests show every variant.
 */
/** Values a paid message may use, formatted for the reader's locale. */
export interface PaidValues {
  readonly amount: string;
  readonly number: string;
  readonly period: string;
}

/** Values a failure message may use, formatted for the reader's locale. */
export interface FailedValues {
  readonly amount: string;
  readonly number: string;
  readonly attempt: number;
  /** The next automatic attempt, or undefined when there is none. */
  readonly retryAt: string | undefined;
}

/** One message before layout: paragraphs, an optional call to action, and the push wording. */
export interface Message {
  readonly subject: string;
  readonly paragraphs: readonly string[];
  readonly actionLabel: string;
  readonly pushTitle: string;
  readonly pushBody: string;
}

/** Everything a language needs. */
export interface Copy {
  greeting(name: string | undefined): string;
  paid(values: PaidValues): Message;
  /** A failed automatic charge: say whether Stripe will retry, ask for a new payment method. */
  failedAutomatic(values: FailedValues): Message;
  /** A failed payment of an invoice the customer pays by hand (`send_invoice`): no automatic retries exist. */
  failedManual(values: FailedValues): Message;
}

const en: Copy = {
  greeting: (name) => (name ? `Hi ${name},` : "Hello,"),
  paid: ({ amount, number, period }) => ({
    subject: `Payment received for invoice ${number}`,
    paragraphs: [
      `We received your payment of ${amount} for invoice ${number}.`,
      `Service period: ${period}.`,
      "Thank you for your business.",
    ],
    actionLabel: "View your receipt",
    pushTitle: "Payment received",
    pushBody: `${amount} paid for invoice ${number}. Thank you!`,
  }),
  failedAutomatic: ({ amount, number, attempt, retryAt }) => ({
    subject: `Payment failed for invoice ${number}`,
    paragraphs: [
      `We couldn't collect your payment of ${amount} for invoice ${number} (attempt ${attempt}).`,
      retryAt ? `We will try again automatically on ${retryAt}.` : "There will be no more automatic retries.",
      "Please update your payment method so that your subscription continues without interruption.",
    ],
    actionLabel: "Update payment method",
    pushTitle: "Payment failed",
    pushBody: `We couldn't collect ${amount} for invoice ${number}. ${
      retryAt ? `Next try: ${retryAt}.` : "No more automatic retries."
    } Please update your payment method.`,
  }),
  failedManual: ({ amount, number, attempt }) => ({
    subject: `Payment failed for invoice ${number}`,
    paragraphs: [
      `Your payment of ${amount} for invoice ${number} didn't go through (attempt ${attempt}).`,
      "This invoice is not charged automatically: please pay it online with another payment method.",
    ],
    actionLabel: "Pay invoice",
    pushTitle: "Payment failed",
    pushBody: `Your payment of ${amount} for invoice ${number} didn't go through. Please pay it online.`,
  }),
};

const fr: Copy = {
  greeting: (name) => (name ? `Bonjour ${name},` : "Bonjour,"),
  paid: ({ amount, number, period }) => ({
    subject: `Paiement reçu pour la facture ${number}`,
    paragraphs: [
      `Nous avons bien reçu votre paiement de ${amount} pour la facture ${number}.`,
      `Période de service\u00a0: ${period}.`,
      "Merci de votre confiance.",
    ],
    actionLabel: "Voir votre reçu",
    pushTitle: "Paiement reçu",
    pushBody: `Paiement de ${amount} reçu pour la facture ${number}. Merci\u00a0!`,
  }),
  failedAutomatic: ({ amount, number, attempt, retryAt }) => ({
    subject: `Échec du paiement de la facture ${number}`,
    paragraphs: [
      `Nous n'avons pas pu encaisser votre paiement de ${amount} pour la facture ${number} (tentative ${attempt}).`,
      retryAt
        ? `Nous réessaierons automatiquement le ${retryAt}.`
        : "Il n'y aura plus de nouvelle tentative automatique.",
      "Veuillez mettre à jour votre moyen de paiement afin que votre abonnement se poursuive sans interruption.",
    ],
    actionLabel: "Mettre à jour le moyen de paiement",
    pushTitle: "Échec du paiement",
    pushBody: `Impossible d'encaisser ${amount} pour la facture ${number}. ${
      retryAt ? `Prochaine tentative\u00a0: ${retryAt}.` : "Plus de nouvelle tentative automatique."
    } Veuillez mettre à jour votre moyen de paiement.`,
  }),
  failedManual: ({ amount, number, attempt }) => ({
    subject: `Échec du paiement de la facture ${number}`,
    paragraphs: [
      `Votre paiement de ${amount} pour la facture ${number} n'a pas abouti (tentative ${attempt}).`,
      "Cette facture n'est pas prélevée automatiquement\u00a0: veuillez la régler en ligne avec un autre moyen de paiement.",
    ],
    actionLabel: "Payer la facture",
    pushTitle: "Échec du paiement",
    pushBody: `Votre paiement de ${amount} pour la facture ${number} n'a pas abouti. Veuillez la régler en ligne.`,
  }),
};

const de: Copy = {
  greeting: (name) => (name ? `Hallo ${name},` : "Hallo,"),
  paid: ({ amount, number, period }) => ({
    subject: `Zahlung für Rechnung ${number} erhalten`,
    paragraphs: [
      `Wir haben Ihre Zahlung über ${amount} für die Rechnung ${number} erhalten.`,
      `Leistungszeitraum: ${period}.`,
      "Vielen Dank für Ihr Vertrauen.",
    ],
    actionLabel: "Beleg ansehen",
    pushTitle: "Zahlung erhalten",
    pushBody: `${amount} für Rechnung ${number} bezahlt. Vielen Dank!`,
  }),
  failedAutomatic: ({ amount, number, attempt, retryAt }) => ({
    subject: `Zahlung für Rechnung ${number} fehlgeschlagen`,
    paragraphs: [
      `Wir konnten Ihre Zahlung über ${amount} für die Rechnung ${number} nicht einziehen (Versuch ${attempt}).`,
      retryAt
        ? `Wir versuchen es am ${retryAt} automatisch erneut.`
        : "Es erfolgen keine weiteren automatischen Versuche.",
      "Bitte aktualisieren Sie Ihre Zahlungsmethode, damit Ihr Abonnement ohne Unterbrechung weiterläuft.",
    ],
    actionLabel: "Zahlungsmethode aktualisieren",
    pushTitle: "Zahlung fehlgeschlagen",
    pushBody: `${amount} für Rechnung ${number} konnten nicht eingezogen werden. ${
      retryAt ? `Nächster Versuch: ${retryAt}.` : "Keine weiteren automatischen Versuche."
    } Bitte aktualisieren Sie Ihre Zahlungsmethode.`,
  }),
  failedManual: ({ amount, number, attempt }) => ({
    subject: `Zahlung für Rechnung ${number} fehlgeschlagen`,
    paragraphs: [
      `Ihre Zahlung über ${amount} für die Rechnung ${number} ist fehlgeschlagen (Versuch ${attempt}).`,
      "Diese Rechnung wird nicht automatisch eingezogen: Bitte bezahlen Sie sie online mit einer anderen Zahlungsmethode.",
    ],
    actionLabel: "Rechnung bezahlen",
    pushTitle: "Zahlung fehlgeschlagen",
    pushBody: `Ihre Zahlung über ${amount} für Rechnung ${number} ist fehlgeschlagen. Bitte bezahlen Sie online.`,
  }),
};

const ja: Copy = {
  greeting: (name) => (name ? `${name} 様` : "お客様"),
  paid: ({ amount, number, period }) => ({
    subject: `請求書 ${number} のお支払いを受け付けました`,
    paragraphs: [
      `請求書 ${number} について、${amount} のお支払いを受け付けました。`,
      `サービス期間：${period}`,
      "ご利用いただきありがとうございます。",
    ],
    actionLabel: "領収書を表示",
    pushTitle: "お支払い完了",
    pushBody: `請求書 ${number} の ${amount} のお支払いが完了しました。`,
  }),
  failedAutomatic: ({ amount, number, attempt, retryAt }) => ({
    subject: `請求書 ${number} のお支払いに失敗しました`,
    paragraphs: [
      `請求書 ${number} の ${amount} のお支払いを処理できませんでした（${attempt} 回目の試行）。`,
      retryAt ? `${retryAt} に自動で再試行します。` : "自動での再試行はこれ以上行われません。",
      "サブスクリプションを継続してご利用いただくため、お支払い方法を更新してください。",
    ],
    actionLabel: "お支払い方法を更新",
    pushTitle: "お支払い失敗",
    pushBody: `請求書 ${number} の ${amount} を決済できませんでした。${
      retryAt ? `次回の再試行：${retryAt}。` : "自動での再試行はこれ以上行われません。"
    }お支払い方法を更新してください。`,
  }),
  failedManual: ({ amount, number, attempt }) => ({
    subject: `請求書 ${number} のお支払いに失敗しました`,
    paragraphs: [
      `請求書 ${number} の ${amount} のお支払いが完了しませんでした（${attempt} 回目の試行）。`,
      "この請求書は自動では引き落とされません。別のお支払い方法でオンラインにてお支払いください。",
    ],
    actionLabel: "請求書を支払う",
    pushTitle: "お支払い失敗",
    pushBody: `請求書 ${number} の ${amount} のお支払いが完了しませんでした。オンラインでお支払いください。`,
  }),
};

/** Copy by language subtag (`fr` serves `fr-FR`, `fr-CA`, …). */
export const COPY: Readonly<Record<string, Copy>> = { en, fr, de, ja };

/** Whether {@link COPY} has a language. */
export function hasCopy(language: string): boolean {
  return Object.hasOwn(COPY, language);
}

/** The copy for a locale's language; English for a language {@link COPY} does not have. */
export function copyFor(locale: string): Copy {
  return COPY[new Intl.Locale(locale).language] ?? en;
}
