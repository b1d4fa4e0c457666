import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { afterEach, describe, expect, it } from "vitest";
import { buildOrReuse, builtFile } from "./build-cache.ts";

const roots: string[] = [];
afterEach(() => roots.splice(0).forEach((root) => rmSync(root, { recursive: true, force: true })));

/** A project of two modules, and a counting esbuild build of its entry into the cache. */
function project() {
  const root = mkdtempSync(join(tmpdir(), "paybus-build-cache-"));
  roots.push(root);
  writeFileSync(join(root, "entry.ts"), 'import { n } from "./dep.ts";\nconsole.log(n);\n');
  writeFileSync(join(root, "dep.ts"), "export const n: number = 1;\n");
  let builds = 0;
  const run = () =>
    buildOrReuse(root, "test", [], ["entry.ts"], async (outdir) => {
      builds++;
      const result = await build({ entryPoints: [join(root, "entry.ts")], absWorkingDir: root, outbase: root, outdir, bundle: true, format: "esm", platform: "node", metafile: true, logLevel: "silent" });
      return result.metafile;
    });
  return { root, run, builds: () => builds };
}

describe("buildOrReuse", () => {
  it("reuses a build while its inputs are unchanged, and builds again when one of them changes", async () => {
    const { root, run, builds } = project();

    const first = await run();
    const second = await run();
    writeFileSync(join(root, "dep.ts"), "export const n: number = 22;\n");
    utimesSync(join(root, "dep.ts"), new Date(), new Date(Date.now() + 5_000));
    const third = await run();

    expect(builds()).toBe(2);
    expect(second.outputs.get("entry.ts")).toBe(first.outputs.get("entry.ts"));
    expect(third.outputs.get("entry.ts")).not.toBe(first.outputs.get("entry.ts"));
    expect(builtFile(third.manifestFile, "entry.ts")).toBe(third.outputs.get("entry.ts"));
    expect(builtFile(third.manifestFile, "elsewhere.ts")).toBeUndefined();
  });

  it("builds again when a built file is gone", async () => {
    const { run, builds } = project();

    const first = await run();
    rmSync(first.outputs.get("entry.ts")!);
    const second = await run();

    expect(builds()).toBe(2);
    expect(builtFile(second.manifestFile, "entry.ts")).toBe(second.outputs.get("entry.ts"));
  });
});
