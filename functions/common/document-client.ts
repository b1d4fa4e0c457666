/**
 * A DynamoDB document client that resolves each command class's middleware chain once, as the
 * plain clients do with the SDK's `cacheMiddleware` option, without that option's hazard for
 * document commands.
 *
 * Why not the option itself: a `@aws-sdk/lib-dynamodb` command resolves to
 * `async () => handler(this.clientCommand)`, a handler bound to the command instance it was resolved
 * for, and the SDK's cache keeps the first handler of each class. With the option on, every later
 * `UpdateCommand` would send the first one's input (`functions/common/document-client.test.ts` shows
 * it). lib-dynamodb 3.1162 refuses the option when the client is built, but the config object is
 * shared with the base client, so nothing stops it being set later.
 *
 * What this does instead: for a document command sent without per-call options, the handler of its
 * inner low-level command (with lib-dynamodb's own marshalling middleware on its stack) is built
 * once per class and then called with each command's own inner command, which carries that
 * command's input. The marshalling middleware reads the input from the call's arguments, and the
 * only state it takes from the first instance is its key map (which attributes hold native values),
 * the same for every instance of a class. Anything else (a low-level command, per-call options, a
 * command with middleware of its own, a lib-dynamodb release without these parts) goes through the
 * library's own path, uncached.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, DynamoDBDocumentClientCommand, type TranslateConfig } from "@aws-sdk/lib-dynamodb";

/** A resolved middleware chain: called with a command, it runs the request. */
type ResolvedHandler = (command: object) => Promise<{ output: unknown }>;

/** The parts of a lib-dynamodb command the cache uses (protected in the library's types). */
interface DocumentCommandParts {
  /** The low-level command built from the same input (native values, marshalled by middleware). */
  readonly clientCommand: { resolveMiddleware(stack: unknown, configuration: unknown, options: undefined): ResolvedHandler };
  readonly middlewareStack: unknown;
  /** Adds the marshalling and unmarshalling middleware to `clientCommand`'s stack. */
  addMarshallingMiddleware(configuration: unknown): void;
}

function documentParts(command: unknown): DocumentCommandParts | undefined {
  if (!(command instanceof DynamoDBDocumentClientCommand)) return undefined;
  const parts = command as unknown as Partial<DocumentCommandParts>;
  if (typeof parts.addMarshallingMiddleware !== "function" || typeof parts.clientCommand?.resolveMiddleware !== "function") return undefined;
  // A command that carries middleware of its own (a fresh one carries none) needs its own chain:
  // the cached chain of its class would silently leave that middleware out.
  if (command.middlewareStack.identify().length > 0) return undefined;
  return parts as DocumentCommandParts;
}

/**
 * `DynamoDBDocumentClient` with a middleware chain built once per command class (see the module's
 * comment). The base client must not have `cacheMiddleware` set: lib-dynamodb refuses it. As with
 * the SDK's option, middleware added to the client after its first call of a class is not seen by
 * that class's later calls: set the client up before using it.
 */
export class CachedDocumentClient extends DynamoDBDocumentClient {
  readonly #handlers = new Map<unknown, ResolvedHandler>();

  /** A caching document client over `client` (which it shares its configuration and middleware stack with). */
  static over(client: DynamoDBClient, translateConfig?: TranslateConfig): CachedDocumentClient {
    return new CachedDocumentClient(client, translateConfig);
  }

  // The base class's overloads all funnel into this one implementation.
  override send(command: any, optionsOrCallback?: any, callback?: any): any {
    const parts = optionsOrCallback === undefined && callback === undefined ? documentParts(command) : undefined;
    if (parts === undefined) return super.send(command, optionsOrCallback, callback);
    let handler = this.#handlers.get(command.constructor);
    if (handler === undefined) {
      // What lib-dynamodb's resolveMiddleware does, keeping the inner handler instead of a closure over this instance.
      parts.addMarshallingMiddleware(this.config);
      const stack = this.middlewareStack.concat(parts.middlewareStack as typeof this.middlewareStack);
      handler = parts.clientCommand.resolveMiddleware(stack, this.config, undefined);
      this.#handlers.set(command.constructor, handler);
    }
    return handler(parts.clientCommand).then((result) => result.output);
  }

  override destroy(): void {
    this.#handlers.clear();
    super.destroy();
  }
}
