/**
 * Why an event was refused. Every contract error is poison: redelivering the same bytes cannot
 * fix it, so consumers let it reach the DLQ with this message instead of retrying forever.
 */
export class EventContractError extends Error {
  override name = "EventContractError";
  /** The Stripe event id (`evt_…`) or, before it is known, the envelope id. */
  readonly eventId: string | undefined;
  /** Dotted path of the offending field, when one field is to blame. */
  readonly field: string | undefined;

  constructor(message: string, options: { eventId?: string; field?: string; cause?: unknown } = {}) {
    const text = options.eventId ? `${message} (${options.eventId})` : message;
    // One line whatever the event holds: ids and values come from the sender.
    super(text.replace(/[\p{Cc}\u2028\u2029]/gu, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`), {
      cause: options.cause,
    });
    this.eventId = options.eventId;
    this.field = options.field;
  }
}

/** The event is valid but of a type this consumer does not handle: a routing mistake. */
export class UnknownEventTypeError extends EventContractError {
  override name = "UnknownEventTypeError";
}
