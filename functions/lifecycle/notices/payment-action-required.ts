import { invoiceSubscription } from "../../../events/invoice-subscription.ts";
import { defineNotice, nonEmpty } from "../notice.ts";

/**
 * `invoice.payment_action_required`: the bank asks the customer to confirm the payment (3-D
 * Secure). The link is the invoice's Stripe-hosted page, where the confirmation happens.
 */
export const paymentActionRequired = defineNotice({
  name: "payment-action-required",
  rule: { name: "PaymentActionRequiredNotice", description: "A payment needs the customer's confirmation (3-D Secure): send them the hosted invoice link." },
  eventTypes: ["invoice.payment_action_required"],
  enabledByDefault: true,
  decide: ({ object: inv }) => {
    if (inv.amount_remaining <= 0) return { skip: "nothing is left to pay" };
    return {
      tell: {
        subject: inv.id,
        // Each payment attempt that needs confirmation is its own fact.
        key: `attempt#${inv.attempt_count}`,
        customerId: inv.customer,
        email: nonEmpty(inv.customer_email),
        customerName: nonEmpty(inv.customer_name),
        localeHints: [inv.metadata?.locale, invoiceSubscription(inv).metadata.locale].flatMap((hint) => (hint ? [hint] : [])),
        values: {
          amount: { kind: "money", money: { amount: inv.amount_remaining, currency: inv.currency } },
          number: { kind: "text", text: inv.number ?? inv.id },
        },
        url: nonEmpty(inv.hosted_invoice_url),
        unlessPaid: inv.id,
      },
    };
  },
  copy: {
    en: ({ amount, number }) => ({
      subject: `Please confirm your payment for invoice ${number}`,
      paragraphs: [
        `Your bank asks you to confirm the payment of ${amount} for invoice ${number}.`,
        "Confirm it on the secure payment page to keep your subscription active.",
      ],
      actionLabel: "Confirm payment",
      pushTitle: "Confirm your payment",
      pushBody: `Your bank needs you to confirm ${amount} for invoice ${number}.`,
    }),
    fr: ({ amount, number }) => ({
      subject: `Veuillez confirmer votre paiement pour la facture ${number}`,
      paragraphs: [
        `Votre banque vous demande de confirmer le paiement de ${amount} pour la facture ${number}.`,
        "Confirmez-le sur la page de paiement sécurisée pour que votre abonnement reste actif.",
      ],
      actionLabel: "Confirmer le paiement",
      pushTitle: "Confirmez votre paiement",
      pushBody: `Votre banque vous demande de confirmer ${amount} pour la facture ${number}.`,
    }),
    de: ({ amount, number }) => ({
      subject: `Bitte bestätigen Sie Ihre Zahlung für Rechnung ${number}`,
      paragraphs: [
        `Ihre Bank bittet Sie, die Zahlung über ${amount} für die Rechnung ${number} zu bestätigen.`,
        "Bestätigen Sie sie auf der sicheren Zahlungsseite, damit Ihr Abonnement aktiv bleibt.",
      ],
      actionLabel: "Zahlung bestätigen",
      pushTitle: "Zahlung bestätigen",
      pushBody: `Ihre Bank bittet um Bestätigung von ${amount} für Rechnung ${number}.`,
    }),
    ja: ({ amount, number }) => ({
      subject: `請求書 ${number} のお支払いの確認をお願いします`,
      paragraphs: [
        `請求書 ${number} の ${amount} のお支払いについて、カード会社が本人確認を求めています。`,
        "サブスクリプションを継続するため、安全なお支払いページで確認してください。",
      ],
      actionLabel: "お支払いを確認",
      pushTitle: "お支払いの確認",
      pushBody: `請求書 ${number} の ${amount} のお支払いの確認が必要です。`,
    }),
  },
});
