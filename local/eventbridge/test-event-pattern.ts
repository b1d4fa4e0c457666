/**
 * TestEventPattern as AWS answers it: the pattern is compiled first (an invalid one is an
 * `InvalidEventPatternException` with the engine's reason), then the *event* is checked — a JSON
 * object carrying `id`, `account`, `source`, `time`, `region` and `detail-type` — and an invalid
 * event is a `ValidationException` ("Parameter Event is not valid."). The API reference also lists
 * `resources` as mandatory, but AWS accepts events without it (the CLI's own example omits it).
 */
import { compilePattern, InvalidEventError, InvalidEventPatternError } from "../../pattern/index.ts";
import { AwsServiceError } from "../aws-json.ts";

/** Envelope fields TestEventPattern requires in the event (not `resources`, not `detail`, not `version`). */
export const TEST_EVENT_REQUIRED_FIELDS = ["id", "account", "source", "time", "region", "detail-type"] as const;

const INVALID_EVENT = "Parameter Event is not valid.";

/** Throws AWS's `ValidationException` unless `eventJson` is an event TestEventPattern accepts. */
export function checkTestEvent(eventJson: string): void {
  let event: unknown;
  try {
    event = JSON.parse(eventJson);
  } catch {
    throw new AwsServiceError("ValidationException", INVALID_EVENT);
  }
  if (event === null || typeof event !== "object" || Array.isArray(event)) throw new AwsServiceError("ValidationException", INVALID_EVENT);
  for (const field of TEST_EVENT_REQUIRED_FIELDS) {
    if (!Object.hasOwn(event, field)) throw new AwsServiceError("ValidationException", INVALID_EVENT);
  }
}

/** TestEventPattern: AWS's answer for one pattern and one event, with AWS's error codes and texts. */
export function testEventPattern(patternJson: string, eventJson: string): boolean {
  let matcher;
  try {
    matcher = compilePattern(patternJson);
  } catch (error) {
    if (error instanceof InvalidEventPatternError) {
      throw new AwsServiceError("InvalidEventPatternException", `Event pattern is not valid. Reason: ${error.message}`);
    }
    throw error;
  }
  checkTestEvent(eventJson);
  try {
    return matcher.matches(eventJson);
  } catch (error) {
    // An event the engine refuses (nested too deep, too complex to decide) is not a valid event.
    if (error instanceof InvalidEventError) throw new AwsServiceError("ValidationException", INVALID_EVENT);
    throw error;
  }
}
