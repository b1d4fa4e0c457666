/**
 * How a function's SDK calls reach the gateway without a socket. In the functions' local bundles
 * (and only there: `local/function-bundles.ts`), the SDK's `NodeHttpHandler` is the one of
 * `local/lambda-port-handler.ts`: it sends each request meant for the gateway — method, path and
 * query, headers, body, exactly as the SDK built and signed it — over a message port of the
 * execution environment to the runtime's thread, where {@link serveFunctionRequests} hands it to the
 * gateway's pipeline (`Gateway.serveDetached`: the same classification, readiness, observers, local
 * IAM, services and timeouts as a request on its port) and posts the answer back: status, headers,
 * body. The SDK's own work — serialisation, SigV4 signing, retries, deserialisation — is unchanged;
 * what is saved is node's HTTP client in the function's thread and HTTP parsing and socket writes
 * on the runtime's.
 */
import type { MessagePort } from "node:worker_threads";
import { CollectedAnswer, type AnswerSink } from "./answer-sink.ts";
import type { DetachedRequest } from "./gateway.ts";

/** The gateway's entry for requests that come without a socket, as the Lambda host uses it. */
export interface FunctionTransport {
  /** `host:port` of the gateway: requests for it travel over the port, any other over HTTP. */
  readonly authority: string;
  /** Serves one request; answers in `res` and never throws (`Gateway.serveDetached`). */
  serve(request: DetachedRequest, res: AnswerSink): Promise<void>;
}

/** What the execution environment's port-side handler is given in its `workerData.gateway`. */
export interface PortLink {
  readonly port: MessagePort;
  readonly authority: string;
}

/** One request, as the SDK's handler sends it over the port. */
export interface PortRequest {
  readonly id: number;
  readonly method: string;
  /** Path and query. */
  readonly url: string;
  /** Lower-case names. */
  readonly headers: Record<string, string>;
  readonly body?: string | Uint8Array;
}

/** The SDK gave up on a request (its abort signal, its request timeout). */
export interface PortCancel {
  readonly id: number;
  readonly cancel: true;
}

/**
 * The answer to one request: the gateway's status, headers (lower-case names) and body, or the
 * reason it was cut before it was complete (the client sees a reset connection, as over HTTP).
 */
export type PortAnswer =
  | { readonly id: number; readonly status: number; readonly headers: Record<string, string>; readonly body: string | Uint8Array }
  | { readonly id: number; readonly reset: string };

const EMPTY = Buffer.alloc(0);

function bodyOf(body: string | Uint8Array | undefined): Buffer {
  if (body === undefined) return EMPTY;
  return typeof body === "string" ? Buffer.from(body, "utf8") : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/** Serves the requests arriving on one execution environment's port; `close` when the environment ends. */
export interface FunctionRequests {
  /** Requests being served now. */
  readonly inFlight: number;
  /**
   * Stops serving: every request still in flight is cut (the services stop working for it, as for
   * an HTTP client that went away) and nothing more is posted to the port.
   */
  close(): void;
}

/**
 * Hands every request arriving on `port` to `transport` and posts each answer back. Nothing a
 * request does can throw out of here: the gateway answers its own failures (500), and an answer
 * for an environment that ended meanwhile is dropped.
 */
export function serveFunctionRequests(port: MessagePort, transport: FunctionTransport): FunctionRequests {
  const inFlight = new Map<number, CollectedAnswer>();
  let closed = false;
  port.on("message", (message: PortRequest | PortCancel) => {
    if ("cancel" in message) return void inFlight.get(message.id)?.destroy();
    const { id } = message;
    const answer = new CollectedAnswer();
    inFlight.set(id, answer);
    void answer.done.then(({ complete }) => {
      inFlight.delete(id);
      if (closed) return;
      const reply: PortAnswer = complete
        ? { id, status: answer.statusCode, headers: answer.headers, body: answer.body }
        : { id, reset: "the local gateway cut the answer short" };
      port.postMessage(reply);
    });
    void transport.serve({ method: message.method, url: message.url, headers: message.headers, body: bodyOf(message.body) }, answer);
  });
  return {
    get inFlight() {
      return inFlight.size;
    },
    close() {
      if (closed) return;
      closed = true;
      for (const answer of inFlight.values()) answer.destroy();
      inFlight.clear();
      port.close();
    },
  };
}
