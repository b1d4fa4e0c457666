/**
 * `paybus/pattern`: Amazon EventBridge event patterns, matched as EventBridge's engine
 * (aws/event-ruler) matches them.
 *
 * ```ts
 * const matcher = compilePattern('{"detail-type": ["invoice.paid"]}');
 * matcher.matches(eventJson); // true / false
 * ```
 */
import { flattenEvent, interestIn } from "./event.ts";
import { compileRule, type PatternOptions } from "./matcher.ts";

export { MAX_RULE_FIELDS, MAX_SUB_RULES } from "./compiler.ts";
export { DEFAULT_MAX_WILDCARD_COMPLEXITY } from "./complexity.ts";
export { MAX_NESTING_DEPTH, nestedTooDeep } from "./event.ts";
export { REQUIRED_ENVELOPE_FIELDS, validateEnvelope } from "./envelope.ts";
export { EventTooComplexError, InvalidEventError, InvalidEventPatternError } from "./errors.ts";
export { DEFAULT_MAX_PATTERN_BYTES, type PatternOptions } from "./matcher.ts";
export { RuleSet } from "./rule-set.ts";

/** A compiled event pattern. */
export interface Matcher {
  /**
   * Whether the event (JSON text, so number literals keep their exact spelling) matches.
   * Throws {@link InvalidEventError} if the text is not a JSON object.
   */
  matches(eventJson: string): boolean;
}

/**
 * Compiles an event pattern (JSON text). Throws {@link InvalidEventPatternError} carrying
 * EventBridge's reason when EventBridge would reject the pattern.
 */
export function compilePattern(patternJson: string, options?: PatternOptions): Matcher {
  const pattern = compileRule(patternJson, options);
  const interest = interestIn(pattern.paths);
  return { matches: (eventJson) => pattern.matchesFlat(flattenEvent(eventJson, interest)) };
}
