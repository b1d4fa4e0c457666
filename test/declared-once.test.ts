/**
 * Each environment variable the plan gives a function is named once: in `functions/common/environment.ts`
 * (or, for a table's variable, with its table in `functions/common/tables.ts`). The functions read it,
 * the plan writes it and the local runtime resolves it through that one constant, so a renamed
 * variable cannot leave a reader behind.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildPlan } from "../stacks/plan.ts";
import { dependencyGraph, isTestFile, ROOT } from "./support/architecture.ts";
import { customStage, partnerStage } from "./support/stages.ts";

/** Where the names are declared. */
const DECLARING = new Set(["functions/common/environment.ts", "functions/common/tables.ts"]);
/** The variable names `source` restates in code (a string literal, a property, an object key), comments aside. */
function restated(source: string, names: readonly string[]): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
  return names.filter((name) => new RegExp(`["'\`]${name}["'\`]|\\.${name}\\b|^\\s*${name}\\s*:`, "m").test(code));
}

const planned = [
  ...new Set(
    [customStage, partnerStage].flatMap((stage) => buildPlan(stage).functions.flatMap((fn) => Object.keys(fn.environment))).filter((name) => name.startsWith("PAYBUS_")),
  ),
].sort();

describe("names the plan sets on functions", () => {
  it("are known (a plan that set none would prove nothing)", () => {
    expect(planned).toEqual(expect.arrayContaining(["PAYBUS_EMAIL_FROM", "PAYBUS_EVENT_BUS_NAME", "PAYBUS_LOYALTY_TABLE", "PAYBUS_WEBHOOK_SECRET_ID"]));
  });

  it("are declared once: no product or local module restates one", () => {
    const files = dependencyGraph().files.filter((file) => !isTestFile(file) && /^(functions|stacks|workflows|declarations|events|local)\//.test(file) && !DECLARING.has(file));
    const found = files.flatMap((file) => restated(readFileSync(join(ROOT, file), "utf8"), planned).map((name) => `${file} ${name}`));

    expect(found).toEqual([]);
  });

  it("finds a restatement in code, not in a comment or a longer name", () => {
    const names = ["PAYBUS_EVENT_BUS_NAME", "PAYBUS_EMAIL_FROM"];

    expect(restated('const bus = process.env.PAYBUS_EVENT_BUS_NAME;', names)).toEqual(["PAYBUS_EVENT_BUS_NAME"]);
    expect(restated('z.object({\n  PAYBUS_EMAIL_FROM: z.email(),\n});', names)).toEqual(["PAYBUS_EMAIL_FROM"]);
    expect(restated('env["PAYBUS_EMAIL_FROM"]', names)).toEqual(["PAYBUS_EMAIL_FROM"]);
    expect(restated('// reads PAYBUS_EMAIL_FROM\n/** `PAYBUS_EVENT_BUS_NAME` */\nconst x = env.PAYBUS_EMAIL_FROM_OTHER;', names)).toEqual([]);
  });
});
