/**
 * Where the local SNS keeps what must survive a restart: platform applications and endpoints
 * (`registry.json`, replaced whole and atomically after each change, before the request that made
 * it is answered) and the pushes sent (`outbox.jsonl`, one line per push, appended before
 * `Publish` answers). Without a directory nothing is kept.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { JsonLinesLog } from "../jsonl-log.ts";
import type { PushRecord } from "../sns.ts";
import type { PushRegistry } from "./platform.ts";

type RegistrySnapshot = ReturnType<PushRegistry["snapshot"]>;

export class SnsState {
  private readonly outbox: JsonLinesLog<PushRecord>;
  private readonly registryFile: string | undefined;

  constructor(dir?: string) {
    if (dir) mkdirSync(dir, { recursive: true });
    this.registryFile = dir && join(dir, "registry.json");
    this.outbox = new JsonLinesLog(dir && join(dir, "outbox.jsonl"));
  }

  load(): { registry?: RegistrySnapshot; outbox: PushRecord[] } {
    const registry = this.registryFile && existsSync(this.registryFile) ? (JSON.parse(readFileSync(this.registryFile, "utf8")) as RegistrySnapshot) : undefined;
    return { ...(registry && { registry }), outbox: this.outbox.read() };
  }

  saveRegistry(registry: PushRegistry): void {
    if (!this.registryFile) return;
    // Write then rename: a kill leaves the old file or the new one, never half of one.
    const next = `${this.registryFile}.next`;
    writeFileSync(next, JSON.stringify(registry.snapshot()));
    renameSync(next, this.registryFile);
  }

  savePush(push: PushRecord): void {
    this.outbox.append(push);
  }

  /** Closes the outbox (a later push opens it again). */
  close(): void {
    this.outbox.close();
  }
}
