/**
 * A small HTTP/1.1 server for the DynamoDB endpoint: each request is read whole (head and body)
 * from the socket and answered with one write. `node:http` cost the endpoint more CPU per request
 * than everything else it does for an `UpdateItem` (its parser callbacks, the request and response
 * streams, header validation, timers per socket); AWS's JSON protocol needs none of that: a
 * request is a `POST` with a few headers and a `Content-Length` body, the answer one JSON document.
 *
 * What it implements of HTTP/1.1 (RFC 9112): persistent connections (`Connection: close` and
 * HTTP/1.0 without `keep-alive` close after the answer), requests one at a time per connection in
 * order (a pipelined request waits for the answer before it), `Content-Length` and `chunked` bodies,
 * `Expect: 100-continue`, a 400 (and close) for a malformed request, 431 for a head over 64 KiB,
 * and a `Date` header. The `Host` check of every local listener (`loopback.ts`) runs before the
 * handler. Not implemented, as no AWS client uses them here: upgrades, trailers (read and ignored).
 */
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { foreignHostRefusal } from "../loopback.ts";

/** One request, read whole. Header names are lower case; repeated headers are joined with `, `. */
export interface HttpRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** An answer: status, headers (without `content-length`, `date` and `connection`, which the server sets) and body. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | number>>;
  readonly body: Buffer;
}

/** Answers a request; a rejection is answered 500 with its message, as plain text. */
export type HttpHandler = (request: HttpRequest) => Promise<HttpAnswer>;

/** A listening server and the connections it holds. */
export interface HttpServer {
  readonly server: Server;
  /** The URL clients use, e.g. `http://127.0.0.1:4567`. */
  readonly url: string;
  /** Stops accepting connections; resolves once the existing ones are gone. */
  close(): Promise<void>;
  /** Ends every connection now (the ones idle between requests, and any other). */
  closeAllConnections(): void;
}

/** A request head larger than this is refused (431), as `node:http` does past its 16 KiB default. */
const MAX_HEAD_BYTES = 64 * 1024;
/**
 * A connection with no traffic and no request in progress for one to two of these is closed
 * (clients reconnect; `node:http` closed idle ones after 5 s). Checked by one timer for all
 * connections: a socket timeout re-arms a timer on every read and write.
 */
const IDLE_CHECK_MS = 60_000;

/** What the idle check reads of a connection. */
interface ConnectionState {
  /** Data arrived since the last check. */
  active: boolean;
  /** A request is being answered. */
  busy: boolean;
}

const REASONS: Readonly<Record<number, string>> = {
  100: "Continue",
  200: "OK",
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  413: "Payload Too Large",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
};

/** Starts a server on `host:port` (0: any free port); resolves once it listens. */
export async function startHttpServer(
  host: string,
  port: number,
  handler: HttpHandler,
  limits: { readonly maxBodyBytes: number; readonly tooLarge: () => HttpAnswer; readonly idleCheckMs?: number },
): Promise<HttpServer> {
  const connections = new Map<Socket, ConnectionState>();
  const server = createServer((socket) => {
    const state: ConnectionState = { active: true, busy: false };
    connections.set(socket, state);
    socket.once("close", () => connections.delete(socket));
    serve(socket, state, handler, limits);
  });
  const idleCheck = setInterval(() => {
    for (const [socket, state] of connections) {
      if (!state.active && !state.busy) socket.destroy();
      state.active = false;
    }
  }, limits.idleCheckMs ?? IDLE_CHECK_MS).unref();
  server.once("close", () => clearInterval(idleCheck));
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error) => {
      clearInterval(idleCheck);
      reject(error);
    });
    server.listen(port, host, () => resolve());
  });
  const { address, port: bound } = server.address() as AddressInfo;
  return {
    server,
    url: `http://${address.includes(":") ? `[${address}]` : address}:${bound}`,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
    closeAllConnections: () => {
      for (const socket of connections.keys()) socket.destroy();
    },
  };
}

/** A request head, parsed, waiting for its body. */
interface Head {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly keepAlive: boolean;
  /** Offset of the body in the connection's buffer. */
  readonly bodyStart: number;
  /** `Content-Length`, or -1 for a chunked body. */
  readonly length: number;
  continued: boolean;
}

class BadRequest extends Error {
  constructor(readonly status = 400) {
    super("bad request");
  }
}

function serve(socket: Socket, state: ConnectionState, handler: HttpHandler, limits: { readonly maxBodyBytes: number; readonly tooLarge: () => HttpAnswer }): void {
  socket.setNoDelay(true);
  socket.on("error", () => socket.destroy());
  // What arrived and is not yet consumed, as received: joined only when a parse needs it, so a
  // large body arriving in many chunks is copied once.
  let chunks: Buffer[] = [];
  let size = 0;
  let head: Head | undefined;

  const joined = (): Buffer => {
    if (chunks.length > 1) chunks = [Buffer.concat(chunks, size)];
    return chunks[0]!;
  };
  // Set once the connection is answered for the last time: what the client still sends is dropped.
  let closing = false;
  // The last `Host` of this connection found to be a loopback name.
  let loopbackHost: string | undefined;
  const finish = (answer: HttpAnswer): void => {
    closing = true;
    write(socket, answer, false);
    socket.end();
  };
  const fail = (status: number): void => finish({ status, headers: { "content-type": "text/plain" }, body: Buffer.from(REASONS[status] ?? "Error") });

  const next = (): void => {
    while (!state.busy && !closing && size > 0 && !socket.destroyed) {
      if (head && head.length >= 0 && size < head.bodyStart + head.length) return;
      const buffer = joined();
      try {
        head ??= readHead(buffer);
      } catch (error) {
        fail(error instanceof BadRequest ? error.status : 400);
        return;
      }
      if (!head) return;
      let body: Buffer | undefined;
      let consumed = 0;
      if (head.length >= 0) {
        if (head.length > limits.maxBodyBytes) return finish(limits.tooLarge());
        if (size >= head.bodyStart + head.length) {
          body = buffer.subarray(head.bodyStart, head.bodyStart + head.length);
          consumed = head.bodyStart + head.length;
        }
      } else {
        let chunked;
        try {
          chunked = readChunked(buffer, head.bodyStart, limits.maxBodyBytes);
        } catch (error) {
          fail(error instanceof BadRequest ? error.status : 400);
          return;
        }
        if (chunked === "too large") return finish(limits.tooLarge());
        if (chunked) [body, consumed] = chunked;
      }
      if (!body) {
        if (!head.continued && head.headers.expect?.toLowerCase() === "100-continue") {
          head.continued = true;
          socket.write("HTTP/1.1 100 Continue\r\n\r\n");
        }
        return;
      }
      const request = head;
      head = undefined;
      // What follows the request is kept as its own copy: the body stays a view of the buffer.
      chunks = consumed === buffer.length ? [] : [Buffer.from(buffer.subarray(consumed))];
      size = buffer.length - consumed;
      state.busy = true;
      // A client sends the same Host on every request of a connection: judged once (the check is pure).
      const host = request.headers.host;
      const refusal = host !== undefined && host === loopbackHost ? undefined : foreignHostRefusal(host, request.headers, request.url);
      if (!refusal) loopbackHost = host;
      const keepAlive = request.keepAlive && !refusal;
      const answer = refusal
        ? Promise.resolve({ status: 403, headers: refusal.headers, body: Buffer.from(refusal.body) })
        : handler({ method: request.method, url: request.url, headers: request.headers, body }).catch(
            (error: unknown): HttpAnswer => ({ status: 500, headers: { "content-type": "text/plain" }, body: Buffer.from(error instanceof Error ? error.message : String(error)) }),
          );
      void answer.then((answered) => {
        if (socket.destroyed) return;
        write(socket, answered, keepAlive);
        if (!keepAlive) {
          // Half closed until the client closes too, or the idle check ends it.
          closing = true;
          state.busy = false;
          socket.end();
          return;
        }
        // Idle from now, not from when the request arrived.
        state.active = true;
        state.busy = false;
        next();
      });
    }
  };

  socket.on("data", (chunk: Buffer) => {
    // A client still sending to a connection being closed does not keep it open.
    if (closing) return;
    state.active = true;
    chunks.push(chunk);
    size += chunk.length;
    next();
  });
}

/** Parses the head at the start of `buffer`; `undefined` while it is incomplete. */
function readHead(buffer: Buffer): Head | undefined {
  // Empty lines before a request line are allowed (RFC 9112 §2.2).
  let start = 0;
  while (buffer[start] === 0x0d || buffer[start] === 0x0a) start++;
  const end = buffer.indexOf("\r\n\r\n", start, "latin1");
  if (end < 0) {
    if (buffer.length - start > MAX_HEAD_BYTES) throw new BadRequest(431);
    return undefined;
  }
  if (end - start > MAX_HEAD_BYTES) throw new BadRequest(431);
  const text = buffer.toString("latin1", start, end);
  const firstEnd = text.indexOf("\r\n");
  const requestLine = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) HTTP\/1\.([01])$/.exec(firstEnd < 0 ? text : text.slice(0, firstEnd));
  if (!requestLine) throw new BadRequest();
  const headers: Record<string, string> = {};
  for (let at = firstEnd < 0 ? text.length : firstEnd + 2; at < text.length; ) {
    const lineEnd = text.indexOf("\r\n", at);
    const next = lineEnd < 0 ? text.length : lineEnd;
    const colon = text.indexOf(":", at);
    // A token before the colon: no whitespace before it, no obsolete line folding (RFC 9112 §5.1, §5.2).
    if (colon <= at || colon > next || !isToken(text, at, colon)) throw new BadRequest();
    const name = text.slice(at, colon).toLowerCase();
    const value = text.slice(colon + 1, next).trim();
    at = next + 2;
    const previous = headers[name];
    headers[name] = previous === undefined ? value : name === "host" || name === "content-length" ? conflict(previous, value) : `${previous}, ${value}`;
  }
  const connection = headers.connection?.toLowerCase() ?? "";
  const keepAlive = requestLine[3] === "1" ? !/(^|,)\s*close\s*(,|$)/.test(connection) : /(^|,)\s*keep-alive\s*(,|$)/.test(connection);
  const transferEncoding = headers["transfer-encoding"];
  let length = 0;
  if (transferEncoding !== undefined) {
    // Only `chunked` as the final coding can be read; a length beside it is ignored (RFC 9112 §6.3).
    if (!/(^|,)\s*chunked\s*$/i.test(transferEncoding) || /,/.test(transferEncoding)) throw new BadRequest(transferEncoding.trim() === "" ? 400 : 501);
    length = -1;
  } else if (headers["content-length"] !== undefined) {
    if (!/^\d{1,16}$/.test(headers["content-length"])) throw new BadRequest();
    length = Number(headers["content-length"]);
  }
  return { method: requestLine[1]!, url: requestLine[2]!, headers, keepAlive, bodyStart: end + 4, length, continued: false };
}

/** `tchar` (RFC 9110 §5.6.2) by character code. */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1;

/** Whether `text[from, to)` is a token: the regular expression it replaces cost more than the rest of a header line. */
function isToken(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i);
    if (code >= 128 || TCHAR[code] === 0) return false;
  }
  return true;
}

/** Two `Host` or `Content-Length` values must agree (a request smuggling guard, RFC 9112 §6.3). */
function conflict(previous: string, value: string): string {
  if (previous !== value) throw new BadRequest();
  return value;
}

/** Decodes a chunked body from `start`: `[body, end offset]`, `undefined` while incomplete. */
function readChunked(buffer: Buffer, start: number, maxBytes: number): [Buffer, number] | "too large" | undefined {
  const parts: Buffer[] = [];
  let size = 0;
  let at = start;
  for (;;) {
    const lineEnd = buffer.indexOf("\r\n", at, "latin1");
    if (lineEnd < 0) return undefined;
    const sizeField = /^([0-9a-fA-F]{1,8})(?:[ \t]*;.*)?$/.exec(buffer.toString("latin1", at, lineEnd));
    if (!sizeField) throw new BadRequest();
    const chunkSize = parseInt(sizeField[1]!, 16);
    at = lineEnd + 2;
    if (chunkSize === 0) {
      // Trailer fields, then an empty line.
      for (;;) {
        const trailerEnd = buffer.indexOf("\r\n", at, "latin1");
        if (trailerEnd < 0) return undefined;
        const empty = trailerEnd === at;
        at = trailerEnd + 2;
        if (empty) return [parts.length === 1 ? parts[0]! : Buffer.concat(parts, size), at];
      }
    }
    size += chunkSize;
    if (size > maxBytes) return "too large";
    if (buffer.length < at + chunkSize + 2) return undefined;
    if (buffer[at + chunkSize] !== 0x0d || buffer[at + chunkSize + 1] !== 0x0a) throw new BadRequest();
    parts.push(buffer.subarray(at, at + chunkSize));
    at += chunkSize + 2;
  }
}

let dateSecond = -1;
let dateHeader = "";

/** `Date` for this second (RFC 9110 §6.6.1 asks for it; the SDK reads it to correct clock skew). */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateHeader = new Date(now).toUTCString();
  }
  return dateHeader;
}

/** Writes an answer as one buffer: status line, headers, body. */
function write(socket: Socket, answer: HttpAnswer, keepAlive: boolean): void {
  let head = `HTTP/1.1 ${answer.status} ${REASONS[answer.status] ?? "Unknown"}\r\n`;
  for (const name in answer.headers) head += `${name}: ${answer.headers[name]}\r\n`;
  head += `content-length: ${answer.body.length}\r\ndate: ${httpDate()}\r\nconnection: ${keepAlive ? "keep-alive" : "close"}\r\n\r\n`;
  const out = Buffer.allocUnsafe(head.length + answer.body.length);
  out.write(head, 0, "latin1");
  answer.body.copy(out, head.length);
  socket.write(out);
}
