/**
 * The suite's start order without durations from a previous run (a fresh clone, CI): files that
 * run other processes or the whole local runtime start before unit tests.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { estimatedCost } from "./support/sequencer.ts";

const cost = (file: string) => estimatedCost(readFileSync(new URL(`../${file}`, import.meta.url), "utf8"));

describe("estimatedCost", () => {
  it("puts process-starting files first, then files with the whole runtime, then engine tests, then unit tests", () => {
    const scenarios = cost("test/reliability/reliability.test.ts");
    const cli = cost("cli/paybus.test.ts");
    const runtime = cost("test/customers.e2e.test.ts");
    const engine = cost("local/sqs/sqs.test.ts");
    const unit = cost("pattern/matching.test.ts");

    expect(scenarios).toBeGreaterThan(cli);
    expect(cli).toBeGreaterThan(runtime);
    expect(runtime).toBeGreaterThan(engine);
    expect(engine).toBeGreaterThan(unit);
    expect(unit).toBe(0);
  });
});
