/**
 * Recurring-payment notifications: one SQS message in, at most one email and one push per device
 * out, exactly once per notice and channel.
 *
 * The decisions are the pure functions of `notice.ts` and the words those of `templates.ts`; this
 * module sequences them around the three effects it is given: the {@link NotificationStore}, the
 * profile lookup and the {@link Channels}.
 */
import { bothSettled, withEarlyWrite } from "../common/settled.ts";
import { decodeStripeMessage } from "../../events/parse.ts";
import { contactOf, type ContactStore } from "../customers/contact.ts";
import { classifyError, PoisonRecordError, RetryableError } from "../common/errors.ts";
import type { InvocationBounds } from "../common/invocation.ts";
import { profileFromItem, type CustomerProfile } from "../common/profiles.ts";
import { redactEmail } from "../common/redact.ts";
import type { Channels } from "./channels.ts";
import { deliverOnce, type DeliverContext, type DeliveryResult } from "./deliver.ts";
import type { NotificationsConfig } from "./config.ts";
import {
  chooseLocale,
  chooseRecipients,
  INVOICE_EVENT_TYPES,
  noticeKey,
  plannedDeliveries,
  pointlessReason,
  toNotice,
  type Delivery,
  type Notice,
} from "./notice.ts";
import type { NotificationStore } from "./store.ts";
import { hasCopy, renderNotice } from "./templates.ts";

export { SendInProgressError, type DeliveryResult } from "./deliver.ts";

/** Which notice an outcome is about (no personal data: safe to log). */
export interface NoticeRef {
  readonly invoiceId: string;
  /** `paid` or `failed#<attempt>`. */
  readonly key: string;
  readonly eventId: string;
  /** `detail.created`, Unix seconds. */
  readonly eventCreated: number;
}

/** What became of one message. */
export type NotifyOutcome =
  | { readonly kind: "ignored"; readonly eventId: string; readonly reason: string }
  | { readonly kind: "skipped"; readonly notice: NoticeRef; readonly reason: string }
  | {
      readonly kind: "attempted";
      readonly notice: NoticeRef;
      readonly locale: string;
      readonly deliveries: readonly DeliveryResult[];
    };

export interface NotifyDependencies {
  readonly store: NotificationStore;
  readonly profiles: (customerId: string) => Promise<CustomerProfile | undefined>;
  readonly channels: Channels;
  readonly config: Pick<NotificationsConfig, "billingPortalUrl" | "defaultLocale">;
  /** Epoch milliseconds. */
  readonly now: () => number;
  /** Told every outcome, failures included, before {@link notify} returns or throws. */
  readonly report: (outcome: NotifyOutcome) => void;
  /**
   * Records the invoice's `customer_email` for a customer without a profile (the contact stub of
   * `functions/customers/contact.ts`), so that the subscription's later notices without an address
   * of their own (trial ending, cancellation) and the engagement emails can reach them.
   */
  readonly contacts: ContactStore;
}

/** Some sends failed and may succeed later; the ones that went out are not repeated. */
export class DeliveryFailedError extends RetryableError {
  override name = "DeliveryFailedError";
}

/** Every failed send was refused in a way a retry cannot change (e.g. SES rejected the message). */
export class DeliveryRejectedError extends PoisonRecordError {
  override name = "DeliveryRejectedError";
}

type FailedDelivery = Extract<DeliveryResult, { status: "failed" }>;

/**
 * An error's name and message, fit for logs and DLQ reasons: provider messages can quote the
 * recipient's address, so it is redacted, and stack traces (which repeat the message) are left out.
 */
export function describeError(error: unknown): { readonly errorName: string; readonly errorMessage: string } {
  const { name, message } = error instanceof Error ? error : { name: "Error", message: String(error) };
  return { errorName: name, errorMessage: redactEmail(message) };
}

function failureSummary(outcome: NotifyOutcome & { kind: "attempted" }, failed: readonly FailedDelivery[]): string {
  const causes = failed.map(({ target, error }) => {
    const { errorName, errorMessage } = describeError(error);
    return `${target}: ${errorName}: ${errorMessage}`;
  });
  const { invoiceId, key } = outcome.notice;
  return `${failed.length} of ${outcome.deliveries.length} sends failed for ${invoiceId} ${key}: ${causes.join("; ")}`;
}

function reference(notice: Notice): NoticeRef {
  return { invoiceId: notice.invoiceId, key: noticeKey(notice), eventId: notice.eventId, eventCreated: notice.eventCreated };
}

async function skip(notice: Notice, reason: string, deps: NotifyDependencies): Promise<NotifyOutcome> {
  await deps.store.recordSkipped(notice, reason);
  return { kind: "skipped", notice: reference(notice), reason };
}

/**
 * The customer's profile: from the item the contact stub's write found, when it found one for this
 * customer (no second read), else read. That item is as strongly consistent as a read, and a few
 * milliseconds older (the invoice state was recorded since): a profile change racing with the
 * notice was already a matter of which came first.
 */
async function profileOf(customerId: string | null | undefined, known: KnownProfileItem | undefined, deps: NotifyDependencies): Promise<CustomerProfile | undefined> {
  if (!customerId) return undefined;
  if (known?.customerId === customerId && known.item) return profileFromItem(customerId, known.item);
  return deps.profiles(customerId);
}

/** The customer's item as the contact stub's write found it. */
interface KnownProfileItem {
  readonly customerId: string;
  readonly item: Record<string, unknown> | undefined;
}

async function decideAndDeliver(
  notice: Notice,
  deps: NotifyDependencies,
  contact: Promise<KnownProfileItem | undefined>,
  invocation: InvocationBounds | undefined,
): Promise<NotifyOutcome> {
  // The invoice's state and the contact stub are written side by side (different tables, neither
  // reads the other): one round trip instead of two before the profile is known. Both settle
  // before either's failure fails the record.
  const [freshness, known] = await bothSettled(deps.store.recordInvoiceState(notice), contact);
  if (!freshness.current) {
    const { status, eventId } = freshness.latest;
    return skip(notice, `superseded by the invoice's later ${status} state (${eventId})`, deps);
  }
  const pointless = pointlessReason(notice);
  if (pointless) return skip(notice, pointless, deps);

  const profile = await profileOf(notice.customerId, known, deps);
  const deliveries = plannedDeliveries(chooseRecipients(notice, profile));
  if (deliveries.length === 0) return skip(notice, "no email address and no push endpoint", deps);

  const locale = chooseLocale(notice, profile, deps.config.defaultLocale, hasCopy);
  const content = renderNotice(notice, {
    locale,
    billingPortalUrl: deps.config.billingPortalUrl,
    customerName: notice.customerName ?? profile?.name,
  });
  const context: DeliverContext = {
    claims: {
      claim: (delivery) => deps.store.claimDelivery(notice, delivery),
      complete: (delivery, final) => deps.store.completeDelivery(notice, delivery, final),
      release: (delivery, token) => deps.store.releaseDelivery(notice, delivery, token),
    },
    channels: deps.channels,
    now: deps.now,
    eventCreated: notice.eventCreated,
    label: `${notice.invoiceId} ${noticeKey(notice)}`,
    stripeEventId: notice.eventId,
    invocation,
  };
  const results = await Promise.all(deliveries.map((delivery) => deliverOnce(delivery, content, context)));
  return { kind: "attempted", notice: reference(notice), locale, deliveries: results };
}

/**
 * Handles one SQS message body: decode, decide, send what has not been sent, report.
 *
 * @returns the outcome (also given to `deps.report`).
 * @param invocation the running Lambda invocation, when known: a channel is sent only while
 *   enough of it is left to record the send (otherwise that channel fails as retryable).
 * @throws EventContractError (poison) for a message that is not a valid invoice event.
 * @throws DeliveryFailedError (retryable) or DeliveryRejectedError (poison) when a send failed;
 *   the sends that succeeded are recorded and will not be repeated by the retry.
 */
export async function notify(body: string, deps: NotifyDependencies, invocation?: InvocationBounds): Promise<NotifyOutcome> {
  const decoded = decodeStripeMessage(body, INVOICE_EVENT_TYPES);
  const contact = contactOf(decoded);
  const known: Promise<KnownProfileItem | undefined> = contact
    ? deps.contacts(contact).then((written) => (written.outcome === "exists" ? { customerId: contact.customerId, item: written.item } : undefined))
    : Promise.resolve(undefined);
  // A thin event's contact is none; otherwise decideAndDeliver awaits it beside the invoice's state.
  const outcome = await withEarlyWrite(known, async (contactWritten): Promise<NotifyOutcome> =>
    decoded.kind === "thin"
      ? { kind: "ignored", eventId: decoded.event.id, reason: `thin event ${decoded.event.type} carries no invoice` }
      : decideAndDeliver(toNotice(decoded), deps, contactWritten, invocation),
  );
  deps.report(outcome);
  if (outcome.kind !== "attempted") return outcome;
  const failed = outcome.deliveries.filter((result): result is FailedDelivery => result.status === "failed");
  if (failed.length === 0) return outcome;
  const allPoison = failed.every((result) => classifyError(result.error) === "poison");
  const message = failureSummary(outcome, failed);
  throw allPoison ? new DeliveryRejectedError(message) : new DeliveryFailedError(message);
}
