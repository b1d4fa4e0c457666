/**
 * How the functions' AWS SDK clients are built: once per execution environment and only when first
 * used. Endpoints, region and credentials come from the standard environment variables
 * (`AWS_ENDPOINT_URL_<SERVICE>`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`), which is how the local runtime
 * points the very same handlers at its gateway: each function runs in an environment of its own
 * there too, so its clients never change.
 *
 * The clients themselves are in `clients/<service>.ts`, one module per service, and a function
 * imports those it uses. Not one module for all: the local runtime bundles every function in one
 * esbuild build with code splitting, which gives each function the code of every file it imports,
 * whether or not it uses what it imports (chunks are assigned by file), so a module importing all
 * six SDK clients made every function load and evaluate all six at each cold start (~100 KiB of
 * minified SDK code more per function; docs/performance.md, session 9). SST builds each function
 * on its own, where tree shaking already left the unused clients out.
 */

/** A client built on first use and kept for the life of the execution environment. */
export function once<T>(create: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= create());
}

/**
 * The SDK's `loggerMiddleware` runs on every call, whether or not the client has a logger: it passes
 * the input and the output through the operation's sensitive-data filters (a walk of both along the
 * operation's schema) and hands the copies to the client's logger, which is a `NoOpLogger` that
 * drops them unless one is configured. These clients never are (the functions log through Powertools,
 * with their own redaction), so the middleware is removed: the same requests on the wire, less CPU
 * per call (measured in `bench/functions.ts`).
 */
export function withoutSdkLogger<C extends { middlewareStack: { remove(name: string): boolean } }>(client: C): C {
  client.middlewareStack.remove("loggerMiddleware");
  return client;
}

/**
 * How every function's client is finished once built: without the SDK's logger middleware
 * ({@link withoutSdkLogger}) and with its resolved configuration in V8's fast mode
 * ({@link withFastProperties}). Both change CPU per call only: the same requests on the wire.
 */
export function prepared<C extends { middlewareStack: { remove(name: string): boolean }; config: object }>(client: C): C {
  withFastProperties(withoutSdkLogger(client).config);
  return client;
}

/**
 * Has V8 keep `object`'s properties in fast mode (a hidden class and fields) rather than as a hash
 * map, in place. A client's resolved configuration is one object that about a dozen resolvers
 * `Object.assign` their settings onto as the client is built, which leaves V8 holding its ~50
 * properties as a dictionary; the SDK's middleware copy it into a fresh object on every call
 * (`{ ...config, ...context }`: serialisation, deserialisation, endpoint, signing), and a copy of a
 * dictionary costs ~10 µs where a copy of a fast object is one copy of its fields (~1 µs): a
 * DynamoDB `UpdateItem` or SNS `Publish` costs ~40 µs less CPU per call (~145 → ~95 µs with a
 * handler that answers at once; docs/performance.md, session 10), in Lambda as much as locally. The
 * middleware hold that very object, so it cannot be replaced by a copy: V8 turns an object into a
 * fast one when it is the prototype of an object whose property loads go through it, which is what
 * this does. Only the representation changes: same object, same properties and values; where V8
 * does not do this, nothing changes at all.
 */
export function withFastProperties(object: object): void {
  const through = Object.create(object) as { constructor?: unknown };
  // V8 makes a prototype fast once a load site has seen it a few times (9 on V8 11): 32 is ample.
  for (let i = 0; i < 32; i++) void through.constructor;
}

/**
 * Options of every plain client. `cacheMiddleware: true` makes the SDK build a command class's
 * middleware chain once per client instead of on every `send` (expanding the client's and the
 * command's middleware stacks, sorting them by step and priority, composing the handlers): about a
 * third of the SDK's own CPU per call (`npx tsx bench/sdk-floor.ts`: UpdateItem 727 → 473 µs, SNS
 * Publish 517 → 404 µs with 32 in flight), in Lambda as much as locally. It is safe for these
 * clients because, as the SDK's documentation of the option requires, nothing changes a middleware
 * stack after the first call: the functions add no middleware to a command (no
 * `command.middlewareStack.add`) and never pass per-call options (which bypass the cache anyway);
 * the only client-level changes are this module's removal of the logger middleware, before any call,
 * and Powertools' user-agent middleware (idempotency, parameters), added when its persistence layer
 * or provider is constructed, before that one sends, and only once per client. The calls of one
 * command class then share one handler context; what the middleware writes there per call (the
 * resolved endpoint, the signing scope) is the same for every call of these clients, whose
 * endpoints come from the environment and whose tables are named, not addressed by ARN.
 */
export function cached(): { cacheMiddleware: true } {
  return { cacheMiddleware: true };
}
