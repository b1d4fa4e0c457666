/** Prefix AWS puts in front of every pattern error (`InvalidEventPatternException`). */
const AWS_PATTERN_PREFIX = "Event pattern is not valid. Reason: ";

/**
 * A rejected event pattern. `message` is the engine's own reason (the text event-ruler produces,
 * e.g. `Empty arrays are not allowed`); {@link InvalidEventPatternError.awsMessage} is the full
 * sentence EventBridge returns from `PutRule` / `TestEventPattern`.
 */
export class InvalidEventPatternError extends Error {
  override readonly name = "InvalidEventPatternError";

  /** `Event pattern is not valid. Reason: <message>`, as AWS words it. */
  readonly awsMessage: string;

  constructor(reason: string) {
    super(reason);
    this.awsMessage = `${AWS_PATTERN_PREFIX}${reason}`;
  }
}

/** An event that is not JSON, or (for {@link validateEnvelope}) lacks an envelope field AWS requires. */
export class InvalidEventError extends Error {
  override readonly name: string = "InvalidEventError";
}

/**
 * A JSON syntax error, worded as Jackson (the parser event-ruler uses) words it. Internal: the
 * compiler turns it into an {@link InvalidEventPatternError}, the event reader into an
 * {@link InvalidEventError}.
 */
export class JsonSyntaxError extends Error {
  override readonly name = "JsonSyntaxError";
}

/**
 * An event whose array-consistent match would take exponential time (a path spelled several
 * times over many array elements, see `ambiguous.ts`): refused instead of freezing the caller.
 * event-ruler has no such limit (its search simply runs on); this is a deliberate difference.
 */
export class EventTooComplexError extends InvalidEventError {
  override readonly name = "EventTooComplexError";

  constructor() {
    super(tooComplexToMatch());
  }
}

/** The message of {@link EventTooComplexError}. */
export function tooComplexToMatch(): string {
  return "Event is too complex to match: a path spelled several times (duplicate keys, or a dotted key next to nested objects) holds too many array elements";
}
