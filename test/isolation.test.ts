/**
 * Which test files share a module graph (vitest `isolate: false`) and which keep their own: a file
 * that leaves state behind (the environment, mocks, a handler's clients, the runtime's singletons)
 * must never share, and the shared files run together, after the others.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { isolationReason, splitByIsolation, testFiles } from "./support/isolation.ts";
import { sharedLast } from "./support/sequencer.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const reason = (file: string) => isolationReason(readFileSync(new URL(`../${file}`, import.meta.url), "utf8"));

describe("isolationReason", () => {
  it("keeps a fresh module graph for files that set the environment, mock, import a handler, start the runtime or processes", () => {
    expect(reason("functions/loyalty/core.test.ts")).toBe("sets process.env");
    expect(reason("functions/common/profiles.test.ts")).toBe("sets process.env");
    expect(reason("test/runtime.e2e.test.ts")).toBe("starts the local runtime");
    expect(reason("local/stepfunctions/durable.test.ts")).toBe("starts processes");
    expect(reason("cli/paybus.test.ts")).toBe("starts processes");
    expect(reason("test/gateway.e2e.test.ts")).toBe("starts processes");
    expect(isolationReason(`const { handler } = await import("../functions/ingest/handler.ts");`)).toBe("imports a function's handler");
    expect(isolationReason(`vi.mock("./clients.ts");`)).toBe("mocks modules or globals");
    expect(isolationReason(`process.chdir(dir);`)).toBe("changes the working directory");
    expect(isolationReason(`delete process.env.AWS_REGION;`)).toBe("sets process.env");
  });

  it("lets pure unit files share one, including those that only read the environment", () => {
    expect(reason("pattern/matching.test.ts")).toBeUndefined();
    expect(reason("events/money.test.ts")).toBeUndefined();
    expect(isolationReason(`if (process.env.CI === "true") skip();`)).toBeUndefined();
  });
});

describe("splitByIsolation", () => {
  it("puts every test file in exactly one of the three projects", () => {
    const { shared, runtime, isolated } = splitByIsolation(ROOT);

    expect([...shared, ...runtime, ...isolated].sort()).toEqual(testFiles(ROOT));
    expect(new Set([...shared, ...runtime, ...isolated]).size).toBe(testFiles(ROOT).length);
    expect(shared).toContain("pattern/matching.test.ts");
    // The runtime files share a graph among themselves only; one that also starts a process (the
    // gateway's real clients), or a reliability scenario, keeps its own.
    expect(runtime).toContain("test/runtime.e2e.test.ts");
    expect(isolated).toContain("test/gateway.e2e.test.ts");
    expect(isolated).toContain("test/reliability/restart-demo.test.ts");
    expect(isolated).toContain("functions/loyalty/core.test.ts");
    expect(testFiles(ROOT).some((file) => file.startsWith("node_modules/") || file.startsWith("."))).toBe(false);
  });
});

describe("sharedLast", () => {
  it("moves the files of non-isolated projects to the end, each project's together, keeping the order within each", () => {
    const spec = (name: string, project: string, isolate: boolean) => ({ name, project: { name: project, config: { isolate } } });
    const order = [spec("e2e", "runtime", false), spec("a", "shared", false), spec("long", "isolated", true), spec("e2e2", "runtime", false), spec("b", "shared", false), spec("short", "isolated", true)];

    expect(sharedLast(order).map((s) => s.name)).toEqual(["long", "short", "e2e", "e2e2", "a", "b"]);
  });
});
