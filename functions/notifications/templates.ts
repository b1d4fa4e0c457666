/**
 * The words customers read, per language, and the one layout that turns them into an email (subject,
 * HTML, text) and a push notification (title, body, data).
 *
 * To change the copy, edit a {@link Copy} below; to add a language, add one to {@link COPY}. Values
 * arrive already formatted for the locale (money via `formatMoney`, dates via `Intl`), so the copy
 * only places them. The snapshot tests in `templates.test.ts` show every variant.
 */
import { singleLine, webLink } from "../common/text.ts";
import { dateTimeFormat } from "../../events/intl.ts";
import { formatMoney } from "../../events/money.ts";
import type { FailedNotice, Notice, PaidNotice } from "./notice.ts";

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

/** An email ready for SES `SendEmail`. */
export interface EmailContent {
  readonly subject: string;
  readonly html: string;
  readonly text: string;
}

/** A push notification; `data` values are strings, as FCM requires. */
export interface PushContent {
  readonly title: string;
  readonly body: string;
  readonly data: Readonly<Record<string, string>>;
}

export interface RenderedNotice {
  readonly locale: string;
  readonly email: EmailContent;
  readonly push: PushContent;
}

export interface RenderOptions {
  /** A locale whose language is in {@link COPY}. */
  readonly locale: string;
  /** Where customers update their payment method. */
  readonly billingPortalUrl: string;
  /** The name to greet the customer by; the invoice's `customer_name` when omitted. */
  readonly customerName?: string | undefined;
}

// Customers' time zones are unknown: dates are in UTC and say so when a time of day is shown.
const dayFormat = (locale: string) => dateTimeFormat(locale, { dateStyle: "long", timeZone: "UTC" });
const momentFormat = (locale: string) =>
  dateTimeFormat(locale, {
    year: "numeric",
    month: "long",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZone: "UTC",
    timeZoneName: "short",
  });

function paidMessage(copy: Copy, notice: PaidNotice, locale: string): Message {
  return copy.paid({
    amount: formatMoney(notice.amount, locale),
    number: notice.invoiceNumber,
    period: dayFormat(locale).formatRange(notice.period.start * 1000, notice.period.end * 1000),
  });
}

function failedMessage(copy: Copy, notice: FailedNotice, locale: string): Message {
  const values: FailedValues = {
    amount: formatMoney(notice.amount, locale),
    number: notice.invoiceNumber,
    attempt: notice.attempt,
    retryAt: notice.nextAttempt === null ? undefined : momentFormat(locale).format(notice.nextAttempt * 1000),
  };
  if (notice.collectionMethod === "send_invoice") return copy.failedManual(values);
  const message = copy.failedAutomatic(values);
  // No automatic retry left: the customer must pay on the hosted invoice page (see actionUrl).
  return needsCustomer(notice) && notice.hostedInvoiceUrl ? { ...message, actionLabel: copy.failedManual(values).actionLabel } : message;
}

/** A failed automatic charge Stripe will not retry: only the customer can settle the invoice now. */
function needsCustomer(notice: FailedNotice): boolean {
  return notice.collectionMethod === "charge_automatically" && notice.nextAttempt === null;
}

/** Where the call to action leads: the receipt, the billing portal, or the invoice to pay by hand. */
function actionUrl(notice: Notice, billingPortalUrl: string): string | undefined {
  // Links from the event are shown only when they are web links; the portal URL is checked by config.
  if (notice.kind === "paid") return webLink(notice.receiptUrl);
  if (notice.collectionMethod === "send_invoice" || needsCustomer(notice)) return webLink(notice.hostedInvoiceUrl) ?? billingPortalUrl;
  return billingPortalUrl;
}

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Names and numbers come from Stripe and may contain markup characters. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

function layoutText(greeting: string, message: Message, url: string | undefined): string {
  // Label and URL on their own lines: no locale-specific punctuation between them.
  const action = url ? [`${message.actionLabel}\n${url}`] : [];
  return `${[greeting, ...message.paragraphs, ...action].join("\n\n")}\n`;
}

function layoutHtml(locale: string, greeting: string, message: Message, url: string | undefined): string {
  const paragraph = (text: string) => `<p style="margin:0 0 16px">${escapeHtml(text)}</p>`;
  const action = url
    ? [
        `<p style="margin:24px 0"><a href="${escapeHtml(url)}" style="background:#0a66c2;color:#ffffff;` +
          `padding:12px 20px;border-radius:6px;text-decoration:none;display:inline-block">` +
          `${escapeHtml(message.actionLabel)}</a></p>`,
      ]
    : [];
  const lines = [
    "<!doctype html>",
    `<html lang="${escapeHtml(locale)}">`,
    `<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
      `<title>${escapeHtml(message.subject)}</title></head>`,
    `<body style="margin:0;padding:24px;background:#f5f6f8;font-family:Helvetica,Arial,sans-serif;color:#1f2328">`,
    `<div style="max-width:560px;margin:0 auto;background:#ffffff;padding:24px;border-radius:8px">`,
    paragraph(greeting),
    ...message.paragraphs.map(paragraph),
    ...action,
    "</div>",
    "</body>",
    "</html>",
  ];
  return `${lines.join("\n")}\n`;
}

/** The email and the push for a notice, in a locale {@link COPY} covers. */
export function renderNotice(notice: Notice, options: RenderOptions): RenderedNotice {
  const { locale } = options;
  const copy = COPY[new Intl.Locale(locale).language] ?? en;
  const written = notice.kind === "paid" ? paidMessage(copy, notice, locale) : failedMessage(copy, notice, locale);
  // The invoice number comes from Stripe and reaches the Subject header: keep it on one line.
  const message = { ...written, subject: singleLine(written.subject) };
  const greeting = copy.greeting(options.customerName ?? notice.customerName);
  const url = actionUrl(notice, options.billingPortalUrl);
  const data: Record<string, string> = {
    type: notice.kind === "paid" ? "invoice.paid" : "invoice.payment_failed",
    invoiceId: notice.invoiceId,
    ...(notice.kind === "failed" ? { attempt: String(notice.attempt) } : {}),
    ...(url ? { url } : {}),
  };
  return {
    locale,
    email: { subject: message.subject, html: layoutHtml(locale, greeting, message, url), text: layoutText(greeting, message, url) },
    push: { title: message.pushTitle, body: message.pushBody, data },
  };
}

/**
 * Lays out a message already written in the reader's language as an email and a push, exactly as
 * the invoice notices are laid out. Used by the lifecycle notices (`functions/lifecycle`).
 */
export function renderMessage(
  message: Message,
  options: { readonly locale: string; readonly customerName: string | undefined; readonly url: string | undefined; readonly data: Readonly<Record<string, string>> },
): RenderedNotice {
  const { locale, url } = options;
  const copy = COPY[new Intl.Locale(locale).language] ?? en;
  const greeting = copy.greeting(options.customerName);
  // Values from Stripe reach the Subject header here too (an invoice number): keep it on one line.
  const written = { ...message, subject: singleLine(message.subject) };
  return {
    locale,
    email: { subject: written.subject, html: layoutHtml(locale, greeting, written, url), text: layoutText(greeting, written, url) },
    push: { title: written.pushTitle, body: written.pushBody, data: { ...options.data, ...(url ? { url } : {}) } },
  };
}
