/**
 * The dashboard's live streams (Server-Sent Events): at most `maxStreams` at once, each dropped
 * when its reader stops keeping up, so that messages never pile up in memory. Knows nothing of
 * what the messages say.
 */
import type { ServerResponse } from "node:http";
import type { StreamMessages } from "./protocol.ts";

export interface StreamHubOptions {
  /** Live streams served at once; more are refused with 503 (a tab per stream). */
  readonly maxStreams: number;
  /** Bytes a stream may have waiting in its socket buffer before it is dropped. */
  readonly maxBufferedBytes: number;
  /** How long a stream may stay backed up (its buffer never drains) before it is dropped. */
  readonly slowReaderMs: number;
  /** Called when the first stream opens (start producing) and when the last one closes (stop). */
  readonly onFirst: () => void;
  readonly onEmpty: () => void;
}

/** Why a stream was not opened, for a 503. */
export class StreamRefusedError extends Error {
  override name = "StreamRefusedError";
}

const HEARTBEAT_MS = 15_000;

export class StreamHub {
  private readonly clients = new Set<ServerResponse>();
  /** When each backed-up stream last had its buffer full (absent: it is keeping up). */
  private readonly backedUpSince = new Map<ServerResponse, number>();
  private heartbeatAt = Date.now();

  constructor(private readonly options: StreamHubOptions) {}

  /** How many streams are open now. */
  get size(): number {
    return this.clients.size;
  }

  /**
   * Opens a stream on `res` and sends it `first` (the `init` message).
   * @throws StreamRefusedError when `maxStreams` are open already.
   */
  open(res: ServerResponse, first: { event: keyof StreamMessages; data: unknown }): void {
    if (this.clients.size >= this.options.maxStreams) {
      throw new StreamRefusedError(`too many live dashboard streams (${this.options.maxStreams}): close other dashboard tabs`);
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive", "x-accel-buffering": "no" });
    this.clients.add(res);
    this.write(res, `retry: 2000\n\n`);
    this.write(res, `event: ${first.event}\ndata: ${JSON.stringify(first.data)}\n\n`);
    res.on("error", () => this.clients.delete(res));
    if (this.clients.size === 1) this.options.onFirst();
    res.on("close", () => {
      this.clients.delete(res);
      this.backedUpSince.delete(res);
      if (this.clients.size === 0) this.options.onEmpty();
    });
  }

  /** Sends one message to every stream. */
  broadcast<K extends keyof StreamMessages>(event: K, data: StreamMessages[K]): void {
    if (this.clients.size === 0) return;
    const text = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const client of this.clients) this.write(client, text);
  }

  /** Keeps idle streams open through proxies, and drops those that stayed backed up too long. */
  sweep(): void {
    if (Date.now() - this.heartbeatAt >= HEARTBEAT_MS) {
      this.heartbeatAt = Date.now();
      for (const client of this.clients) this.write(client, ": keep-alive\n\n");
    }
    for (const [client, since] of this.backedUpSince) if (Date.now() - since >= this.options.slowReaderMs) this.drop(client);
  }

  /** Ends every stream. */
  close(): void {
    for (const client of this.clients) client.end();
    this.clients.clear();
    this.backedUpSince.clear();
  }

  /** Ends a stream whose reader does not keep up: its messages would pile up in memory (the page reconnects). */
  private drop(client: ServerResponse): void {
    this.clients.delete(client);
    this.backedUpSince.delete(client);
    client.destroy();
  }

  /** Writes to one stream; a stream whose buffer stays full (a reader that stopped reading) is dropped. */
  private write(client: ServerResponse, text: string): void {
    if (client.destroyed) return;
    // What is still waiting from earlier messages: one large message alone is no sign of a slow reader.
    if (client.writableLength > this.options.maxBufferedBytes) return this.drop(client);
    const accepted = client.write(text);
    if (accepted) this.backedUpSince.delete(client);
    else if (!this.backedUpSince.has(client)) {
      this.backedUpSince.set(client, Date.now());
      client.once("drain", () => this.backedUpSince.delete(client));
    }
  }
}
