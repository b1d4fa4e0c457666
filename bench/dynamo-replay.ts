/**
 * A load generator for `bench/dynamo.ts` that costs the endpoint's callers almost nothing, so that
 * the rate it measures is the endpoint's own: the real SDK's `UpdateItem` requests (one per
 * balance, `add` of `dynamo-elsewhere.ts`, sent by a {@link throughputClient}), captured once byte
 * for byte — head, SigV4 signature and body — and sent again over {@link CONCURRENCY} keep-alive
 * connections, one request in flight on each, as the SDK's agent does. The endpoint does not verify
 * signatures (nor would DynamoDB refuse a request signed minutes ago), so each copy is a request
 * the SDK could have sent; every one is an `ADD` of 1, so the balances must afterwards hold one
 * point per request answered (the bench checks). The SDK itself costs 400–800 µs of CPU per call,
 * several times the endpoint's: with SDK clients on the same two cores the rate is the clients'.
 *
 * Also per-thread CPU time from `/proc` (nanoseconds of `schedstat`), to tell the endpoint's thread
 * from its callers' in one process.
 */
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { connect, createServer, type AddressInfo, type Socket } from "node:net";
import { add, CONCURRENCY, KEYS, throughputClient } from "./dynamo-elsewhere.ts";

/** One captured request, split where the target's address goes. */
interface Captured {
  /** The head before and after the `Host` value, and the body. */
  readonly before: string;
  readonly after: string;
  readonly body: Buffer;
}

/**
 * The requests a {@link throughputClient} sends for `add(table, 0 … KEYS-1)`, as it wrote them on
 * the wire (a loopback server reads them and answers `{}`).
 */
export async function captureUpdates(table: string): Promise<readonly Captured[]> {
  const captured: Captured[] = [];
  let host = "";
  const server = createServer((socket) => {
    let buffer = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const end = buffer.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = buffer.toString("latin1", 0, end + 4);
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buffer.length < end + 4 + length) return;
        const at = head.indexOf(`\r\nhost: ${host}\r\n`);
        if (at < 0) throw new Error("bench: the SDK's request has no Host header");
        const valueAt = at + "\r\nhost: ".length;
        captured.push({ before: head.slice(0, valueAt), after: head.slice(valueAt + host.length), body: Buffer.from(buffer.subarray(end + 4, end + 4 + length)) });
        buffer = buffer.subarray(end + 4 + length);
        socket.write("HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: 2\r\n\r\n{}");
      }
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = throughputClient(`http://${host}`);
  try {
    for (let i = 0; i < KEYS; i++) await client.send(add(table, i));
  } finally {
    client.destroy();
    server.close();
  }
  return captured;
}

/** The captured requests, addressed to `endpoint` (its `Host`), ready to write. */
export function addressed(requests: readonly Captured[], endpoint: string): Buffer[] {
  const { host } = new URL(endpoint);
  return requests.map(({ before, after, body }) => Buffer.concat([Buffer.from(`${before}${host}${after}`, "latin1"), body]));
}

/**
 * Sends `count` of `requests` (request `i` is `requests[i % length]`) to `endpoint` over
 * {@link CONCURRENCY} keep-alive connections, one in flight on each; resolves once every answer is
 * read, rejecting on any answer but 200. Connections are opened before the first request and
 * closed at the end.
 */
export async function replay(endpoint: string, requests: readonly Buffer[], count: number): Promise<void> {
  const { hostname, port } = new URL(endpoint);
  const sockets = await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      const socket = connect(Number(port), hostname);
      socket.setNoDelay(true);
      await once(socket, "connect");
      return socket;
    }),
  );
  let sent = 0;
  let answered = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const send = (socket: Socket) => {
        if (sent < count) socket.write(requests[sent++ % requests.length]!);
      };
      for (const socket of sockets) {
        let pending: Buffer | undefined;
        socket.on("error", reject);
        socket.on("close", () => answered < count && reject(new Error("bench: the endpoint closed a connection")));
        socket.on("data", (chunk: Buffer) => {
          let buffer = pending ? Buffer.concat([pending, chunk]) : chunk;
          for (;;) {
            const end = buffer.indexOf("\r\n\r\n");
            if (end < 0) break;
            const head = buffer.toString("latin1", 0, end);
            const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
            if (buffer.length < end + 4 + length) break;
            if (!head.startsWith("HTTP/1.1 200 ")) return reject(new Error(`bench: the endpoint answered ${head.split("\r\n")[0]}: ${buffer.toString("utf8", end + 4, end + 4 + length)}`));
            buffer = buffer.subarray(end + 4 + length);
            if (++answered === count) return resolve();
            send(socket);
          }
          pending = buffer.length > 0 ? buffer : undefined;
        });
        send(socket);
      }
    });
  } finally {
    for (const socket of sockets) socket.destroy();
  }
}

/**
 * CPU time (µs) a thread of this process has used: `tid` (`/proc/self/task/<tid>`), or the calling
 * thread without one; nanoseconds from `schedstat` where the kernel keeps them, else the 10 ms
 * ticks of `stat`. Undefined where there is no /proc.
 */
export function threadCpuMicros(tid?: number): number | undefined {
  const dir = tid === undefined ? "/proc/thread-self" : `/proc/self/task/${tid}`;
  try {
    return Number(readFileSync(`${dir}/schedstat`, "utf8").split(" ")[0]) / 1000;
  } catch {
    try {
      const stat = readFileSync(`${dir}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return (Number(fields[11]) + Number(fields[12])) * 10_000;
    } catch {
      return undefined;
    }
  }
}
