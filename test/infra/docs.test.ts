import { LOYALTY_SOURCE } from "../../events/loyalty-events.ts";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ruleList, type RuleDeclaration } from "../../declarations/rules.ts";
import { MissingGeneratedBlockError, REGENERATE, renderDeployGuide } from "../../scripts/docs.ts";
import { buildPlan } from "../../stacks/plan.ts";
import { customStage } from "../support/stages.ts";

const deployDoc = readFileSync(new URL("../../docs/deploy.md", import.meta.url), "utf8");

describe("docs/deploy.md", () => {
  it("lists exactly the event types the rules route, for the Stripe event destination", () => {
    const block = /<!-- event-types:start -->([\s\S]*?)<!-- event-types:end -->/.exec(deployDoc)?.[1] ?? "";
    const listed = block
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => /^[a-z_]+(\.[a-z_]+)+$/.test(line));
    // Stripe's: the rules on paybus's own loyalty events are not the event destination's business.
    const fromStripe = ruleList.filter((rule) => !(rule.pattern.source as unknown[]).includes(LOYALTY_SOURCE));
    const routed = new Set(fromStripe.flatMap((rule) => rule.pattern["detail-type"] as string[]));

    expect(listed).toEqual([...routed].sort());
  });

  it("holds the event-type list generated from the declarations", () => {
    expect(renderDeployGuide(deployDoc), `docs/deploy.md's event-type list is stale: run \`${REGENERATE}\``).toBe(deployDoc);
  });

  it("regenerates the list when a rule routes a new type, and only the list", () => {
    const base = ruleList[0] as RuleDeclaration;
    const added: RuleDeclaration = { ...base, name: "Refunds", pattern: { ...base.pattern, "detail-type": ["refund.created"] } };

    const regenerated = renderDeployGuide(deployDoc, [...ruleList, added]);

    expect(regenerated).not.toBe(deployDoc);
    expect(regenerated).toContain("   payment_intent.succeeded\n   refund.created\n   ```\n");
    expect(regenerated.replace("   refund.created\n", "")).toBe(deployDoc);
    expect(() => renderDeployGuide("# no markers")).toThrow(MissingGeneratedBlockError);
  });

  it("tells how to set every secret a stage can need", () => {
    const secrets = new Set([
      ...buildPlan({ ...customStage, push: { platform: "APNS" } }).secrets,
    ]);

    // The webhook's, push's two, and the Stripe API key of the tier rewards.
    expect(secrets.size).toBe(4);
    for (const secret of secrets) expect(deployDoc).toContain(`npx sst secret set ${secret} `);
  });
});
