/**
 * `npm run docs`: regenerates the parts of the docs that are derived from the declarations, so a
 * new rule never needs a hand edit elsewhere. Today: the Stripe event-destination list in
 * `docs/deploy.md` (between `<!-- event-types:start -->` and `<!-- event-types:end -->`).
 *
 *   npm run docs          rewrite the generated blocks
 *   npm run docs -- --check   exit 1 if a block is out of date (what test/infra/docs.test.ts checks)
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ruleList, type RuleDeclaration } from "../declarations/rules.ts";
import { stripeEventTypes } from "../events/stripe-event-types.ts";

/** The command that regenerates the blocks, quoted in failure messages. */
export const REGENERATE = "npm run docs";

export const DEPLOY_GUIDE = fileURLToPath(new URL("../docs/deploy.md", import.meta.url));

const START = "<!-- event-types:start -->";
const END = "<!-- event-types:end -->";

/** Thrown when a document lacks the markers of a generated block. */
export class MissingGeneratedBlockError extends Error {
  override name = "MissingGeneratedBlockError";
}

/**
 * Every Stripe detail-type the rules route, sorted: what the Stripe event destination must send
 * (paybus' own domain events, such as `TierChanged`, do not come from Stripe).
 */
export function routedEventTypes(rules: readonly RuleDeclaration[] = ruleList): string[] {
  const stripe = new Set<string>(stripeEventTypes);
  const routed = rules.flatMap((rule) => (rule.pattern["detail-type"] as readonly string[] | undefined) ?? []);
  return [...new Set(routed.filter((type) => stripe.has(type)))].sort();
}

/** The deploy guide with its event-type block rendered from `rules` (indented as a list item's code block). */
export function renderDeployGuide(text: string, rules: readonly RuleDeclaration[] = ruleList): string {
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new MissingGeneratedBlockError(`docs/deploy.md has no ${START} … ${END} block`);
  const indent = "   ";
  const block = ["", `${indent}\`\`\`text`, ...routedEventTypes(rules).map((type) => `${indent}${type}`), `${indent}\`\`\``, indent].join("\n");
  return text.slice(0, start + START.length) + block + text.slice(end);
}

async function main(argv: readonly string[]): Promise<number> {
  const current = readFileSync(DEPLOY_GUIDE, "utf8");
  const generated = renderDeployGuide(current);
  if (argv.includes("--check")) {
    if (generated === current) return 0;
    process.stderr.write(`docs/deploy.md: the event-type list is out of date with declarations/rules.ts; run \`${REGENERATE}\`\n`);
    return 1;
  }
  if (generated !== current) writeFileSync(DEPLOY_GUIDE, generated);
  process.stdout.write(`docs/deploy.md: event-type list ${generated === current ? "already up to date" : "regenerated"}\n`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main(process.argv.slice(2));
}
