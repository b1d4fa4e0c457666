import { nonEmpty, defineNotice } from "../notice.ts";

/** `customer.subscription.trial_will_end` (three days before): tell when the trial ends. */
export const trialEnding = defineNotice({
  name: "trial-ending",
  rule: { name: "TrialEndingNotice", description: "A trial ends in three days: tell the customer by email and push." },
  eventTypes: ["customer.subscription.trial_will_end"],
  enabledByDefault: true,
  decide: ({ object: sub }) => {
    if (!sub.trial_end) return { skip: "the subscription has no trial end" };
    if (sub.status !== "trialing") return { skip: `the subscription is ${sub.status}, no longer trialing` };
    return {
      tell: {
        subject: sub.id,
        // A trial extended to a new date is a new fact.
        key: `trial-end#${sub.trial_end}`,
        customerId: sub.customer,
        email: undefined,
        customerName: undefined,
        localeHints: [sub.metadata.locale].flatMap((hint) => (nonEmpty(hint) ? [hint!] : [])),
        values: { trialEnd: { kind: "day", at: sub.trial_end } },
        url: undefined,
      },
    };
  },
  copy: {
    en: ({ trialEnd }) => ({
      subject: `Your trial ends on ${trialEnd}`,
      paragraphs: [`Your free trial ends on ${trialEnd}.`, "To keep your subscription without interruption, make sure your payment method is up to date."],
      actionLabel: "Manage your subscription",
      pushTitle: "Your trial is ending",
      pushBody: `Your free trial ends on ${trialEnd}.`,
    }),
    fr: ({ trialEnd }) => ({
      subject: `Votre période d'essai se termine le ${trialEnd}`,
      paragraphs: [
        `Votre période d'essai gratuite se termine le ${trialEnd}.`,
        "Pour que votre abonnement continue sans interruption, vérifiez que votre moyen de paiement est à jour.",
      ],
      actionLabel: "Gérer votre abonnement",
      pushTitle: "Fin de votre période d'essai",
      pushBody: `Votre période d'essai gratuite se termine le ${trialEnd}.`,
    }),
    de: ({ trialEnd }) => ({
      subject: `Ihr Testzeitraum endet am ${trialEnd}`,
      paragraphs: [
        `Ihr kostenloser Testzeitraum endet am ${trialEnd}.`,
        "Damit Ihr Abonnement ohne Unterbrechung weiterläuft, prüfen Sie bitte Ihre Zahlungsmethode.",
      ],
      actionLabel: "Abonnement verwalten",
      pushTitle: "Ihr Testzeitraum endet",
      pushBody: `Ihr kostenloser Testzeitraum endet am ${trialEnd}.`,
    }),
    ja: ({ trialEnd }) => ({
      subject: `無料トライアルは ${trialEnd} に終了します`,
      paragraphs: [`無料トライアルは ${trialEnd} に終了します。`, "サブスクリプションを継続してご利用いただくため、お支払い方法をご確認ください。"],
      actionLabel: "サブスクリプションを管理",
      pushTitle: "トライアル終了のお知らせ",
      pushBody: `無料トライアルは ${trialEnd} に終了します。`,
    }),
  },
});
