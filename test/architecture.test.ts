/**
 * The dependency direction of the repository, enforced: every relative import of every .ts file is
 * read (static, dynamic, re-exports and `new URL("…", import.meta.url)` paths) and the folder-level
 * graph is checked against the rules in docs/CONTRIBUTING.md ("Dependency rules").
 */
import { describe, expect, it } from "vitest";
import { dependencyGraph, findCycles, folderOf, importsOf, isTestFile, topLevelOf, violations, type Edge } from "./support/architecture.ts";

const graph = dependencyGraph();

function show(edges: readonly Edge[]): string[] {
  return edges.map((edge) => `${edge.from} imports ${edge.to}`);
}

describe("dependency direction", () => {
  it("reads imports of every kind", () => {
    const source = [
      'import { a } from "./a.ts";',
      'import type { B } from "../b/b.ts";',
      'export { c } from "./c.ts";',
      'export * from "./d.ts";',
      'import "./e.ts";',
      'const f = await import("./f.ts");',
      'const g = new URL("./g.ts", import.meta.url);',
      'import { z } from "zod";',
    ].join("\n");

    expect(importsOf("functions/x/handler.ts", source)).toEqual([
      "functions/x/a.ts",
      "functions/b/b.ts",
      "functions/x/c.ts",
      "functions/x/d.ts",
      "functions/x/e.ts",
      "functions/x/f.ts",
      "functions/x/g.ts",
    ]);
  });

  it("sees the whole repository (a graph that reads nothing would pass every rule)", () => {
    expect(graph.files.length).toBeGreaterThan(300);
    expect(graph.edges.some((edge) => edge.from === "functions/loyalty/handler.ts" && edge.to.startsWith("functions/common/"))).toBe(true);
    expect(graph.edges.some((edge) => edge.from.startsWith("local/") && edge.to === "declarations/rules.ts")).toBe(true);
  });

  it("maps files to the folders the rules speak of", () => {
    expect(folderOf("functions/common/batch.ts")).toBe("functions/common");
    expect(folderOf("functions/loyalty/notices/x.ts")).toBe("functions/loyalty");
    expect(folderOf("functions/consumers.ts")).toBe("functions");
    expect(folderOf("declarations/rules.ts")).toBe("declarations");
    expect(topLevelOf("functions/loyalty/notices/x.ts")).toBe("functions");
    expect(topLevelOf("sst.config.ts")).toBe("sst.config.ts");
    expect(folderOf("events/parse.ts")).toBe("events");
    expect(folderOf("sst.config.ts")).toBe("sst.config.ts");
    expect(isTestFile("functions/loyalty/core.test.ts")).toBe(true);
    expect(isTestFile("test/support/webhook.ts")).toBe(true);
    expect(isTestFile("functions/loyalty/core.ts")).toBe(false);
  });

  it("keeps product code (functions, events, workflows, stacks) off local, dashboard, cli, bench, scripts and test", () => {
    expect(show(violations(graph).productImportsTooling)).toEqual([]);
  });

  it("keeps workflows off every consumer folder (only functions/common)", () => {
    expect(show(violations(graph).workflowImportsConsumer)).toEqual([]);
  });

  it("keeps local off consumers' internals (only functions/common, a consumer's layout.ts or leaf constants)", () => {
    expect(show(violations(graph).localImportsConsumerInternals)).toEqual([]);
  });

  it("keeps test helpers in test/support, not in production folders", () => {
    expect(violations(graph).testHelpersOutsideTestTree).toEqual([]);
  });

  it("has no cycle between folders", () => {
    expect(findCycles(graph)).toEqual([]);
  });

  it("has no cycle between top-level folders, leaves included (pattern, events → functions → workflows → declarations → stacks → local → dashboard → cli)", () => {
    expect(findCycles(graph, "top")).toEqual([]);
  });

  it("reports a violation and a cycle in a constructed graph", () => {
    const constructed = {
      files: ["functions/loyalty/handler.ts", "local/state.ts", "workflows/task.ts", "functions/x/testing/helper.ts"],
      edges: [
        { from: "functions/loyalty/handler.ts", to: "local/state.ts" },
        { from: "local/state.ts", to: "functions/loyalty/ledger.ts" },
        { from: "workflows/task.ts", to: "functions/loyalty/points.ts" },
      ],
    };

    const found = violations(constructed);

    expect(show(found.productImportsTooling)).toEqual(["functions/loyalty/handler.ts imports local/state.ts"]);
    expect(show(found.localImportsConsumerInternals)).toEqual(["local/state.ts imports functions/loyalty/ledger.ts"]);
    expect(show(found.workflowImportsConsumer)).toEqual(["workflows/task.ts imports functions/loyalty/points.ts"]);
    expect(found.testHelpersOutsideTestTree).toEqual(["functions/x/testing/helper.ts"]);
    expect(findCycles(constructed)).toEqual([["functions/loyalty", "local"]]);
  });

  it("counts a leaf module (constants, no imports) as its own unit: it cannot close a cycle", () => {
    const graph = {
      files: ["declarations/rules.ts", "functions/loyalty/promotion-key.ts", "functions/loyalty/points.ts", "workflows/index.ts", "local/runtime.ts"],
      edges: [
        { from: "declarations/rules.ts", to: "functions/loyalty/promotion-key.ts" },
        { from: "functions/loyalty/points.ts", to: "workflows/index.ts" },
        { from: "workflows/index.ts", to: "declarations/rules.ts" },
        { from: "local/runtime.ts", to: "functions/loyalty/promotion-key.ts" },
      ],
    };

    expect(findCycles(graph)).toEqual([]);
    expect(violations(graph).localImportsConsumerInternals).toEqual([]);
    // The same edge to a module with code of its own closes the cycle.
    const withCode = { ...graph, edges: [...graph.edges, { from: "functions/loyalty/promotion-key.ts", to: "functions/loyalty/points.ts" }] };
    expect(findCycles(withCode)).toEqual([["declarations", "functions/loyalty", "workflows"]]);
    expect(show(violations(withCode).localImportsConsumerInternals)).toEqual(["local/runtime.ts imports functions/loyalty/promotion-key.ts"]);
  });

  it("at the top level, reports a cycle between folders even through a leaf, and ignores specifiers that name no module", () => {
    const constructed = {
      files: ["events/rules.ts", "events/parse.ts", "functions/loyalty/promotion-key.ts", "functions/loyalty/core.ts", "cli/scaffold.ts"],
      edges: [
        // The declarations beside the event contract read a consumer's constant...
        { from: "events/rules.ts", to: "functions/loyalty/promotion-key.ts" },
        // ...and the consumer reads the contract: events and functions depend on each other.
        { from: "functions/loyalty/core.ts", to: "events/parse.ts" },
        // Text of a generated file, not an import of the repository.
        { from: "cli/scaffold.ts", to: "common/batch.ts" },
        { from: "events/parse.ts", to: "cli" },
      ],
    };

    // Per unit, the leaf closes nothing; per top-level folder it does.
    expect(findCycles(constructed)).toEqual([]);
    expect(findCycles(constructed, "top")).toEqual([["events", "functions"]]);
    // Moving the declarations out of the contract's folder breaks the cycle.
    const moved = {
      files: constructed.files.map((file) => (file === "events/rules.ts" ? "declarations/rules.ts" : file)),
      edges: constructed.edges.map((edge) => (edge.from === "events/rules.ts" ? { ...edge, from: "declarations/rules.ts" } : edge)),
    };
    expect(findCycles(moved, "top")).toEqual([]);
  });
});
