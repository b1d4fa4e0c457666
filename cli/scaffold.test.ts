/**
 * `paybus new consumer`, run in a temporary copy of the repository (the repository itself is never
 * touched): the declaration, the consumer registry, the folder and the deploy guide are written,
 * and the result type-checks, lints clean and passes its own and the declaration tests.
 */
import { execFile, execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { scaffoldConsumer, ScaffoldError, type ScaffoldResult } from "./scaffold.ts";
import { TIMELINE_ENV } from "../test/support/timeline-reporter.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const run = promisify(execFile);

/** The repository's files (tracked and new, not ignored) copied under a temporary folder. */
function copyRepository(): string {
  const copy = mkdtempSync(join(tmpdir(), "paybus-scaffold-"));
  const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"], { cwd: ROOT, encoding: "utf8" })
    .split("\0")
    .filter(Boolean);
  for (const file of files) {
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    try {
      cpSync(join(ROOT, file), join(copy, file));
    } catch (error) {
      // A file deleted in the working tree but still in the index.
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  symlinkSync(join(ROOT, "node_modules"), join(copy, "node_modules"), "dir");
  return copy;
}

/**
 * The environment without the suite's report switches: the per-file CPU report's
 * (test/support/cpu-report.ts) and the timeline's (test/support/timeline-reporter.ts).
 */
function withoutSuiteReports(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { PAYBUS_TEST_CPU: _report, [TIMELINE_ENV]: _timeline, ...rest } = env;
  return rest;
}

/** Runs `command` with what it writes to stdout captured. */
async function captureStdout(command: () => Promise<number>): Promise<{ code: number; stdout: string }> {
  const out: string[] = [];
  const stdout = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => out.push(String(chunk)) > 0);
  try {
    return { code: await command(), stdout: out.join("") };
  } finally {
    stdout.mockRestore();
  }
}

const watched = ["declarations/rules.ts", "declarations/consumers.ts", "docs/deploy.md"];
const before = Object.fromEntries(watched.map((file) => [file, readFileSync(join(ROOT, file), "utf8")]));

describe("paybus new consumer", () => {
  let copy: string;
  let result: ScaffoldResult;

  beforeAll(() => {
    copy = copyRepository();
    result = scaffoldConsumer(copy, { name: "subscription-audit", events: ["customer.subscription.created"] });
  });

  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it("writes one declaration entry, the registry entry, the folder and the regenerated deploy guide", () => {
    expect(result).toEqual({
      queue: "subscriptionAudit",
      rule: "SubscriptionAudit",
      fixture: "08-customer-subscription-created-usd.json",
      created: ["functions/subscription-audit/handler.ts", "functions/subscription-audit/core.ts", "functions/subscription-audit/core.test.ts"],
      edited: ["declarations/rules.ts", "declarations/consumers.ts", "docs/deploy.md"],
    });
    const rules = readFileSync(join(copy, "declarations/rules.ts"), "utf8");
    expect(rules).toContain('handler: "functions/subscription-audit/handler.handler"');
    expect(rules).toContain('"detail-type": ["customer.subscription.created"]');
    // Appended at the end of each literal: the existing entries are untouched, in order.
    expect(rules.replace(/\n {2}subscriptionAudit: \{[\s\S]*?\n {2}\},\n/, "\n").replace(/\n {2}\{\n {4}name: "SubscriptionAudit"[\s\S]*?\n {2}\},\n/, "\n")).toBe(before["declarations/rules.ts"]);
    expect(readFileSync(join(copy, "declarations/consumers.ts"), "utf8")).toContain("subscriptionAudit: SUBSCRIPTION_AUDIT_EVENT_TYPES,");
    expect(readFileSync(join(copy, "docs/deploy.md"), "utf8")).toContain("   customer.subscription.created\n");
    expect(readFileSync(join(copy, "functions/subscription-audit/core.test.ts"), "utf8")).toContain('from "../../fixtures/index.ts"');
  });

  it("leaves the repository itself untouched", () => {
    for (const file of watched) expect(readFileSync(join(ROOT, file), "utf8")).toBe(before[file]);
  });

  it("type-checks the declarations, the registry and the new folder", async () => {
    writeFileSync(
      join(copy, "tsconfig.scaffold.json"),
      JSON.stringify({ extends: "./tsconfig.json", files: [], include: ["declarations/consumers.ts", "functions/subscription-audit", "cli/rules.test.ts", "stacks/plan.ts"], exclude: [] }),
    );

    // --singleThreaded: the same check (TypeScript 7's native compiler) in ~1.4 s of CPU instead of
    // ~1.9 s with its checker threads, at the same wall time on this small program (~1,000 files).
    const tsc = await run(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "--noEmit", "--singleThreaded", "-p", "tsconfig.scaffold.json"], { cwd: copy }).catch(
      (error: { stdout?: string; code?: number }) => ({ stdout: error.stdout ?? "", code: error.code }),
    );

    expect(tsc.stdout).toBe("");
  }, 180_000);

  it("lints clean: the new rule reaches its consumer, which accepts what it routes", async () => {
    // The copy's own `paybus rules lint` (cli/paybus.ts dispatches "rules lint" to it with no
    // arguments, so it reads the copy's declarations), loaded in this process: a `node --import tsx`
    // child cost ~1.4 s of CPU to load the same modules.
    const { rulesLint } = (await import(join(copy, "cli/rules.ts"))) as typeof import("./rules.ts");
    const lint = await captureStdout(() => rulesLint());

    expect(lint.code).toBe(0);
    expect(lint.stdout).toContain("SubscriptionAudit: 1 event type\n    customer.subscription.created\n");
    expect(lint.stdout).toContain("Consumers: every routed event type is accepted by its queue's consumer");
    expect(lint.stdout).toContain("Overlaps: none");
  }, 120_000);

  it("passes its own test and the declaration, docs and architecture tests", async () => {
    const tests = ["functions/subscription-audit/core.test.ts", "cli/rules.test.ts", "test/infra/docs.test.ts", "test/architecture.test.ts"];

    const vitest = await run(process.execPath, [join(ROOT, "node_modules/vitest/vitest.mjs"), "run", ...tests, "--maxWorkers=1"], {
      cwd: copy,
      // Without PAYBUS_TEST_CPU: when this file's cost is being measured, the nested run must
      // neither append its own rows to the table nor run each of its files in a process of its own;
      // without the timeline's switch, it would replace the outer run's timeline with its own.
      env: { ...withoutSuiteReports(process.env), CI: "1", NO_COLOR: "1" },
    }).catch((error: { stdout?: string; stderr?: string }) => ({ stdout: `${error.stdout}\n${error.stderr}` }));

    expect(vitest.stdout).toMatch(/Test Files {2}4 passed \(4\)/);
  }, 240_000);

  it("refuses what would not build or would not be routed", () => {
    const attempt = (name: string, events: string[]) => () => scaffoldConsumer(copy, { name, events });

    expect(attempt("Refunds", ["charge.refunded"])).toThrow(/kebab-case/);
    expect(attempt("audit", [])).toThrow(/--events/);
    expect(attempt("audit", ["charge.captured"])).toThrow(/charge.captured: no event schema/);
    expect(attempt("audit", ["invoice.payed"])).toThrow(/invoice.payed: not a Stripe event type/);
    expect(attempt("subscription-audit", ["invoice.paid"])).toThrow(/already exists/);
    expect(attempt("loyalty-x", ["invoice.paid", "invoice.paid"])).toThrow(ScaffoldError);
  });
});
