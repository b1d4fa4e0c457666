/**
 * One runtime per data directory: a lock file (`runtime.lock`, holding the owner's pid and port)
 * taken before any engine opens its files, so a second `npm start` says who holds the directory
 * instead of failing deep inside the DynamoDB engine ("Database is closed").
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export class DataDirLockedError extends Error {
  override name = "DataDirLockedError";
  constructor(
    readonly dataDir: string,
    readonly pid: number,
    readonly port: number | undefined,
  ) {
    super(
      `another paybus runtime (pid ${pid}${port ? `, http://127.0.0.1:${port}` : ""}) is using the data directory ${dataDir}: ` +
        "stop it first, or pass --data-dir <another dir>",
    );
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The lock held on a data directory; `release()` removes it (only if still ours). */
export class DataDirLock {
  private constructor(
    readonly file: string,
    private readonly token: string,
  ) {}

  /**
   * Takes the lock, replacing a stale one (its process is gone); throws {@link DataDirLockedError}
   * (or the engine's own subclass, `Locked`). `file` names the lock file inside `dataDir`.
   */
  static acquire(
    dataDir: string,
    options: { port?: number; file?: string; Locked?: new (dataDir: string, pid: number, port: number | undefined) => DataDirLockedError } = {},
  ): DataDirLock {
    const { port, Locked = DataDirLockedError } = options;
    mkdirSync(dataDir, { recursive: true });
    const file = join(dataDir, options.file ?? "runtime.lock");
    const token = JSON.stringify({ pid: process.pid, port, at: new Date().toISOString(), nonce: Math.random().toString(36).slice(2) });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(file, token, { flag: "wx" });
        return new DataDirLock(file, token);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      let holder: { pid?: unknown; port?: unknown } = {};
      try {
        const parsed = JSON.parse(readFileSync(file, "utf8")) as unknown;
        // A bare pid is what older lock files held.
        holder = typeof parsed === "number" ? { pid: parsed } : ((parsed ?? {}) as typeof holder);
      } catch {
        // Unreadable or half-written: treated as stale below only if its pid cannot be read.
      }
      const pid = typeof holder.pid === "number" ? holder.pid : undefined;
      if (pid !== undefined && alive(pid)) throw new Locked(dataDir, pid, typeof holder.port === "number" ? holder.port : undefined);
      // The previous owner died without releasing it (kill -9): the lock is stale.
      rmSync(file, { force: true });
    }
    throw new Error(`could not lock the data directory ${dataDir}`);
  }

  release(): void {
    try {
      if (readFileSync(this.file, "utf8") === this.token) rmSync(this.file, { force: true });
    } catch {
      // Already gone.
    }
  }
}
