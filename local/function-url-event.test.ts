/**
 * Reading a request as a function URL does (issue 13, point 2): a body over Lambda's 6 MB payload
 * quota is refused with 413 without buffering it, as AWS answers before the function runs.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FUNCTION_URL_MAX_BODY_BYTES, PAYLOAD_TOO_LARGE, WEBHOOK_PATH, readFunctionUrlRequest } from "./function-url-event.ts";

describe("readFunctionUrlRequest", () => {
  let server: Server;
  let url: string;
  const seen: { size: number | "too-large"; base64: boolean | undefined }[] = [];

  beforeAll(async () => {
    server = createServer(async (req, res) => {
      const event = await readFunctionUrlRequest(req);
      if (event === "too-large") {
        seen.push({ size: "too-large", base64: undefined });
        // Answer at once and close: the rest of the upload is not read.
        res.writeHead(PAYLOAD_TOO_LARGE.status, { "content-type": "application/json", connection: "close" }).end(PAYLOAD_TOO_LARGE.body);
        return;
      }
      seen.push({ size: Buffer.from(event.body ?? "", "base64").length, base64: event.isBase64Encoded });
      res.writeHead(200).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${WEBHOOK_PATH}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("answers 413 to a 17 MiB body", async () => {
    const answer = await fetch(url, { method: "POST", body: Buffer.alloc(17 * 1024 * 1024, 0x61) }).catch((error: Error) => error);

    // The server may close before the whole upload is sent; when the answer arrives, it is 413.
    if (!(answer instanceof Error)) {
      expect(answer.status).toBe(413);
      expect(await answer.json()).toEqual({ message: "Request Entity Too Large" });
    }
    expect(seen.at(-1)).toEqual({ size: "too-large", base64: undefined });
  });

  it("refuses a body one byte over the limit and passes one exactly at it, base64-encoded", async () => {
    const atLimit = await fetch(url, { method: "POST", body: Buffer.alloc(FUNCTION_URL_MAX_BODY_BYTES, 0x62) });
    expect(atLimit.status).toBe(200);
    expect(seen.at(-1)).toEqual({ size: FUNCTION_URL_MAX_BODY_BYTES, base64: true });

    const over = await fetch(url, { method: "POST", body: Buffer.alloc(FUNCTION_URL_MAX_BODY_BYTES + 1, 0x62) }).catch((error: Error) => error);
    if (!(over instanceof Error)) expect(over.status).toBe(413);
    expect(seen.at(-1)).toEqual({ size: "too-large", base64: undefined });
  });
});
