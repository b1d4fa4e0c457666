import { appendFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Archive } from "./archive.ts";
import { busArchive } from "./services/eventbridge.ts";

const dirs: string[] = [];
function archiveFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "paybus-archive-"));
  dirs.push(dir);
  return join(dir, "nested", "bus.jsonl");
}
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const event = (id: string, time: string) => JSON.stringify({ id: `e-${id}`, time, detail: { id } });

describe("the bus archive", () => {
  it("reads back what was appended, filtered by time window and by Stripe event id", () => {
    const archive = new Archive(archiveFile());
    archive.append(event("evt_a", "2026-08-04T10:00:00Z"));
    archive.append(event("evt_b", "2026-08-04T11:00:00Z"));
    archive.append(event("evt_c", "2026-08-04T12:00:00Z"));

    const ids = (filter: Parameters<Archive["read"]>[0]) => archive.read(filter).map((a) => JSON.parse(a.event).detail.id);

    expect(ids({})).toEqual(["evt_a", "evt_b", "evt_c"]);
    expect(ids({ start: new Date("2026-08-04T11:00:00Z") })).toEqual(["evt_b", "evt_c"]);
    expect(ids({ end: new Date("2026-08-04T11:00:00Z") })).toEqual(["evt_a"]);
    expect(ids({ stripeEventIds: ["evt_c", "evt_x"] })).toEqual(["evt_c"]);
  });

  it("survives a torn last line, as a hard kill can leave it", () => {
    const file = archiveFile();
    const archive = new Archive(file);
    archive.append(event("evt_a", "2026-08-04T10:00:00Z"));
    appendFileSync(file, '{"archivedAt":"2026-08-04T10:00:01Z","event":"{\\"id');

    expect(new Archive(file).read().map((a) => JSON.parse(a.event).detail.id)).toEqual(["evt_a"]);
  });

  it("keeps the first event accepted after a restart that found a torn last line", () => {
    const file = archiveFile();
    new Archive(file).append(event("evt_a", "2026-08-04T10:00:00Z"));
    appendFileSync(file, '{"archivedAt":"2026-08-04T10:00:01Z","event":"{\\"id');

    // The next process accepts (and acknowledges) an event: it must not be glued to the fragment.
    new Archive(file).append(event("evt_b", "2026-08-04T10:00:02Z"));

    expect(new Archive(file).read().map((a) => JSON.parse(a.event).detail.id)).toEqual(["evt_a", "evt_b"]);
  });

  it("kept in memory (backtests), reads back and filters as the file does, and writes nothing", () => {
    const dir = mkdtempSync(join(tmpdir(), "paybus-archive-"));
    dirs.push(dir);
    const archive = busArchive(dir, "bus", { archiveInMemory: true });
    archive.append(event("evt_a", "2026-08-04T10:00:00Z"));
    archive.append(event("evt_b", "2026-08-04T11:00:00Z"));
    archive.append("{not json");

    const ids = (filter: Parameters<Archive["read"]>[0]) => archive.read(filter).map((a) => JSON.parse(a.event).detail.id);

    expect(ids({})).toEqual(["evt_a", "evt_b"]);
    expect(ids({ start: new Date("2026-08-04T11:00:00Z") })).toEqual(["evt_b"]);
    expect(ids({ stripeEventIds: ["evt_a"] })).toEqual(["evt_a"]);
    expect(archive.read()[0]?.archivedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    archive.close();
    expect(readdirSync(dir)).toEqual([]);
  });

  it("is the data directory's archive/<bus>.jsonl unless kept in memory", () => {
    const dir = mkdtempSync(join(tmpdir(), "paybus-archive-"));
    dirs.push(dir);
    const archive = busArchive(dir, "bus", {});
    archive.append(event("evt_a", "2026-08-04T10:00:00Z"));
    archive.close();

    expect(archive.file).toBe(join(dir, "archive", "bus.jsonl"));
    expect(existsSync(join(dir, "archive", "bus.jsonl"))).toBe(true);
  });
});
