/**
 * The bus's record of finished target deliveries, so that an event accepted by PutEvents (and
 * archived before the answer) reaches its targets even if the process dies before it was handed
 * to them: at start-up, every archived event with a matched rule that has no finished delivery is
 * delivered again. A kill between a target's acceptance and this record delivers that event twice
 * to that target: at least once, as EventBridge delivers; consumers dedupe on the Stripe event id.
 */
import { appendFileSync, existsSync } from "node:fs";
import { JsonLinesLog } from "./jsonl-log.ts";

/** One finished delivery: the target took the event (or its DLQ did). */
interface Delivered {
  readonly id: string;
  readonly rule: string;
}

export class DeliveryLog {
  private readonly log: JsonLinesLog<Delivered>;
  private readonly done = new Set<string>();
  /**
   * Whether the file did not exist yet: a data directory from before this record (its archived
   * events were delivered then) must not have its whole archive delivered again.
   */
  readonly isNew: boolean;

  /** @param file the JSON Lines file (next to the archive); without it nothing is kept. */
  constructor(file?: string) {
    this.isNew = file !== undefined && !existsSync(file);
    this.log = new JsonLinesLog(file);
    // Created now, so that a kill before the first delivery finished is not taken for an old directory.
    if (file) appendFileSync(file, "");
    for (const { id, rule } of this.log.read()) this.done.add(`${id} ${rule}`);
  }

  /** Records that `rule`'s target took event `id`. */
  finished(id: string, rule: string): void {
    const key = `${id} ${rule}`;
    if (this.done.has(key)) return;
    this.done.add(key);
    this.log.append({ id, rule });
  }

  /** Closes the file (a later record opens it again). */
  close(): void {
    this.log.close();
  }

  isFinished(id: string, rule: string): boolean {
    return this.done.has(`${id} ${rule}`);
  }
}
