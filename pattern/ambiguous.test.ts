/**
 * The allowance of the search over paths spelled several times (`ambiguous.ts`): exact answers
 * within it, `EventTooComplexError` past it, and one allowance per event however many rules
 * search. The answers themselves are checked against event-ruler's exhaustive search in
 * `adversarial.test.ts`.
 */
import { describe, expect, it } from "vitest";
import { MatchBudget } from "./ambiguous.ts";
import { subRuleMatches } from "./consistency.ts";
import { flattenEvent } from "./event.ts";
import { EventTooComplexError, InvalidEventError, RuleSet } from "./index.ts";
import { compileRule, fieldInput } from "./matcher.ts";

/** `holes` duplicate `a` keys, each an array of one element per pigeon holding that pigeon's field. */
function pigeonholes(holes: number, pigeons: number): { pattern: string; event: string } {
  const fields = Array.from({ length: pigeons }, (_, i) => `"p${i}":[1]`).join(",");
  const array = `[${Array.from({ length: pigeons }, (_, i) => `{"p${i}":1}`).join(",")}]`;
  return { pattern: `{"a":{${fields}}}`, event: `{${Array.from({ length: holes }, () => `"a":${array}`).join(",")}}` };
}

function decide(pattern: string, event: string, budget: MatchBudget): boolean {
  const [fields] = compileRule(pattern).subRules;
  const flat = flattenEvent(event);
  return subRuleMatches((fields ?? []).map((field) => fieldInput(field, flat)), budget);
}

describe("the search over a path spelled several times", () => {
  it("finds a perfect matching of 12 fields over 12 duplicate-key arrays within the default allowance", () => {
    const { pattern, event } = pigeonholes(12, 12);

    expect(decide(pattern, event, new MatchBudget())).toBe(true);
  });

  it("refuses the event with EventTooComplexError (an InvalidEventError) once the allowance is spent", () => {
    const { pattern, event } = pigeonholes(12, 12);

    const refused = () => decide(pattern, event, new MatchBudget(50));

    expect(refused).toThrow(EventTooComplexError);
    expect(refused).toThrow(InvalidEventError);
  });

  it("spends one allowance per event across every sub-rule that searches", () => {
    const { pattern, event } = pigeonholes(12, 12);
    const [fields] = compileRule(pattern).subRules;
    const flat = flattenEvent(event);
    const inputs = (fields ?? []).map((field) => fieldInput(field, flat));
    const measure = new MatchBudget(1_000_000);
    subRuleMatches(inputs, measure);
    const oneSearch = 1_000_000 - measure.remaining;
    const shared = new MatchBudget(oneSearch * 2 + 1);

    expect(subRuleMatches(inputs, shared)).toBe(true);
    expect(subRuleMatches(inputs, shared)).toBe(true);
    expect(() => subRuleMatches(inputs, shared)).toThrow(EventTooComplexError);
  });

  it("gives a rule set one allowance per event, not one per rule", () => {
    // One rule's search takes about 44,000 steps here: one rule is decided, six exceed 200,000.
    const { pattern, event } = pigeonholes(30, 30);
    const one = new RuleSet();
    one.add("r0", pattern);
    const six = new RuleSet();
    for (let i = 0; i < 6; i++) six.add(`r${i}`, pattern);

    expect(one.matchingRules(event)).toEqual(["r0"]);
    expect(() => six.matchingRules(event)).toThrow(EventTooComplexError);
  });

  it("decides a pigeonhole (13 fields, 12 arrays) at once, through a rule set", () => {
    const { pattern, event } = pigeonholes(12, 13);
    const rules = new RuleSet();
    rules.add("pigeons", pattern);

    expect(rules.matchingRules(event)).toEqual([]);
  });
});
