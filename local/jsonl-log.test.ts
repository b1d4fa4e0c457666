import fs, { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { endTornLine, JsonLinesLog } from "./jsonl-log.ts";

const dirs: string[] = [];
const fileIn = () => {
  const dir = mkdtempSync(join(tmpdir(), "paybus-jsonl-"));
  dirs.push(dir);
  return join(dir, "log.jsonl");
};
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const realAppend = fs.appendFileSync;

describe("an append-only JSON Lines log", () => {
  it("keeps the first record appended after a restart that found a torn last line", () => {
    const file = fileIn();
    new JsonLinesLog<{ n: number }>(file).append({ n: 1 });
    appendFileSync(file, '{"n":');

    new JsonLinesLog<{ n: number }>(file).append({ n: 2 });

    expect(new JsonLinesLog<{ n: number }>(file).read()).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it("ends a torn last line once, and leaves a whole file, an empty one or a missing one alone", () => {
    const torn = fileIn();
    appendFileSync(torn, '{"n":1}\n{"n":');
    endTornLine(torn);
    endTornLine(torn);
    const whole = fileIn();
    appendFileSync(whole, '{"n":1}\n');
    endTornLine(whole);
    const empty = fileIn();
    appendFileSync(empty, "");
    endTornLine(empty);
    const missing = fileIn();
    endTornLine(missing);

    expect(readFileSync(torn, "utf8")).toBe('{"n":1}\n{"n":\n');
    expect(readFileSync(whole, "utf8")).toBe('{"n":1}\n');
    expect(readFileSync(empty, "utf8")).toBe("");
    expect(() => readFileSync(missing)).toThrow(/ENOENT/);
  });
});

describe("a line file on a disk that fails a write part-way", () => {
  afterEach(() => {
    fs.appendFileSync = realAppend;
    syncBuiltinESMExports();
  });

  it("ends the torn line before the next append, so that record stays readable", () => {
    const file = fileIn();
    const log = new JsonLinesLog<{ n: number }>(file);
    log.append({ n: 1 });
    // The next write stops part-way, as on a full disk (node's appendFileSync, patched at the fs edge).
    fs.appendFileSync = ((path: string, data: string) => {
      realAppend(path, data.slice(0, 4));
      throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    }) as typeof fs.appendFileSync;
    syncBuiltinESMExports();
    expect(() => log.append({ n: 2 })).toThrow(/ENOSPC/);
    fs.appendFileSync = realAppend;
    syncBuiltinESMExports();

    log.append({ n: 3 });

    expect(new JsonLinesLog<{ n: number }>(file).read()).toEqual([{ n: 1 }, { n: 3 }]);
  });
});
