/**
 * Where the gateway and the services it hands requests to write an answer. On the gateway's port
 * that is node's `ServerResponse`; for a request a function's worker thread sent over a message
 * port (`local/lambda-transport.ts`) it is a {@link CollectedAnswer}, which keeps the status,
 * headers and body to send back as one message instead of writing HTTP to a socket. Both are
 * writable streams with `writeHead`, so every writer (AWS errors, the JSON services, IAM refusals,
 * relayed and forwarded answers) serves both without knowing which it has.
 */
import type { OutgoingHttpHeaders } from "node:http";
import { Writable } from "node:stream";

/** The part of `ServerResponse` the gateway's writers use. */
export interface AnswerSink extends Writable {
  statusCode: number;
  readonly headersSent: boolean;
  writeHead(statusCode: number, headers?: OutgoingHttpHeaders): unknown;
}

/** A header value as node's HTTP client gives it to the SDK (lists joined, as on the wire). */
function headerText(value: number | string | readonly string[]): string {
  return Array.isArray(value) ? value.join(", ") : String(value);
}

/**
 * An answer kept in memory: what `writeHead` and the writes gave it. `done` resolves once it ended
 * (`complete`) or was destroyed before that (`complete` false: the client must see a dropped
 * connection, as after a destroyed `ServerResponse`).
 */
export class CollectedAnswer extends Writable implements AnswerSink {
  statusCode = 200;
  headersSent = false;
  /** Lower-case names, one string each. */
  readonly headers: Record<string, string> = {};
  /** Strings as written (they cross to another thread cheaper than a Buffer: see {@link body}). */
  private readonly chunks: Array<string | Buffer> = [];
  readonly done: Promise<{ readonly complete: boolean }>;

  constructor() {
    super({ decodeStrings: false });
    this.done = new Promise((resolve) => {
      this.once("finish", () => resolve({ complete: true }));
      this.once("close", () => resolve({ complete: this.writableFinished }));
    });
  }

  writeHead(statusCode: number, headers?: OutgoingHttpHeaders): this {
    if (this.headersSent) throw Object.assign(new Error("Cannot write headers after they are sent to the client"), { code: "ERR_HTTP_HEADERS_SENT" });
    this.statusCode = statusCode;
    for (const [name, value] of Object.entries(headers ?? {})) if (value !== undefined) this.headers[name.toLowerCase()] = headerText(value);
    this.headersSent = true;
    return this;
  }

  override _write(chunk: string | Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    // As with a ServerResponse, a write before writeHead sends the headers set so far.
    this.headersSent = true;
    this.chunks.push(chunk);
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.headersSent = true;
    callback();
  }

  /**
   * The body written so far: the text when only text was written (every service's answer is JSON or
   * XML), else the bytes in a Uint8Array of their own. Either is what a message port clones cheaply:
   * a Buffer is a view that may share node's 8 KiB pool, and structured cloning copies all of it.
   */
  get body(): string | Uint8Array {
    if (this.chunks.every((chunk) => typeof chunk === "string")) return this.chunks.join("");
    const bytes = Buffer.concat(this.chunks.map((chunk) => (typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk)));
    return new Uint8Array(bytes);
  }
}
