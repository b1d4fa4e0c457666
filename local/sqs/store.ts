/**
 * Durable storage for the local SQS: an fsync'd append-only log of every change, compacted into a
 * snapshot.
 *
 * On disk (`<dir>/`):
 * - `snapshot-<n>.json`: the whole state at one instant (queues, their attributes and every message
 *   with its receive count, visibility deadline, receipt and DLQ source), written to a `.tmp` file,
 *   fsync'd, then renamed, so it is either absent or complete;
 * - `log-<n>.jsonl`: one JSON record per change made after snapshot `n` (send, receive, change of
 *   visibility, delete, move to a DLQ, queue created/changed/deleted/purged, error note);
 * - `secret`: the key that signs receipt handles, so handles stay valid across restarts.
 *
 * Group commit: changes are applied in memory and appended to a batch; `durable()` resolves once
 * the batch holding them is written and `fdatasync`'d, and the engine answers only then (SendMessage
 * is on disk before its answer). Every change made while one batch is being synced joins the next.
 * Recovery loads the newest complete snapshot and replays its log; a torn last line (a `kill -9`
 * in the middle of a write) was never acknowledged and is cut off. A write that fails part-way (a
 * full disk) is cut off the log before the next batch goes after it; if that fails, the store
 * refuses every later change ({@link SqsStoreBrokenError}). When the log outgrows the snapshot, the
 * state is serialised (synchronously, so it holds exactly the changes made so far), written as
 * snapshot `n+1`, and new changes go to `log-<n+1>`; the old files are then deleted.
 */
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, truncateSync, unlinkSync, writeFileSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { DataDirLock, DataDirLockedError } from "../lock.ts";

/** Where records go; the engine does not know whether it is durable. */
export interface SqsStore {
  append(record: object): void;
  /** Resolves when everything appended so far is durable. */
  durable(): Promise<void>;
  /** The key that signs receipt handles. */
  readonly secret: Buffer;
  close(): Promise<void>;
}

/** No disk: `paybus run`, tests, `dataDir: null`. */
export class MemoryStore implements SqsStore {
  readonly secret = randomBytes(32);
  append(): void {}
  durable(): Promise<void> {
    return Promise.resolve();
  }
  async close(): Promise<void> {}
}

interface Batch {
  lines: string[];
  bytes: number;
  done: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A failure is reported to whoever awaits durable(); never an unhandled rejection.
  done.catch(() => undefined);
  return { lines: [], bytes: 0, done, resolve, reject };
}

/** Another process writes to this data directory. */
export class SqsDataDirLockedError extends DataDirLockedError {
  override name = "SqsDataDirLockedError";
}

/** The log could not be repaired after a failed write: the store acknowledges nothing more. */
export class SqsStoreBrokenError extends Error {
  override name = "SqsStoreBrokenError";
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** What recovery found: the snapshot (if any) and the records to replay after it. */
export interface Recovered {
  readonly snapshot: unknown;
  readonly records: unknown[];
}

/** The append-only log with snapshots in `dir`. Open it with {@link FileStore.open}. */
export class FileStore implements SqsStore {
  private batch = newBatch();
  private flushing: Promise<void> | undefined;
  private logBytes = 0;
  private snapshotBytes = 0;
  private closed = false;
  /** Set when the log could not be cut back after a failed write: every later change fails. */
  private broken: SqsStoreBrokenError | undefined;

  private constructor(
    private readonly dir: string,
    private generation: number,
    private log: FileHandle,
    readonly secret: Buffer,
    private readonly snapshotOf: () => unknown,
    private readonly compactAfterBytes: number,
    private readonly lock: DataDirLock,
  ) {}

  /**
   * Opens (or creates) the store and returns what it holds. `snapshotOf` serialises the engine's
   * whole state; it is called when the log is compacted.
   */
  static async open(dir: string, snapshotOf: () => unknown, options: { compactAfterBytes?: number } = {}): Promise<{ store: FileStore; recovered: Recovered }> {
    mkdirSync(dir, { recursive: true });
    // One writer per directory: two runtimes appending to one log would corrupt it.
    const lock = DataDirLock.acquire(dir, { file: "lock", Locked: SqsDataDirLockedError });
    const secretFile = join(dir, "secret");
    if (!existsSync(secretFile)) {
      writeFileSync(secretFile, randomBytes(32), { mode: 0o600 });
      fsyncDir(dir);
    }
    const secret = readFileSync(secretFile);
    const files = readdirSync(dir);
    for (const file of files) if (file.endsWith(".tmp")) unlinkSync(join(dir, file));
    const generations = files.flatMap((file) => /^snapshot-(\d+)\.json$/.exec(file)?.[1] ?? []).map(Number);
    const generation = generations.length > 0 ? Math.max(...generations) : 0;
    const snapshotFile = join(dir, `snapshot-${generation}.json`);
    const snapshot = existsSync(snapshotFile) ? JSON.parse(readFileSync(snapshotFile, "utf8")) : undefined;
    const logFile = join(dir, `log-${generation}.jsonl`);
    const records: unknown[] = [];
    if (existsSync(logFile)) {
      const bytes = readFileSync(logFile);
      let end = 0;
      for (let start = 0; start < bytes.length; ) {
        const newline = bytes.indexOf(10, start);
        if (newline < 0) break; // torn last line: never acknowledged
        try {
          records.push(JSON.parse(bytes.toString("utf8", start, newline)));
        } catch {
          break; // a torn write followed by nothing valid
        }
        start = end = newline + 1;
      }
      if (end < bytes.length) truncateSync(logFile, end);
    }
    // Files of older generations are left over when a crash hit the end of a compaction.
    for (const file of files) {
      const match = /^(?:snapshot|log)-(\d+)\.jsonl?$/.exec(file);
      if (match && Number(match[1]) < generation) unlinkSync(join(dir, file));
    }
    const log = await open(logFile, "a");
    const store = new FileStore(dir, generation, log, secret, snapshotOf, options.compactAfterBytes ?? 8 * 1024 * 1024, lock);
    store.logBytes = (await log.stat()).size;
    store.snapshotBytes = existsSync(snapshotFile) ? statSync(snapshotFile).size : 0;
    return { store, recovered: { snapshot, records } };
  }

  append(record: object): void {
    if (this.closed) throw new Error("the SQS store is closed");
    const line = `${JSON.stringify(record)}\n`;
    this.batch.lines.push(line);
    this.batch.bytes += line.length;
  }

  durable(): Promise<void> {
    const waitFor = this.batch.lines.length > 0 ? this.batch.done : undefined;
    this.kick();
    return waitFor ?? this.flushing ?? Promise.resolve();
  }

  private kick(): void {
    if (this.flushing || this.batch.lines.length === 0) return;
    this.flushing = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.flushLoop())
      .finally(() => {
        this.flushing = undefined;
        if (this.batch.lines.length > 0 && !this.closed) this.kick();
      });
  }

  private async flushLoop(): Promise<void> {
    while (this.batch.lines.length > 0) {
      if (this.logBytes > Math.max(this.compactAfterBytes, 2 * this.snapshotBytes)) {
        await this.compact();
        continue;
      }
      const batch = this.batch;
      this.batch = newBatch();
      if (this.broken) {
        batch.reject(this.broken);
        continue;
      }
      const data = Buffer.from(batch.lines.join(""));
      try {
        // appendFile writes it all (one write(2) may write less, e.g. on a full disk).
        await this.log.appendFile(data);
        await this.log.datasync();
        this.logBytes += data.length;
        batch.resolve();
      } catch (error) {
        batch.reject(error as Error);
        await this.cutBack(error as Error);
      }
    }
  }

  /**
   * After a failed write, cuts the log back to its last durable batch. A partly written batch (a
   * full disk) would otherwise end in a torn line that the next batch continues, and recovery,
   * stopping at the first line it cannot parse, would drop every batch acknowledged after it. If
   * the log cannot be cut back, the store refuses every later change rather than acknowledge one
   * that recovery would not see.
   */
  private async cutBack(cause: Error): Promise<void> {
    try {
      await this.log.truncate(this.logBytes);
      await this.log.datasync();
    } catch (error) {
      this.broken = new SqsStoreBrokenError(`the SQS log ${join(this.dir, `log-${this.generation}.jsonl`)} could not be cut back after a failed write (${cause.message}): ${(error as Error).message}`);
    }
  }

  /** Writes snapshot n+1 of the state as it is now, then switches to log n+1. */
  private async compact(): Promise<void> {
    const carried = this.batch; // applied in memory, so inside the snapshot
    this.batch = newBatch();
    try {
      if (this.broken) throw this.broken;
      const text = JSON.stringify(this.snapshotOf());
      const next = this.generation + 1;
      const tmp = join(this.dir, `snapshot-${next}.json.tmp`);
      const file = await open(tmp, "w");
      try {
        // writeFile writes it all: a snapshot cut short by one write(2) would be renamed into place.
        await file.writeFile(text);
        await file.sync();
      } finally {
        await file.close();
      }
      renameSync(tmp, join(this.dir, `snapshot-${next}.json`));
      const log = await open(join(this.dir, `log-${next}.jsonl`), "a");
      fsyncDir(this.dir);
      const old = this.generation;
      await this.log.close();
      this.log = log;
      this.generation = next;
      this.logBytes = 0;
      this.snapshotBytes = Buffer.byteLength(text);
      for (const stale of [`snapshot-${old}.json`, `log-${old}.jsonl`]) if (existsSync(join(this.dir, stale))) unlinkSync(join(this.dir, stale));
      carried.resolve();
    } catch (error) {
      carried.reject(error as Error);
    }
  }

  async close(): Promise<void> {
    await this.durable();
    while (this.flushing) await this.flushing;
    this.closed = true;
    await this.log.close();
    this.lock.release();
  }
}
