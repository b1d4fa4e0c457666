/**
 * The SDK's HTTP handler inside a local execution environment: esbuild puts this module in place of
 * `@smithy/node-http-handler` in the functions' local bundles (`local/function-bundles.ts`; SST's
 * bundles for Lambda keep the real one). It is the real module with one difference: a request for
 * the local gateway travels over the message port the Lambda host gave this worker thread
 * (`workerData.gateway`, see `local/lambda-transport.ts`) instead of a loopback socket — the same
 * method, path, headers and body the SDK built and signed, the gateway's status, headers and body
 * back. Anything else (another host, a streaming body, a configured request timeout, an
 * environment started without a port) goes through node's HTTP client as before.
 */
import { workerData } from "node:worker_threads";
import { HttpResponse, buildQueryString } from "@smithy/core/protocols";
import { NodeHttpHandler as SocketHttpHandler, type NodeHttpHandlerOptions } from "@smithy/node-http-handler";
import type { PortAnswer, PortCancel, PortLink, PortRequest } from "./lambda-transport.ts";

export * from "@smithy/node-http-handler";

type HttpRequest = Parameters<SocketHttpHandler["handle"]>[0];
type HttpHandlerOptions = NonNullable<Parameters<SocketHttpHandler["handle"]>[1]>;

const link = (workerData as { gateway?: PortLink } | null | undefined)?.gateway;

/** The calls waiting for their answer, by id. */
const pending = new Map<number, (answer: PortAnswer) => void>();
let nextId = 0;

link?.port.on("message", (answer: PortAnswer) => {
  const resolve = pending.get(answer.id);
  if (!resolve) return;
  pending.delete(answer.id);
  resolve(answer);
});

/** As `buildAbortError` of `@smithy/node-http-handler` (not exported): what an aborted call rejects with. */
function abortError(signal: AbortSignal | { reason?: unknown } | undefined): Error {
  const reason = signal && "reason" in signal ? signal.reason : undefined;
  const error = new Error(reason && !(reason instanceof Error) ? String(reason) : "Request aborted");
  error.name = "AbortError";
  if (reason instanceof Error) error.cause = reason;
  return error;
}

/** True when `request` is for the gateway and can be sent whole (its body in memory). */
function carried(port: PortLink, request: HttpRequest): boolean {
  if (request.protocol !== "http:" || `${request.hostname}:${request.port ?? 80}` !== port.authority) return false;
  const body: unknown = request.body;
  return body === undefined || body === null || typeof body === "string" || body instanceof Uint8Array;
}

/** `@smithy/node-http-handler`'s handler, with the gateway's requests carried over the worker's port. */
export class NodeHttpHandler extends SocketHttpHandler {
  static override create(instanceOrOptions?: NodeHttpHandler | NodeHttpHandlerOptions | (() => Promise<NodeHttpHandlerOptions | void>)): NodeHttpHandler {
    if (typeof (instanceOrOptions as NodeHttpHandler | undefined)?.handle === "function") return instanceOrOptions as NodeHttpHandler;
    return new NodeHttpHandler(instanceOrOptions as NodeHttpHandlerOptions);
  }

  override async handle(request: HttpRequest, options: HttpHandlerOptions = {}): Promise<{ response: HttpResponse }> {
    if (!link || !carried(link, request)) return super.handle(request, options);
    // A request timeout is node's HTTP client's to enforce (a warning or an error, as configured).
    const config = await (this as unknown as { configProvider: Promise<NodeHttpHandlerOptions> }).configProvider;
    if (options.requestTimeout || config.requestTimeout) return super.handle(request, options);
    const { abortSignal } = options;
    if (abortSignal?.aborted) throw abortError(abortSignal as AbortSignal);
    const id = ++nextId;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
    headers.host ??= link.authority;
    const query = buildQueryString(request.query ?? {});
    let body = request.body as string | Uint8Array | undefined | null;
    // Cloned for the port, a view would carry its whole ArrayBuffer (node's pool is 8 KiB): copy just its bytes.
    if (body instanceof Uint8Array && body.byteLength !== body.buffer.byteLength) body = new Uint8Array(body);
    const message: PortRequest = { id, method: request.method, url: query ? `${request.path}?${query}` : request.path, headers, ...(body == null ? {} : { body }) };
    const answer = await new Promise<PortAnswer>((resolve, reject) => {
      const onAbort = () => {
        pending.delete(id);
        link.port.postMessage({ id, cancel: true } satisfies PortCancel);
        reject(abortError(abortSignal as AbortSignal));
      };
      pending.set(id, (answer) => {
        (abortSignal as AbortSignal | undefined)?.removeEventListener?.("abort", onAbort);
        resolve(answer);
      });
      (abortSignal as AbortSignal | undefined)?.addEventListener?.("abort", onAbort, { once: true });
      link.port.postMessage(message);
    });
    if ("reset" in answer) throw Object.assign(new Error(`socket hang up (${answer.reset})`), { code: "ECONNRESET" });
    const bytes = typeof answer.body === "string" ? Buffer.from(answer.body, "utf8") : answer.body;
    return { response: new HttpResponse({ statusCode: answer.status, reason: undefined, headers: answer.headers, body: bytes }) };
  }
}
