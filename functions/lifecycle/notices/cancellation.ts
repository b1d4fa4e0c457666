import { subscriptionPeriodEnd } from "../../../events/stripe-customer-objects.ts";
import { defineNotice, nonEmpty } from "../notice.ts";

const hints = (locale: string | undefined) => (nonEmpty(locale) ? [locale!] : []);

/**
 * `customer.subscription.updated` where `cancel_at_period_end` turned on (`previous_attributes`
 * says it was off): confirm the scheduled cancellation and its date. Any other update is skipped.
 */
export const cancellationScheduled = defineNotice({
  name: "cancellation-scheduled",
  rule: { name: "CancellationScheduledNotice", description: "A subscription was set to cancel at period end: confirm the date to the customer." },
  eventTypes: ["customer.subscription.updated"],
  enabledByDefault: true,
  decide: ({ object: sub, previousAttributes }) => {
    const turnedOn = sub.cancel_at_period_end && previousAttributes?.cancel_at_period_end === false;
    if (!turnedOn) return { skip: "cancel_at_period_end was not turned on by this update" };
    const endsAt = sub.cancel_at ?? subscriptionPeriodEnd(sub);
    if (endsAt === undefined || endsAt === null) return { skip: "the subscription has no end date" };
    return {
      tell: {
        subject: sub.id,
        // Turned off and on again with another date: a new fact.
        key: `cancel-at#${endsAt}`,
        customerId: sub.customer,
        email: undefined,
        customerName: undefined,
        localeHints: hints(sub.metadata.locale),
        values: { endsAt: { kind: "day", at: endsAt } },
        url: undefined,
      },
    };
  },
  copy: {
    en: ({ endsAt }) => ({
      subject: `Your subscription will end on ${endsAt}`,
      paragraphs: [`As requested, your subscription will end on ${endsAt}.`, "You keep full access until then. Changed your mind? You can keep your subscription from your account."],
      actionLabel: "Keep my subscription",
      pushTitle: "Cancellation scheduled",
      pushBody: `Your subscription will end on ${endsAt}.`,
    }),
    fr: ({ endsAt }) => ({
      subject: `Votre abonnement prendra fin le ${endsAt}`,
      paragraphs: [
        `Comme demandé, votre abonnement prendra fin le ${endsAt}.`,
        "Vous gardez un accès complet jusque-là. Vous avez changé d'avis\u00a0? Vous pouvez conserver votre abonnement depuis votre compte.",
      ],
      actionLabel: "Conserver mon abonnement",
      pushTitle: "Résiliation programmée",
      pushBody: `Votre abonnement prendra fin le ${endsAt}.`,
    }),
    de: ({ endsAt }) => ({
      subject: `Ihr Abonnement endet am ${endsAt}`,
      paragraphs: [`Wie gewünscht endet Ihr Abonnement am ${endsAt}.`, "Bis dahin behalten Sie vollen Zugriff. Sie haben es sich anders überlegt? Sie können Ihr Abonnement in Ihrem Konto behalten."],
      actionLabel: "Abonnement behalten",
      pushTitle: "Kündigung vorgemerkt",
      pushBody: `Ihr Abonnement endet am ${endsAt}.`,
    }),
    ja: ({ endsAt }) => ({
      subject: `サブスクリプションは ${endsAt} に終了します`,
      paragraphs: [`ご依頼のとおり、サブスクリプションは ${endsAt} に終了します。`, "それまでは引き続きすべての機能をご利用いただけます。解約を取り消す場合は、アカウントから手続きできます。"],
      actionLabel: "サブスクリプションを継続",
      pushTitle: "解約予定のお知らせ",
      pushBody: `サブスクリプションは ${endsAt} に終了します。`,
    }),
  },
});

/** `customer.subscription.deleted`: the subscription has ended; confirm it with the date. */
export const cancellationConfirmed = defineNotice({
  name: "cancellation-confirmed",
  rule: { name: "CancellationConfirmedNotice", description: "A subscription ended: confirm the cancellation and its date to the customer." },
  eventTypes: ["customer.subscription.deleted"],
  enabledByDefault: true,
  decide: ({ object: sub, event }) => {
    const endedAt = sub.ended_at ?? sub.canceled_at ?? event.created;
    return {
      tell: {
        subject: sub.id,
        key: "ended",
        customerId: sub.customer,
        email: undefined,
        customerName: undefined,
        localeHints: hints(sub.metadata.locale),
        values: { endedAt: { kind: "day", at: endedAt } },
        url: undefined,
      },
    };
  },
  copy: {
    en: ({ endedAt }) => ({
      subject: "Your subscription has ended",
      paragraphs: [`Your subscription ended on ${endedAt}.`, "We're sorry to see you go. You can subscribe again at any time."],
      actionLabel: "Subscribe again",
      pushTitle: "Subscription ended",
      pushBody: `Your subscription ended on ${endedAt}.`,
    }),
    fr: ({ endedAt }) => ({
      subject: "Votre abonnement a pris fin",
      paragraphs: [`Votre abonnement a pris fin le ${endedAt}.`, "Nous sommes désolés de vous voir partir. Vous pouvez vous réabonner à tout moment."],
      actionLabel: "Se réabonner",
      pushTitle: "Abonnement terminé",
      pushBody: `Votre abonnement a pris fin le ${endedAt}.`,
    }),
    de: ({ endedAt }) => ({
      subject: "Ihr Abonnement ist beendet",
      paragraphs: [`Ihr Abonnement wurde am ${endedAt} beendet.`, "Schade, dass Sie gehen. Sie können jederzeit wieder abonnieren."],
      actionLabel: "Erneut abonnieren",
      pushTitle: "Abonnement beendet",
      pushBody: `Ihr Abonnement wurde am ${endedAt} beendet.`,
    }),
    ja: ({ endedAt }) => ({
      subject: "サブスクリプションが終了しました",
      paragraphs: [`サブスクリプションは ${endedAt} に終了しました。`, "これまでのご利用ありがとうございました。いつでも再度お申し込みいただけます。"],
      actionLabel: "再度申し込む",
      pushTitle: "サブスクリプション終了",
      pushBody: `サブスクリプションは ${endedAt} に終了しました。`,
    }),
  },
});
