import { invoiceSubscription } from "../../../events/invoice-subscription.ts";
import { defineNotice, nonEmpty } from "../notice.ts";

/**
 * `invoice.upcoming` (days before a renewal, as set in Stripe's billing settings): remind the
 * customer what will be charged and when. Off by default: enable `renewal-reminder` in
 * `PAYBUS_LIFECYCLE_NOTICES` (some regions require it for annual plans; many teams do not want it).
 */
export const renewalReminder = defineNotice({
  name: "renewal-reminder",
  rule: { name: "RenewalReminderNotice", description: "A subscription renews soon: remind the customer (off unless enabled in PAYBUS_LIFECYCLE_NOTICES)." },
  eventTypes: ["invoice.upcoming"],
  enabledByDefault: false,
  decide: ({ object: inv }) => {
    if (inv.amount_due <= 0) return { skip: "nothing will be charged" };
    const subscription = invoiceSubscription(inv);
    const renewsAt = inv.next_payment_attempt ?? inv.period_end;
    return {
      tell: {
        // The upcoming invoice has no id yet: the subscription and the renewal date name the fact.
        subject: subscription.id ?? inv.customer ?? "unknown",
        key: `renewal#${renewsAt}`,
        customerId: inv.customer,
        email: nonEmpty(inv.customer_email),
        customerName: nonEmpty(inv.customer_name),
        localeHints: [inv.metadata?.locale, subscription.metadata.locale].flatMap((hint) => (hint ? [hint] : [])),
        values: {
          amount: { kind: "money", money: { amount: inv.amount_due, currency: inv.currency } },
          renewsAt: { kind: "day", at: renewsAt },
        },
        url: undefined,
      },
    };
  },
  copy: {
    en: ({ amount, renewsAt }) => ({
      subject: `Your subscription renews on ${renewsAt}`,
      paragraphs: [`Your subscription renews on ${renewsAt}: ${amount} will be charged.`, "Nothing to do if your payment method is up to date."],
      actionLabel: "Manage your subscription",
      pushTitle: "Upcoming renewal",
      pushBody: `Your subscription renews on ${renewsAt} (${amount}).`,
    }),
    fr: ({ amount, renewsAt }) => ({
      subject: `Votre abonnement sera renouvelé le ${renewsAt}`,
      paragraphs: [
        `Votre abonnement sera renouvelé le ${renewsAt}\u00a0: ${amount} seront prélevés.`,
        "Vous n'avez rien à faire si votre moyen de paiement est à jour.",
      ],
      actionLabel: "Gérer votre abonnement",
      pushTitle: "Renouvellement à venir",
      pushBody: `Votre abonnement sera renouvelé le ${renewsAt} (${amount}).`,
    }),
    de: ({ amount, renewsAt }) => ({
      subject: `Ihr Abonnement verlängert sich am ${renewsAt}`,
      paragraphs: [`Ihr Abonnement verlängert sich am ${renewsAt}: ${amount} werden abgebucht.`, "Wenn Ihre Zahlungsmethode aktuell ist, müssen Sie nichts tun."],
      actionLabel: "Abonnement verwalten",
      pushTitle: "Anstehende Verlängerung",
      pushBody: `Ihr Abonnement verlängert sich am ${renewsAt} (${amount}).`,
    }),
    ja: ({ amount, renewsAt }) => ({
      subject: `サブスクリプションは ${renewsAt} に更新されます`,
      paragraphs: [`サブスクリプションは ${renewsAt} に更新され、${amount} が請求されます。`, "お支払い方法が最新であれば、お手続きは不要です。"],
      actionLabel: "サブスクリプションを管理",
      pushTitle: "更新のお知らせ",
      pushBody: `サブスクリプションは ${renewsAt} に更新されます（${amount}）。`,
    }),
  },
});
