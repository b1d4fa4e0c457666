import fs, { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Journal } from "./journal.ts";

const realWrite = fs.writeSync;
const dirs: string[] = [];
const fileIn = () => {
  const dir = mkdtempSync(join(tmpdir(), "paybus-journal-"));
  dirs.push(dir);
  return join(dir, "journal.jsonl");
};
afterEach(() => {
  fs.writeSync = realWrite;
  syncBuiltinESMExports();
  dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true }));
});
const noWriteError = (error: Error) => {
  throw error;
};

describe("a journal kept in a file", () => {
  it("reads back what an earlier process recorded, skips a line torn by a kill, and numbers on", () => {
    const file = fileIn();
    const first = new Journal();
    first.keepIn(file, noWriteError);
    first.record({ kind: "queue.redrive", queue: "loyalty", messageId: "m-1" });
    const kept = first.record({ kind: "runtime.error", where: "GET /x", error: "boom" });
    first.close();
    appendFileSync(file, '{"kind":"queue.discard","queue":"loyalty","mess');

    const second = new Journal();
    second.keepIn(file, noWriteError);
    expect(second.list().map((entry) => entry.seq)).toEqual([1, 2]);
    expect(second.list("runtime.error")).toEqual([kept]);
    expect(second.record({ kind: "queue.discard", queue: "loyalty", messageId: "m-2" }).seq).toBe(3);
    second.close();

    const third = new Journal();
    third.keepIn(file, noWriteError);
    expect(third.list().map((entry) => entry.kind)).toEqual(["queue.redrive", "runtime.error", "queue.discard"]);
  });

  it("keeps recording in memory when the disk refuses a write, and says so once", () => {
    const journal = new Journal();
    const errors: string[] = [];
    journal.keepIn(fileIn(), (error) => errors.push(error.message));
    fs.writeSync = (() => {
      throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    }) as unknown as typeof fs.writeSync;
    syncBuiltinESMExports();

    journal.record({ kind: "queue.redrive", queue: "loyalty", messageId: "m-1" });
    journal.record({ kind: "queue.redrive", queue: "loyalty", messageId: "m-2" });

    expect(journal.list().map((entry) => entry.seq)).toEqual([1, 2]);
    expect(errors).toEqual(["ENOSPC: no space left on device, write"]);
  });

  it("must be given its file before its first entry", () => {
    const journal = new Journal();
    journal.record({ kind: "queue.redrive", queue: "loyalty", messageId: "m-1" });
    expect(() => journal.keepIn(fileIn(), noWriteError)).toThrow(/before its first entry/);
  });
});
