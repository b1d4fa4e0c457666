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
const realWrite = fs.writeSync;

describe("an append-only JSON Lines log", () => {
  it("keeps the first record appended after a restart that found a torn last line", () => {
    const file = fileIn();
    new JsonLinesLog<{ n: number }>(file).append({ n: 1 });
    appendFileSync(file, '{"n":');

    new JsonLinesLog<{ n: number }>(file).append({ n: 2 });

    expect(new JsonLinesLog<{ n: number }>(file).read()).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it("appends at the end whoever else wrote or emptied the file since its own last append, and after being closed", () => {
    const file = fileIn();
    const first = new JsonLinesLog<{ n: number }>(file);
    const second = new JsonLinesLog<{ n: number }>(file);
    first.append({ n: 1 });
    second.append({ n: 2 });
    first.append({ n: 3 });
    expect(new JsonLinesLog<{ n: number }>(file).read()).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);

    second.clear();
    first.append({ n: 4 });
    first.close();
    first.append({ n: 5 });
    second.close();

    expect(readFileSync(file, "utf8")).toBe('{"n":4}\n{"n":5}\n');
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
    fs.writeSync = realWrite;
    syncBuiltinESMExports();
  });

  it("ends the torn line before the next append, so that record stays readable", () => {
    const file = fileIn();
    const log = new JsonLinesLog<{ n: number }>(file);
    log.append({ n: 1 });
    // The next write stops part-way, as on a full disk (node's writeSync, patched at the fs edge).
    fs.writeSync = ((fd: number, data: Uint8Array, offset: number) => {
      realWrite(fd, data, offset, 4);
      throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    }) as unknown as typeof fs.writeSync;
    syncBuiltinESMExports();
    expect(() => log.append({ n: 2 })).toThrow(/ENOSPC/);
    fs.writeSync = realWrite;
    syncBuiltinESMExports();

    log.append({ n: 3 });

    expect(new JsonLinesLog<{ n: number }>(file).read()).toEqual([{ n: 1 }, { n: 3 }]);
  });
});

describe("several records appended together", () => {
  afterEach(() => {
    fs.writeSync = realWrite;
    syncBuiltinESMExports();
  });

  it("go in one write, in order, each on a line of its own", () => {
    const file = fileIn();
    const log = new JsonLinesLog<{ n: number }>(file);
    let writes = 0;
    fs.writeSync = ((...args: Parameters<typeof fs.writeSync>) => {
      writes++;
      return (realWrite as (...a: unknown[]) => number)(...args);
    }) as typeof fs.writeSync;
    syncBuiltinESMExports();

    log.append({ n: 1 }, { n: 2 }, { n: 3 });
    log.append({ n: 4 });

    expect(writes).toBe(2);
    expect(readFileSync(file, "utf8")).toBe('{"n":1}\n{"n":2}\n{"n":3}\n{"n":4}\n');
  });
});
