/**
 * The envelope check `TestEventPattern` makes before matching: the event must carry the fields
 * of an EventBridge event.
 */
import { InvalidEventError } from "./errors.ts";

/** Fields AWS requires in the event given to `TestEventPattern`. */
export const REQUIRED_ENVELOPE_FIELDS = ["id", "account", "source", "time", "region", "resources", "detail-type"] as const;

/**
 * Throws {@link InvalidEventError} naming the first problem if the event is not a JSON object
 * with every field of {@link REQUIRED_ENVELOPE_FIELDS}, `resources` an array of strings and the
 * others strings.
 */
export function validateEnvelope(eventJson: string): void {
  let event: unknown;
  try {
    // Number precision is irrelevant here: only the envelope's presence and types are checked.
    event = JSON.parse(eventJson);
  } catch (error) {
    throw new InvalidEventError(`Event is not valid JSON: ${(error as Error).message}`);
  }
  if (event === null || typeof event !== "object" || Array.isArray(event)) {
    throw new InvalidEventError("Event is not a JSON object");
  }
  const fields = event as Record<string, unknown>;
  for (const name of REQUIRED_ENVELOPE_FIELDS) {
    if (!(name in fields)) {
      throw new InvalidEventError(`Event is missing the required field "${name}" (required: ${REQUIRED_ENVELOPE_FIELDS.join(", ")})`);
    }
    const value = fields[name];
    const valid = name === "resources" ? Array.isArray(value) && value.every((item) => typeof item === "string") : typeof value === "string";
    if (!valid) {
      throw new InvalidEventError(`Event field "${name}" must be ${name === "resources" ? "an array of strings" : "a string"}`);
    }
  }
}
