/**
 * Which test files share a module graph (vitest `isolate: false`) and which keep their own: a file
 * that leaves state behind (the environment, mocks, a handler's clients) must never share; files
 * that start the runtime or processes share only among themselves; the shared files run together,
 * after the others.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { groupOf, isolationReasons, splitByIsolation, testFiles } from "./support/isolation.ts";
import { sharedLast } from "./support/sequencer.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const source = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url), "utf8");
const group = (file: string) => groupOf(file, source(file));

describe("isolationReasons", () => {
  it("names what a file leaves behind or starts", () => {
    expect(isolationReasons(source("functions/loyalty/disputes-renewals.test.ts"))).toEqual(["sets process.env"]);
    expect(isolationReasons(source("functions/common/profiles.test.ts"))).toContain("sets process.env");
    expect(isolationReasons(source("test/runtime.e2e.test.ts"))).toEqual(["starts the local runtime"]);
    expect(isolationReasons(source("local/stepfunctions/durable.test.ts"))).toEqual(["starts processes"]);
    expect(isolationReasons(source("cli/paybus.test.ts"))).toContain("starts processes");
    expect(isolationReasons(`const { handler } = await import("../functions/ingest/handler.ts");`)).toEqual(["imports a function's handler"]);
    expect(isolationReasons(`vi.mock("./clients.ts");`)).toEqual(["mocks modules or globals"]);
    expect(isolationReasons(`process.chdir(dir);`)).toEqual(["changes the working directory"]);
    expect(isolationReasons(`delete process.env.AWS_REGION;`)).toEqual(["sets process.env"]);
  });

  it("finds nothing in pure unit files, including those that only read the environment", () => {
    expect(isolationReasons(source("pattern/matching.test.ts"))).toEqual([]);
    expect(isolationReasons(source("events/money.test.ts"))).toEqual([]);
    expect(isolationReasons(`if (process.env.CI === "true") skip();`)).toEqual([]);
  });
});

describe("groupOf and splitByIsolation", () => {
  it("share unit files; share runtime and process files among themselves; isolate any other sign and the reliability scenarios", () => {
    expect(group("pattern/matching.test.ts")).toBe("unit");
    expect(group("test/runtime.e2e.test.ts")).toBe("e2e");
    expect(group("test/gateway.e2e.test.ts")).toBe("e2e");
    expect(group("local/stepfunctions/durable.test.ts")).toBe("e2e");
    expect(group("functions/loyalty/disputes-renewals.test.ts")).toBe("isolated");
    expect(group("functions/loyalty/core.test.ts")).toBe("unit");
    expect(group("functions/notifications/handler.test.ts")).toBe("isolated");
    expect(group("test/reliability/restart-demo.test.ts")).toBe("isolated");
    // Browser files apart: one failed only in the shared group (test/support/isolation.ts).
    expect(group("dashboard/dashboard.browser.test.ts")).toBe("isolated");
    expect(group("local/gateway.browser.test.ts")).toBe("isolated");
    expect(groupOf("test/x.e2e.test.ts", `await startTestRuntime(); process.env.PAYBUS_X = "1";`)).toBe("isolated");
  });

  it("puts every test file in exactly one group", () => {
    const { unit, e2e, isolated } = splitByIsolation(ROOT);
    const all = [...unit, ...e2e, ...isolated];

    expect([...all].sort()).toEqual(testFiles(ROOT));
    expect(new Set(all).size).toBe(all.length);
    expect(all.some((file) => file.startsWith("node_modules/") || file.startsWith("."))).toBe(false);
  });
});

describe("sharedLast", () => {
  it("moves the files of non-isolated projects to the end, each project's together, keeping the order within each", () => {
    const spec = (name: string, project: string, isolate: boolean) => ({ name, project: { name: project, config: { isolate } } });
    const order = [spec("e2e", "e2e", false), spec("a", "unit", false), spec("long", "isolated", true), spec("e2e2", "e2e", false), spec("b", "unit", false), spec("short", "isolated", true)];

    expect(sharedLast(order).map((s) => s.name)).toEqual(["long", "short", "e2e", "e2e2", "a", "b"]);
  });
});

describe("the e2e files' setup", () => {
  it("empties the email store a runtime of an earlier file in the same worker filled", async () => {
    const { LocalSes, emptyEmailStore } = await import("../local/ses.ts");
    const require = createRequire(import.meta.url);
    const store = require("aws-ses-v2-local/dist/store.js") as { saveEmail(email: object): void };
    store.saveEmail({ messageId: "earlier-file", from: "a@example.com", destination: { to: ["b@example.com"], cc: [], bcc: [] }, subject: "s", body: { text: "t" }, at: Math.floor(Date.now() / 1000) });
    const ses = new LocalSes();
    expect((await ses.emails()).map((email) => email.messageId)).toContain("earlier-file");

    emptyEmailStore();

    expect(await ses.emails()).toEqual([]);
  });
});
