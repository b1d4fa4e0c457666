/**
 * Many named rules matched against one event, as a bus matches its rules.
 *
 * Most EventBridge rules pin `source` or `detail-type` to a few exact strings. Each rule is
 * indexed under the exact values of such a field (the most selective one it has), so an event
 * only runs the rules filed under its own values plus the rules with no such field: the cost per
 * event stays flat as rules are added. The event is parsed once per call, keeping only the paths
 * some rule reads.
 */
import { flattenEvent, interestIn, LeafKind, type FlatEvent, type PathInterest } from "./event.ts";
import { compileRule, type CompiledPattern, type FieldRule, type PatternOptions } from "./matcher.ts";

/** Fields preferred for indexing when several are equally selective. */
const PREFERRED_INDEX_PATHS = ["detail-type", "source"];

interface IndexKey {
  readonly path: string;
  readonly values: readonly string[];
}

interface Entry {
  readonly pattern: CompiledPattern;
  readonly index: IndexKey | undefined;
  /** Insertion order, so results come back in the order rules were added. */
  readonly order: number;
}

/** The exact strings a field accepts, or `undefined` if it accepts anything else too. */
function exactStrings(field: FieldRule): string[] | undefined {
  if (field.allowsAbsence) return undefined;
  const values: string[] = [];
  for (const pattern of field.patterns) {
    if (pattern.type !== "exact-string") return undefined;
    values.push(pattern.value);
  }
  return values;
}

function preference(path: string): number {
  const rank = PREFERRED_INDEX_PATHS.indexOf(path);
  return rank < 0 ? PREFERRED_INDEX_PATHS.length : rank;
}

/**
 * The field to index a rule under: one that every sub-rule restricts to exact strings, with the
 * fewest values (ties go to `detail-type`, then `source`).
 */
function chooseIndex(pattern: CompiledPattern): IndexKey | undefined {
  const candidates = new Map<string, Set<string>>();
  pattern.subRules.forEach((fields, position) => {
    const seen = new Set<string>();
    for (const field of fields) {
      const values = exactStrings(field);
      const sofar = candidates.get(field.path);
      if (!values || (position > 0 && !sofar)) continue;
      candidates.set(field.path, new Set([...(sofar ?? []), ...values]));
      seen.add(field.path);
    }
    for (const path of candidates.keys()) if (!seen.has(path)) candidates.delete(path);
  });
  const [best] = [...candidates].sort(
    ([pathA, a], [pathB, b]) => a.size - b.size || preference(pathA) - preference(pathB) || (pathA < pathB ? -1 : 1),
  );
  return best && { path: best[0], values: [...best[1]] };
}

/** Named event patterns, matched together. */
export class RuleSet {
  private readonly entries = new Map<string, Entry>();
  /** path -> value -> names of the rules indexed under that value. */
  private readonly index = new Map<string, Map<string, Set<string>>>();
  /** Rules without an indexable field: tried on every event. */
  private readonly unindexed = new Set<string>();
  private interest: PathInterest | undefined;
  private added = 0;

  constructor(private readonly options: PatternOptions = {}) {}

  /**
   * Adds (or replaces) a rule. Throws {@link InvalidEventPatternError} if the pattern is invalid,
   * leaving the set unchanged.
   */
  add(name: string, patternJson: string): void {
    const pattern = compileRule(patternJson, this.options);
    this.remove(name);
    const entry: Entry = { pattern, index: chooseIndex(pattern), order: this.added++ };
    this.entries.set(name, entry);
    if (!entry.index) {
      this.unindexed.add(name);
    } else {
      const byValue = this.index.get(entry.index.path) ?? new Map<string, Set<string>>();
      this.index.set(entry.index.path, byValue);
      for (const value of entry.index.values) byValue.set(value, (byValue.get(value) ?? new Set()).add(name));
    }
    this.interest = undefined;
  }

  /** Removes a rule; returns whether it was there. */
  remove(name: string): boolean {
    const entry = this.entries.get(name);
    if (!entry) return false;
    this.entries.delete(name);
    this.unindexed.delete(name);
    if (entry.index) {
      const byValue = this.index.get(entry.index.path);
      for (const value of entry.index.values) {
        const names = byValue?.get(value);
        names?.delete(name);
        if (names?.size === 0) byValue?.delete(value);
      }
    }
    this.interest = undefined;
    return true;
  }

  /** Number of rules. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Names of the rules the event matches, in the order they were added. Throws
   * {@link InvalidEventError} if the event is not a JSON object.
   */
  matchingRules(eventJson: string): string[] {
    const event = flattenEvent(eventJson, this.paths());
    const matched: Array<[number, string]> = [];
    for (const name of this.candidates(event)) {
      const entry = this.entries.get(name) as Entry;
      if (entry.pattern.matchesFlat(event)) matched.push([entry.order, name]);
    }
    return matched.sort(([a], [b]) => a - b).map(([, name]) => name);
  }

  private paths(): PathInterest {
    this.interest ??= interestIn([...this.entries.values()].flatMap((entry) => entry.pattern.paths));
    return this.interest;
  }

  private candidates(event: FlatEvent): Set<string> {
    const names = new Set(this.unindexed);
    for (const [path, byValue] of this.index) {
      for (const leaf of event.get(path) ?? []) {
        if (leaf.kind !== LeafKind.String) continue;
        for (const name of byValue.get(leaf.text) ?? []) names.add(name);
      }
    }
    return names;
  }
}
