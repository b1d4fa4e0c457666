/**
 * Validation at the edge, in layers: SQS record body -> EventBridge envelope -> Stripe event ->
 * the object the consumer reads. Each layer names the field and the event id when it refuses.
 */
import type { z } from "zod";
import { eventBridgeEnvelope, type EventBridgeEnvelope } from "./envelope.ts";
import { EventContractError, UnknownEventTypeError } from "./errors.ts";
import {
  isKnownEventType,
  objectSchemas,
  stripeSnapshotEvent,
  stripeThinEvent,
  type KnownEventType,
  type ObjectFor,
  type StripeSnapshotEvent,
  type StripeThinEvent,
} from "./stripe-event.ts";

/** The longest value a refusal quotes: the reason names the problem, it does not carry the event. */
const MAX_QUOTED = 100;

/**
 * A value from the event as a refusal quotes it: JSON-escaped, so a line break or a control
 * character cannot split the reason (logs and DLQ listings show one line per failure), and short.
 */
function quote(value: string): string {
  const text = JSON.stringify(value.length > MAX_QUOTED ? `${value.slice(0, MAX_QUOTED)}…` : value);
  return text;
}

/** The first problem zod found, as `path: message`, with the path prefixed by where the value sits. */
function describeIssue(error: z.ZodError, prefix: string): { field: string; text: string } {
  const issue = error.issues[0];
  const path = [prefix, ...(issue?.path ?? []).map(String)].filter(Boolean).join(".");
  return { field: path, text: `${path || "event"}: ${issue?.message ?? "invalid"}` };
}

function validate<S extends z.ZodType>(
  schema: S,
  value: unknown,
  prefix: string,
  eventId: string | undefined,
): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const { field, text } = describeIssue(result.error, prefix);
  throw new EventContractError(text, { eventId, field, cause: result.error });
}

/** Layer 1: an SQS message body (or any JSON text) to an EventBridge envelope. */
export function parseEnvelope(input: string | unknown): EventBridgeEnvelope {
  let value = input;
  if (typeof input === "string") {
    try {
      value = JSON.parse(input);
    } catch (cause) {
      throw new EventContractError(`body is not valid JSON: ${(cause as Error).message}`, { cause });
    }
  }
  const id = typeof value === "object" && value !== null ? (value as { id?: unknown }).id : undefined;
  return validate(eventBridgeEnvelope, value, "", typeof id === "string" ? id : undefined);
}

export type StripeEvent =
  | { readonly kind: "snapshot"; readonly envelope: EventBridgeEnvelope; readonly event: StripeSnapshotEvent }
  | { readonly kind: "thin"; readonly envelope: EventBridgeEnvelope; readonly event: StripeThinEvent };

/** Layer 2: the envelope's `detail` to a Stripe snapshot or thin event, consistent with `detail-type`. */
export function parseStripeEvent(envelope: EventBridgeEnvelope): StripeEvent {
  const detail = envelope.detail as { id?: unknown; object?: unknown } | null | undefined;
  const eventId = typeof detail?.id === "string" ? detail.id : envelope.id;
  const stripeEvent: StripeEvent =
    detail?.object === "v2.core.event"
      ? { kind: "thin", envelope, event: validate(stripeThinEvent, detail, "detail", eventId) }
      : { kind: "snapshot", envelope, event: validate(stripeSnapshotEvent, detail, "detail", eventId) };
  if (stripeEvent.event.type !== envelope["detail-type"]) {
    throw new EventContractError(
      `detail-type ${quote(envelope["detail-type"])} does not match detail.type ${quote(stripeEvent.event.type)}`,
      { eventId, field: "detail-type" },
    );
  }
  return stripeEvent;
}

/** A snapshot event with its typed object, discriminated by `type`. */
export type TypedStripeEvent<T extends KnownEventType = KnownEventType> = {
  [K in T]: {
    readonly type: K;
    readonly envelope: EventBridgeEnvelope;
    readonly event: StripeSnapshotEvent;
    readonly object: ObjectFor<K>;
    readonly previousAttributes: Record<string, unknown> | undefined;
  };
}[T];

/** Layer 3: the snapshot's `data.object`, validated against the schema of its event type. */
export function parseStripeObject<T extends KnownEventType>(
  parsed: Extract<StripeEvent, { kind: "snapshot" }>,
  accepted: readonly T[],
): TypedStripeEvent<T> {
  const { event, envelope } = parsed;
  if (!isKnownEventType(event.type) || !(accepted as readonly string[]).includes(event.type)) {
    throw new UnknownEventTypeError(
      `event type ${quote(event.type)} is not handled here (expected one of: ${accepted.join(", ")})`,
      { eventId: event.id, field: "detail.type" },
    );
  }
  const type = event.type as T;
  const object = validate(objectSchemas[type], event.data.object, "detail.data.object", event.id);
  return { type, envelope, event, object, previousAttributes: event.data.previous_attributes } as TypedStripeEvent<T>;
}

/** What a consumer gets from one message: a typed snapshot event, or a thin event to ignore. */
export type DecodedMessage<T extends KnownEventType> =
  | ({ readonly kind: "snapshot" } & TypedStripeEvent<T>)
  | { readonly kind: "thin"; readonly envelope: EventBridgeEnvelope; readonly event: StripeThinEvent };

/**
 * All layers at once: an SQS body (or an envelope object) to a typed Stripe event of one of the
 * `accepted` types. Thin events are recognised and returned for the caller to skip.
 *
 * @throws EventContractError (poison) naming the field and the event id.
 */
export function decodeStripeMessage<T extends KnownEventType>(
  body: string | unknown,
  accepted: readonly T[],
): DecodedMessage<T> {
  const stripeEvent = parseStripeEvent(parseEnvelope(body));
  if (stripeEvent.kind === "thin") return stripeEvent;
  return { kind: "snapshot", ...parseStripeObject(stripeEvent, accepted) };
}
