/**
 * The one layout that turns a notice's message into an email (subject, HTML, text) and a push
 * notification (title, body, data). The words, per language, are in `copy.ts`. The snapshot tests
 * in `templates.test.ts` show every variant.
 */
import { singleLine, webLink } from "../common/text.ts";
import { dateTimeFormat } from "../../events/intl.ts";
import { formatMoney } from "../../events/money.ts";
import type { FailedNotice, Notice, PaidNotice } from "./notice.ts";
import { copyFor, type Copy, type FailedValues, type Message } from "./copy.ts";

export { COPY, hasCopy, type Message } from "./copy.ts";

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
  const copy = copyFor(locale);
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
  const copy = copyFor(locale);
  const greeting = copy.greeting(options.customerName);
  // Values from Stripe reach the Subject header here too (an invoice number): keep it on one line.
  const written = { ...message, subject: singleLine(message.subject) };
  return {
    locale,
    email: { subject: written.subject, html: layoutHtml(locale, greeting, written, url), text: layoutText(greeting, written, url) },
    push: { title: written.pushTitle, body: written.pushBody, data: { ...options.data, ...(url ? { url } : {}) } },
  };
}
