/** The suite's timeline reporter writes one line per test file: start, end, project, path. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { TestModule } from "vitest/node";
import { TimelineReporter } from "./support/timeline-reporter.ts";

const dir = mkdtempSync(join(tmpdir(), "paybus-timeline-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const module = (path: string, project: string) => ({ moduleId: `/repo/${path}`, project: { name: project } }) as unknown as TestModule;

describe("TimelineReporter", () => {
  it("writes each file's start and end in seconds from the run's start, its project and its path, in the order files end", async () => {
    // Arrange
    const file = join(dir, "timeline.tsv");
    const reporter = new TimelineReporter(file);
    reporter.onInit({ config: { root: "/repo" } });

    // Act: b starts after a and ends before it.
    reporter.onTestModuleStart(module("a.test.ts", "e2e"));
    await new Promise((resolve) => setTimeout(resolve, 120));
    reporter.onTestModuleStart(module("test/b.test.ts", "unit"));
    reporter.onTestModuleEnd(module("test/b.test.ts", "unit"));
    await new Promise((resolve) => setTimeout(resolve, 120));
    reporter.onTestModuleEnd(module("a.test.ts", "e2e"));

    // Assert
    const lines = readFileSync(file, "utf8").trim().split("\n").map((line) => line.split("\t"));
    expect(lines.map(([, , project, path]) => [project, path])).toEqual([
      ["unit", "test/b.test.ts"],
      ["e2e", "a.test.ts"],
    ]);
    const [[bStart, bEnd], [aStart, aEnd]] = lines.map(([start, end]) => [Number(start), Number(end)]) as [[number, number], [number, number]];
    expect(aStart).toBeLessThan(bStart);
    expect(bEnd).toBeLessThan(aEnd);
    expect(aEnd).toBeGreaterThanOrEqual(0.2);
  });
});
