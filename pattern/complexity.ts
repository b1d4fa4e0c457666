/**
 * The wildcard complexity EventBridge caps (event-ruler's `MachineComplexityEvaluator`).
 *
 * Complexity is the largest number of wildcard-pattern prefixes that one input value can match at
 * once: the byte automaton built from a field's wildcard patterns is run over every reachable set
 * of states, each state weighing as many patterns as can still be completed from it. As in
 * event-ruler's byte machine, patterns are quoted, read as UTF-8 bytes, share their states up to
 * the first `*`, and an `anything-but` wildcard list counts as one pattern. EventBridge rejects a
 * rule whose complexity exceeds 10.
 */
import type { Wildcard } from "./text-match.ts";

/** EventBridge's per-rule maximum. */
export const DEFAULT_MAX_WILDCARD_COMPLEXITY = 10;

/** Reachable state sets explored before giving up and calling the field too complex. */
const MAX_EXPLORED_SETS = 20_000;
/** A symbol standing for every byte that no pattern mentions. */
const OTHER_BYTE = -1;
const QUOTE_BYTE = 0x22;

interface State {
  readonly id: number;
  /** Pattern objects completable from here. */
  readonly patterns: Set<number>;
  readonly selfLoop: boolean;
  readonly next: Map<number, State[]>;
  /** Shared children while the path is still free of wildcards. */
  readonly trie: Map<number, State>;
  /** The state entered by the `*` that follows this one, if any. */
  star?: State;
}

/** One pattern object: a `wildcard` value, or every value of one `anything-but` wildcard list. */
export type WildcardGroup = readonly Wildcard[];

class Automaton {
  private readonly states: State[] = [];
  readonly root = this.newState(false);
  readonly alphabet = new Set<number>([OTHER_BYTE]);

  constructor(groups: readonly WildcardGroup[]) {
    groups.forEach((group, patternId) => {
      for (const wildcard of group) this.addPath(wildcard, patternId);
    });
  }

  private newState(selfLoop: boolean): State {
    const state: State = { id: this.states.length, patterns: new Set(), selfLoop, next: new Map(), trie: new Map() };
    this.states.push(state);
    return state;
  }

  private addPath(wildcard: Wildcard, patternId: number): void {
    const encoder = new TextEncoder();
    let state = this.root;
    let shared = true;
    wildcard.forEach((segment, index) => {
      if (index > 0) {
        const star = (shared ? state.star : undefined) ?? this.newState(true);
        state.star = star;
        state = star;
        shared = false;
        star.patterns.add(patternId);
      }
      const bytes = Array.from(encoder.encode(segment));
      if (index === 0) bytes.unshift(QUOTE_BYTE);
      if (index === wildcard.length - 1) bytes.push(QUOTE_BYTE);
      for (const byte of bytes) {
        state = this.step(state, byte, shared);
        state.patterns.add(patternId);
      }
    });
  }

  private step(from: State, byte: number, shared: boolean): State {
    this.alphabet.add(byte);
    const existing = shared ? from.trie.get(byte) : undefined;
    if (existing) return existing;
    const to = this.newState(false);
    if (shared) from.trie.set(byte, to);
    from.next.set(byte, [...(from.next.get(byte) ?? []), to]);
    return to;
  }

  /** The states after reading `byte` from `states`, including stars that may match nothing. */
  advance(states: readonly State[], byte: number): State[] {
    const result = new Set<State>();
    for (const state of states) {
      if (state.selfLoop) result.add(state);
      for (const next of state.next.get(byte) ?? []) result.add(next);
    }
    for (const state of [...result]) if (state.star) result.add(state.star);
    return [...result].sort((a, b) => a.id - b.id);
  }
}

function weight(states: readonly State[]): number {
  return states.reduce((sum, state) => sum + state.patterns.size, 0);
}

/**
 * The complexity of one field's wildcard patterns, evaluated only as far as needed: any result
 * above `limit` means "too complex" (and may be `Infinity`).
 */
export function wildcardComplexity(groups: readonly WildcardGroup[], limit: number): number {
  if (groups.length === 0) return 0;
  const automaton = new Automaton(groups);
  const seen = new Set<string>();
  const pending: State[][] = [[automaton.root]];
  let maximum = 0;
  while (pending.length > 0) {
    const states = pending.pop() as State[];
    for (const byte of automaton.alphabet) {
      const next = automaton.advance(states, byte);
      if (next.length === 0) continue;
      maximum = Math.max(maximum, weight(next));
      if (maximum > limit) return maximum;
      const key = next.map((state) => state.id).join(",");
      if (seen.has(key)) continue;
      if (seen.size >= MAX_EXPLORED_SETS) return Infinity;
      seen.add(key);
      pending.push(next);
    }
  }
  return maximum;
}
