/**
 * Keeps a write transaction all-or-nothing when the process is killed halfway through applying
 * it: dynalite applies the items one by one, so without this a hard kill could persist a
 * transaction's first write and lose its second (a purchase credited without its balance).
 *
 * Before the first write, the images of every item the transaction changes are written to one
 * file in the data directory; once every write is applied, the file is removed. A file found on
 * start means the process died mid-transaction: restoring its images undoes the writes that made
 * it, so the transaction never happened, as its client (which got no answer) must then assume.
 * Write transactions run one at a time (the front server's exclusive lock), so one file is enough.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Engine } from "./engine.ts";
import type { WireItem } from "./schemas.ts";

/** One item a transaction is about to change, as it is before the change (absent: no item). */
export interface UndoImage {
  readonly TableName: string;
  readonly key: WireItem;
  readonly image: WireItem | undefined;
}

export class UndoLog {
  /** @param file where the images wait while a transaction is applied; no log (in-memory tables) when undefined. */
  constructor(private readonly file: string | undefined) {}

  /** Records the images before a transaction writes (the file survives a kill of the process). */
  begin(images: readonly UndoImage[]): void {
    if (this.file) writeFileSync(this.file, JSON.stringify(images));
  }

  /** The transaction is applied (or rolled back): nothing to undo any more. */
  end(): void {
    if (this.file) rmSync(this.file, { force: true });
  }

  /** Undoes a transaction interrupted by a kill; resolves with the number of items restored. */
  async recover(engine: Pick<Engine, "call">): Promise<number> {
    if (!this.file || !existsSync(this.file)) return 0;
    let images: UndoImage[];
    try {
      images = JSON.parse(readFileSync(this.file, "utf8")) as UndoImage[];
    } catch {
      // Torn while being written: the kill came before the first write, so there is nothing to undo.
      this.end();
      return 0;
    }
    for (const { TableName, key, image } of images) {
      await (image ? engine.call("PutItem", { TableName, Item: image }) : engine.call("DeleteItem", { TableName, Key: key }));
    }
    this.end();
    return images.length;
  }
}
