import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHttpServer, type HttpRequest, type HttpServer } from "./http-server.ts";

/** Sends raw bytes on one connection and collects what comes back until the server closes it or `until` holds. */
function exchange(url: string, parts: readonly (string | Buffer)[], until?: (received: string) => boolean): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = "";
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
      if (until?.(received)) {
        socket.destroy();
        resolve(received);
      }
    });
    socket.on("end", () => resolve(received));
    socket.on("error", reject);
    socket.on("connect", async () => {
      for (const part of parts) {
        socket.write(part);
        // Each part in its own segment, to exercise reassembly.
        await new Promise((r) => setTimeout(r, 5));
      }
    });
  });
}

const responses = (text: string) => text.split(/(?=HTTP\/1\.1 \d{3})/).filter(Boolean);
const statusOf = (response: string) => Number(response.slice(9, 12));
const bodyOf = (response: string) => response.slice(response.indexOf("\r\n\r\n") + 4);

describe("the endpoint's HTTP/1.1 server", () => {
  let server: HttpServer;
  const seen: HttpRequest[] = [];

  beforeAll(async () => {
    server = await startHttpServer(
      "127.0.0.1",
      0,
      async (request) => {
        seen.push(request);
        // The later request answers first when it can: answers must still come in request order.
        if (request.url === "/slow") await new Promise((r) => setTimeout(r, 50));
        // Longer than two idle checks: a connection waiting for its answer is not idle.
        if (request.url === "/slower") await new Promise((r) => setTimeout(r, 400));
        if (request.url === "/fail") throw new Error("handler broke");
        return { status: 200, headers: { "content-type": "text/plain" }, body: Buffer.from(`${request.method} ${request.url} ${request.body.toString()}`) };
      },
      { maxBodyBytes: 1000, tooLarge: () => ({ status: 413, headers: {}, body: Buffer.from("too large") }), idleCheckMs: 100 },
    );
  });

  afterAll(async () => {
    server.closeAllConnections();
    await server.close();
  });

  it("answers several requests on one connection, in order, with their lengths, Date and keep-alive", async () => {
    const request = (url: string, body: string) => `POST ${url} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    // The second request is split across segments, the third pipelined behind the slow first.
    const text = await exchange(server.url, [request("/slow", "a") + request("/b", "héllo").slice(0, 20), request("/b", "héllo").slice(20) + request("/c", "")], (r) => responses(r).length === 3 && r.endsWith("/c "));
    const answers = responses(text);
    expect(answers.map(bodyOf)).toEqual(["POST /slow a", "POST /b héllo".replace("é", "\u00c3\u00a9"), "POST /c "]);
    expect(answers[1]).toMatch(/\r\ncontent-length: 14\r\n/);
    expect(answers[0]).toMatch(/\r\nconnection: keep-alive\r\n/);
    expect(answers[0]).toMatch(/\r\ndate: \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT\r\n/);
  });

  it("reads chunked bodies, answers Expect: 100-continue, and closes after Connection: close", async () => {
    const text = await exchange(server.url, [
      "POST /chunked HTTP/1.1\r\nHost: localhost:1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
      "4\r\nWiki\r\n",
      "6;ext=1\r\npedia \r\n0\r\nTrailer: x\r\n\r\n",
    ]);
    const answers = responses(text);
    expect(answers.map(statusOf)).toEqual([100, 200]);
    expect(bodyOf(answers[1]!)).toBe("POST /chunked Wikipedia ");
    expect(answers[1]).toMatch(/\r\nconnection: close\r\n/);
  });

  it("joins repeated headers and lowercases names; an HTTP/1.0 request is closed after its answer", async () => {
    const before = seen.length;
    const text = await exchange(server.url, ["GET /h HTTP/1.0\r\nHost: 127.0.0.1\r\nX-Amz-Thing: a\r\nx-amz-thing: b\r\n\r\n"]);
    expect(statusOf(text)).toBe(200);
    expect(text).toMatch(/\r\nconnection: close\r\n/);
    expect(seen[before]!.headers["x-amz-thing"]).toBe("a, b");
  });

  it("refuses a foreign Host with 403 in the AWS JSON shape, before the handler runs", async () => {
    const before = seen.length;
    const text = await exchange(server.url, ['POST / HTTP/1.1\r\nHost: rebind.attacker.example\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\nContent-Length: 2\r\n\r\n{}']);
    expect(statusOf(text)).toBe(403);
    expect(JSON.parse(bodyOf(text))).toMatchObject({ __type: "AccessDeniedException" });
    expect(seen.length).toBe(before);
  });

  it("answers 400 to malformed requests, 431 to huge heads, 413 past the body limit, 500 when the handler fails", async () => {
    const bad = [
      "NOT A REQUEST\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
      "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header: x\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ];
    for (const request of bad) expect(statusOf(await exchange(server.url, [request]))).toBe(400);
    expect(statusOf(await exchange(server.url, [`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX: ${"a".repeat(70_000)}\r\n\r\n`]))).toBe(431);
    expect(statusOf(await exchange(server.url, ["POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1001\r\n\r\n"]))).toBe(413);
    expect(statusOf(await exchange(server.url, ["POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n3e9\r\n"]))).toBe(413);
    const failed = await exchange(server.url, ["GET /fail HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"], (r) => r.endsWith("broke"));
    expect([statusOf(failed), bodyOf(failed)]).toEqual([500, "handler broke"]);
  });

  it("closes a connection idle for two checks, never one waiting for its answer", async () => {
    const { port } = new URL(server.url);
    const socket = connect(Number(port), "127.0.0.1");
    const closed = new Promise<string>((resolve) => {
      let received = "";
      socket.on("data", (chunk) => (received += chunk.toString("latin1")));
      socket.on("close", () => resolve(received));
    });
    socket.write("GET /slower HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");

    // The server ends it on its own, after it answered.
    const received = await closed;

    expect(statusOf(received)).toBe(200);
    expect(bodyOf(received)).toBe("GET /slower ");
  });
});
