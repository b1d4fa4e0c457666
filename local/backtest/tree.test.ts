/** The base side's source tree: exported once per commit, with caches of its own and the working tree's packages. */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../project-root.ts";
import { BacktestTreeError, exportRef } from "./tree.ts";

let cacheRoot: string;

beforeAll(() => {
  cacheRoot = mkdtempSync(join(tmpdir(), "paybus-tree-test-"));
});

afterAll(() => {
  rmSync(cacheRoot, { recursive: true, force: true });
});

describe("exportRef", () => {
  it("exports the commit's files once, and the next backtest of the same commit finds them where they were, unchanged", () => {
    // Arrange
    const commit = execFileSync("git", ["-C", PROJECT_ROOT, "rev-parse", "HEAD"], { encoding: "utf8" }).trim();

    // Act
    const first = exportRef(PROJECT_ROOT, "HEAD", cacheRoot);
    const builtAt = statSync(join(first, "package.json")).mtimeMs;
    // What a runtime of that tree writes there (its build caches) must still be there next time.
    mkdirSync(join(first, "node_modules", ".cache", "paybus-functions"), { recursive: true });
    writeFileSync(join(first, "node_modules", ".cache", "paybus-functions", "manifest.json"), "{}");
    const second = exportRef(PROJECT_ROOT, commit, cacheRoot);

    // Assert
    expect(second).toBe(first);
    expect(first).toBe(join(cacheRoot, commit));
    expect(readFileSync(join(first, "package.json"), "utf8")).toBe(execFileSync("git", ["-C", PROJECT_ROOT, "show", "HEAD:package.json"], { encoding: "utf8" }));
    expect(statSync(join(second, "package.json")).mtimeMs).toBe(builtAt);
    expect(existsSync(join(second, "node_modules", ".cache", "paybus-functions", "manifest.json"))).toBe(true);
  });

  it("gives the tree the working tree's packages but a build cache of its own", () => {
    // Act
    const tree = exportRef(PROJECT_ROOT, "HEAD", cacheRoot);

    // Assert: packages resolve to the working tree's; the cache folder is not the working tree's.
    expect(realpathSync(join(tree, "node_modules", "zod"))).toBe(realpathSync(join(PROJECT_ROOT, "node_modules", "zod")));
    expect(realpathSync(join(tree, "node_modules"))).not.toBe(realpathSync(join(PROJECT_ROOT, "node_modules")));
    mkdirSync(join(tree, "node_modules", ".cache"), { recursive: true });
    expect(realpathSync(join(tree, "node_modules", ".cache"))).not.toBe(join(realpathSync(join(PROJECT_ROOT, "node_modules")), ".cache"));
  });

  it("refuses a ref that names no commit", () => {
    expect(() => exportRef(PROJECT_ROOT, "no-such-ref-for-a-backtest", cacheRoot)).toThrow(BacktestTreeError);
  });
});
