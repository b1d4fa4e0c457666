/**
 * Until the function host gives each function its own SDK clients and credentials, the handlers
 * share the clients of `functions/common/clients.ts`, which sign with the administrator key and talk
 * to the engines directly. This SDK middleware makes each call what it will be: sent to the gateway
 * and signed with the access key of the function whose code made it (`functionCredentials`), so
 * the gateway's IAM judges every call of the whole pipeline. A test helper, not a test.
 */
import { functionCredentials } from "../../local/function-credentials.ts";
import { callingFunction } from "./audit.ts";

/** An SDK v3 client (its `middlewareStack.add` is overloaded per step, hence the loose type). */
interface MiddlewareClient {
  readonly middlewareStack: { readonly add: (...args: any[]) => void };
}
type Middleware = (next: (args: any) => Promise<any>, context: Record<string, any>) => (args: any) => Promise<any>;

/** Routes every call `clients` make from a function's code through `gatewayUrl`, signed as that function. */
export function signAsCallingFunction(clients: readonly MiddlewareClient[], gatewayUrl: string, functions: Iterable<{ name: string; handler: string }>): { unattributed: string[] } {
  const gateway = new URL(gatewayUrl);
  const byFolder = new Map([...functions].map((fn) => [fn.handler.split("/")[1]!, fn.name]));
  const unattributed: string[] = [];
  const limit = Error.stackTraceLimit;
  for (const client of clients) {
    // The caller is on the stack only while `send` runs synchronously: note it first…
    const noteCaller: Middleware = (next, context) => (args) => {
      Error.stackTraceLimit = 200;
      const stack = new Error().stack ?? "";
      Error.stackTraceLimit = limit;
      const folder = callingFunction(stack);
      const name = folder === undefined ? undefined : byFolder.get(folder);
      if (name === undefined) unattributed.push(`${context.clientName}.${context.commandName}`);
      context.paybusFunction = name;
      return next(args);
    };
    client.middlewareStack.add(noteCaller, { step: "initialize", name: "paybusNoteCaller" });
    // …then, once signed, send it to the gateway under that function's key.
    const signAsFunction: Middleware = (next, context) => (args) => {
      const name = context.paybusFunction as string | undefined;
      if (name !== undefined && args.request?.headers) {
        args.request.hostname = gateway.hostname;
        args.request.port = Number(gateway.port);
        args.request.protocol = gateway.protocol;
        const key = functionCredentials(name).accessKeyId;
        for (const header of Object.keys(args.request.headers)) {
          if (header.toLowerCase() === "authorization") args.request.headers[header] = String(args.request.headers[header]).replace(/Credential=[^/]+\//, `Credential=${key}/`);
        }
      }
      return next(args);
    };
    client.middlewareStack.add(signAsFunction, { step: "deserialize", name: "paybusSignAsFunction" });
  }
  return { unattributed };
}
