/**
 * Test support: fixture events as the consumer receives them, optionally altered — the invoice
 * (`data.object`), the Stripe event (`detail`) and the envelope can be patched, e.g. another attempt
 * or currency.
 */
import { decodeStripeMessage } from "../../events/parse.ts";
import { loadFixture } from "../../fixtures/index.ts";
import { INVOICE_EVENT_TYPES, toNotice, type Notice } from "../../functions/notifications/notice.ts";

export interface EventPatch {
  /** Fields merged into the invoice. */
  readonly invoice?: Record<string, unknown>;
  /** Fields merged into `detail` (e.g. `id`, `created`). */
  readonly detail?: Record<string, unknown>;
  /** Fields merged into the EventBridge envelope (e.g. a redelivery's new `id`). */
  readonly envelope?: Record<string, unknown>;
  /** Turns the event into another invoice event type (detail-type and detail.type together). */
  readonly type?: string;
}

/** The SQS message body for a fixture (by number, e.g. `"01"`), patched. */
export function invoiceMessage(fixture: string, patch: EventPatch = {}): string {
  const envelope = loadFixture(fixture);
  Object.assign(envelope.detail.data.object, patch.invoice);
  Object.assign(envelope.detail, patch.detail);
  Object.assign(envelope, patch.envelope);
  if (patch.type) {
    envelope["detail-type"] = patch.type;
    envelope.detail.type = patch.type;
  }
  return JSON.stringify(envelope);
}

/** The notice a (patched) fixture asks for. */
export function noticeFrom(fixture: string, patch: EventPatch = {}): Notice {
  const decoded = decodeStripeMessage(invoiceMessage(fixture, patch), INVOICE_EVENT_TYPES);
  if (decoded.kind !== "snapshot") throw new Error(`fixture ${fixture} is not a snapshot event`);
  return toNotice(decoded);
}
