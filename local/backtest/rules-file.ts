/**
 * Rules a backtest runs instead of a tree's `events/rules.ts`: a JSON file (a list of rules, or
 * `{"rules": [...]}`) or a TypeScript/JavaScript module exporting `rules`, `ruleList` or a default
 * list. A rule is `{name, pattern, target: {queue} | {stateMachine}}`; a missing `retryPolicy` or
 * `description` is taken from the tree's rule of the same name (else EventBridge's defaults).
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { treeModuleUrl } from "./tree-modules.ts";

/** A rule as a file gives it. */
export interface RuleLike {
  readonly name: string;
  readonly description?: string;
  readonly pattern: Record<string, unknown>;
  readonly target: { readonly queue: string } | { readonly stateMachine: string };
  readonly retryPolicy?: { readonly maximumRetryAttempts: number; readonly maximumEventAgeSeconds: number };
}

/** The rules file is not usable; the message says why. */
export class RulesFileError extends Error {
  override name = "RulesFileError";
}

const DEFAULT_RETRY = { maximumRetryAttempts: 185, maximumEventAgeSeconds: 86_400 };

/** Reads `file`, completing each rule from the rules of `root` (a source tree). */
export async function loadRules(file: string, root: string): Promise<RuleLike[]> {
  const path = resolve(file);
  let value: unknown;
  if (path.endsWith(".json")) {
    try {
      value = JSON.parse(readFileSync(path, "utf8"));
    } catch (error) {
      throw new RulesFileError(`${file}: ${(error as Error).message}`);
    }
    if (!Array.isArray(value) && typeof value === "object" && value !== null) value = (value as { rules?: unknown }).rules;
  } else {
    const module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    value = module.rules ?? module.ruleList ?? module.default;
  }
  if (!Array.isArray(value) || value.length === 0) throw new RulesFileError(`${file}: expected a non-empty list of rules`);
  // Trees exported from refs older than the move of the declarations keep them in events/.
  const declared = ["declarations/rules.ts", "events/rules.ts"].find((candidate) => existsSync(join(root, candidate)))!;
  const { ruleList } = (await import(treeModuleUrl(root, declared))) as { ruleList: readonly RuleLike[] };
  const known = new Map(ruleList.map((rule) => [rule.name, rule]));
  return value.map((rule: unknown, i: number) => {
    const candidate = rule as Partial<RuleLike>;
    if (typeof candidate?.name !== "string" || typeof candidate.pattern !== "object" || candidate.pattern === null || typeof candidate.target !== "object") {
      throw new RulesFileError(`${file}: rule ${i + 1} needs a name, a pattern and a target ({"queue": …} or {"stateMachine": …})`);
    }
    const same = known.get(candidate.name);
    return {
      description: same?.description ?? candidate.name,
      retryPolicy: same?.retryPolicy ?? DEFAULT_RETRY,
      ...candidate,
    } as RuleLike;
  });
}
