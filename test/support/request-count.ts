/**
 * Test support: the AWS requests real SDK clients send, in order, as `<Client>.<Operation>` (e.g.
 * `DynamoDB.TransactWriteItems`), recorded by a middleware on each client's stack, so that a test
 * can pin down how many calls a consumer makes per record. A Document client shares its base
 * client's stack: give either, not both.
 */

/** What this needs of an SDK client's middleware stack (every client's, whatever its operations). */
interface AnyStack {
  add(middleware: never, options: never): void;
  remove(name: string): boolean;
}
type Middleware = (next: (args: unknown) => Promise<unknown>, context: { clientName?: string; commandName?: string }) => (args: unknown) => Promise<unknown>;

const NAME = "paybusRequestCount";

export interface RequestLog {
  /** Every request sent since the last {@link RequestLog.clear}, in order. */
  list(): string[];
  clear(): void;
  /** Removes the middleware from every client. */
  stop(): void;
}

/** Records the requests of `clients` (sends, before retries: no fault is injected where this is used). */
export function recordRequests(...clients: ReadonlyArray<{ middlewareStack: AnyStack }>): RequestLog {
  let sent: string[] = [];
  const record: Middleware = (next, context) => (args) => {
    sent.push(`${String(context.clientName).replace(/Client$/, "")}.${String(context.commandName).replace(/Command$/, "")}`);
    return next(args);
  };
  for (const client of clients) {
    (client.middlewareStack.add as (middleware: Middleware, options: object) => void)(record, { step: "initialize", name: NAME, override: true });
  }
  return {
    list: () => [...sent],
    clear: () => {
      sent = [];
    },
    stop: () => {
      for (const client of clients) client.middlewareStack.remove(NAME);
    },
  };
}
