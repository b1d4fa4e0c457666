/**
 * Many named rules matched against one event, as a bus matches its rules.
 *
 * The rules are compiled together into one {@link Machine} keyed by field path and value, so an
 * event is parsed once (keeping only the paths some rule reads) and each of its values is looked
 * up once for all rules: adding rules that look at other values costs almost nothing per event.
 */
import { flattenEvent, interestIn, type PathInterest } from "./event.ts";
import { Machine } from "./machine.ts";
import { compileRule, type CompiledPattern, type PatternOptions } from "./matcher.ts";

/** Named event patterns, matched together. */
export class RuleSet {
  /** Rules by name, in the order they were added (a replaced rule moves to the end). */
  private readonly rules = new Map<string, CompiledPattern>();
  private compiled: { machine: Machine; names: string[]; interest: PathInterest } | undefined;

  constructor(private readonly options: PatternOptions = {}) {}

  /**
   * Adds (or replaces) a rule. Throws {@link InvalidEventPatternError} if the pattern is invalid,
   * leaving the set unchanged.
   */
  add(name: string, patternJson: string): void {
    const pattern = compileRule(patternJson, { ...this.options, ruleName: name });
    this.rules.delete(name);
    this.rules.set(name, pattern);
    this.compiled = undefined;
  }

  /** Removes a rule; returns whether it was there. */
  remove(name: string): boolean {
    const removed = this.rules.delete(name);
    if (removed) this.compiled = undefined;
    return removed;
  }

  /** Number of rules. */
  get size(): number {
    return this.rules.size;
  }

  /**
   * Names of the rules the event matches, in the order they were added. Throws
   * {@link InvalidEventError} if the event is not a JSON object.
   */
  matchingRules(eventJson: string): string[] {
    const { machine, names, interest } = this.machine();
    return machine.match(flattenEvent(eventJson, interest)).map((index) => names[index] as string);
  }

  /** The machine for the current rules, compiled on first use after a change. */
  private machine(): { machine: Machine; names: string[]; interest: PathInterest } {
    if (!this.compiled) {
      const machine = new Machine([...this.rules.values()]);
      this.compiled = { machine, names: [...this.rules.keys()], interest: interestIn(machine.fieldPaths) };
    }
    return this.compiled;
  }
}
