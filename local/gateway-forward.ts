/**
 * The gateway's forwarding to an engine on its own loopback port (SQS today): the request sent on
 * unchanged (its `Host` included, so URLs the engine builds point back at the gateway), the answer
 * streamed back, and an engine that fails or does not answer within the timeout turned into an
 * AWS-shaped error for the client, never a hang.
 */
import { request as httpRequest, type Agent } from "node:http";
import type { AnswerSink } from "./answer-sink.ts";
import { sendAwsError } from "./gateway-answers.ts";
import type { Protocol, RequestHead, ServiceName } from "./gateway-routing.ts";

/** Headers that describe one hop, not the request (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer", "content-length"]);

/** What {@link forward} needs: the request (head and body read), where its answer goes, the engine and the limits. */
export interface Forwarding {
  readonly req: RequestHead;
  readonly res: AnswerSink;
  /** The engine's loopback endpoint. */
  readonly upstream: string;
  readonly body: Buffer;
  readonly protocol: Protocol;
  readonly service: ServiceName;
  readonly agent: Agent;
  readonly timeoutMs: number;
}

/** Sends the request to the engine unchanged and streams its answer back, within the timeout. */
export function forward({ req, res, upstream, body, protocol, service, agent, timeoutMs }: Forwarding): Promise<void> {
  const target = new URL(upstream);
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
  headers["content-length"] = String(body.length);
  return new Promise<void>((resolve) => {
    let settled = false;
    const fail = (status: number, code: string, message: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outgoing.destroy();
      sendAwsError(res, protocol, status, code, message);
      resolve();
    };
    const outgoing = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent },
      (answer) => {
        if (settled) return answer.resume();
        clearTimeout(timer);
        const out: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
        if (answer.headers["content-length"] !== undefined) out["content-length"] = answer.headers["content-length"];
        res.writeHead(answer.statusCode ?? 502, out);
        answer.pipe(res);
        answer.on("error", () => res.destroy());
        answer.on("end", () => {
          settled = true;
          resolve();
        });
      },
    );
    const timer = setTimeout(
      () => fail(504, "RequestTimeout", `the local ${service} did not answer within ${Math.round(timeoutMs / 1000)} s (an operation it does not implement?)`),
      timeoutMs,
    );
    outgoing.on("error", (error) => fail(502, "ServiceUnavailable", `the local ${service} could not be reached: ${error.message}`));
    // The client gave up (or the answer is complete): stop waiting for the engine on its behalf.
    res.on("close", () => {
      clearTimeout(timer);
      if (!res.writableFinished) outgoing.destroy();
      settled = true;
      resolve();
    });
    outgoing.end(body);
  });
}
