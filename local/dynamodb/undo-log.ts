/**
 * Keeps a write transaction all-or-nothing when the process is killed halfway through applying
 * it: the engine applies the items one by one, so without this a hard kill could persist a
 * transaction's first write and lose its second (a purchase credited without its balance).
 *
 * Before the first write, the images of every item the transaction changes are written to one
 * file in the data directory; once every write is applied, the file is removed. A file found on
 * start means the process died mid-transaction: restoring its images undoes the writes that made
 * it, so the transaction never happened, as its client (which got no answer) must then assume.
 *
 * Transactions on different items apply concurrently (each holds the locks of its own items), so
 * each one in flight has its own record: `transaction-undo.json`, then `transaction-undo.1.json`,
 * `transaction-undo.2.json`... for the ones running alongside. Their items are disjoint, so the
 * records found on start can be undone in any order.
 */
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { Engine } from "./engine.ts";
import type { WireItem } from "./schemas.ts";

/** One item a transaction is about to change, as it is before the change (absent: no item). */
export interface UndoImage {
  readonly TableName: string;
  readonly key: WireItem;
  readonly image: WireItem | undefined;
}

/** A record in flight: pass it back to {@link UndoLog.end}. */
export type UndoRecord = number;

export class UndoLog {
  readonly #free: number[] = [];
  #next = 0;

  /** @param file where the images wait while a transaction is applied; no log (in-memory tables) when undefined. */
  constructor(private readonly file: string | undefined) {}

  /** Records the images before a transaction writes (the file survives a kill of the process). */
  begin(images: readonly UndoImage[]): UndoRecord {
    const slot = this.#free.pop() ?? this.#next++;
    if (this.file) writeFileSync(this.#path(slot), JSON.stringify(images));
    return slot;
  }

  /** The transaction is applied (or rolled back): nothing to undo any more. */
  end(record: UndoRecord = 0): void {
    if (this.file) rmSync(this.#path(record), { force: true });
    this.#free.push(record);
  }

  /** Undoes the transactions interrupted by a kill; resolves with the number of items restored. */
  async recover(engine: Pick<Engine, "call">): Promise<number> {
    if (!this.file) return 0;
    let restored = 0;
    for (const path of this.#leftOver()) {
      let images: UndoImage[];
      try {
        images = JSON.parse(readFileSync(path, "utf8")) as UndoImage[];
      } catch {
        // Torn while being written: the kill came before the first write, so there is nothing to undo.
        rmSync(path, { force: true });
        continue;
      }
      for (const { TableName, key, image } of images) {
        await (image ? engine.call("PutItem", { TableName, Item: image }) : engine.call("DeleteItem", { TableName, Key: key }));
      }
      rmSync(path, { force: true });
      restored += images.length;
    }
    return restored;
  }

  #path(slot: number): string {
    const file = this.file!;
    return slot === 0 ? file : file.replace(/(\.json)?$/, `.${slot}$1`);
  }

  /** Records a previous process left: the base file and its numbered siblings. */
  #leftOver(): string[] {
    const file = this.file!;
    const directory = dirname(file);
    if (!existsSync(directory)) return [];
    const stem = basename(file).replace(/\.json$/, "");
    const sibling = new RegExp(`^${stem.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.\\d+\\.json$`);
    const siblings = readdirSync(directory).filter((name) => sibling.test(name)).map((name) => join(directory, name));
    return [...(existsSync(file) ? [file] : []), ...siblings];
  }
}
