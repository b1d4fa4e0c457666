/**
 * `ClientRequestToken` bookkeeping for `TransactWriteItems`: a token that committed a transaction
 * is remembered for ten minutes with its request, to tell a retry (the same request) from a
 * different request reusing the token.
 */
import { IdempotentParameterMismatchError, type JsonObject } from "./errors.ts";

/** How long DynamoDB honours a client request token after the request that used it. */
const IDEMPOTENCY_WINDOW_MS = 10 * 60 * 1000;

/**
 * Members that may differ between a request and its retry: DynamoDB documents that a replay may
 * ask for consumed capacity differently, and the token is the lookup key itself.
 */
const NON_IDENTIFYING_MEMBERS = new Set(["ClientRequestToken", "ReturnConsumedCapacity", "ReturnItemCollectionMetrics"]);

/** What the request means, independent of member order and of members that do not identify it. */
export function requestFingerprint(request: JsonObject): string {
  const identifying = Object.fromEntries(Object.entries(request).filter(([name]) => !NON_IDENTIFYING_MEMBERS.has(name)));
  return canonicalJson(identifying);
}

/** JSON with object members sorted by name, so equal values always serialise alike. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const members = Object.entries(value)
      .filter(([, member]) => member !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, member]) => `${JSON.stringify(name)}:${canonicalJson(member)}`);
    return `{${members.join(",")}}`;
  }
  return JSON.stringify(value);
}

interface Committed {
  /** The request as JSON text, as it came (member order and all). */
  readonly text: string;
  readonly at: number;
}

/**
 * Tokens of committed transactions. Only commits are remembered: a cancelled transaction changed
 * nothing, so retrying it with its token must evaluate it again (it may succeed now).
 */
export class IdempotencyTokens {
  // Insertion order is commit order, which lets pruning stop at the first live token.
  readonly #committed = new Map<string, Committed>();

  constructor(
    private readonly now: () => number,
    private readonly windowMs = IDEMPOTENCY_WINDOW_MS,
  ) {}

  /**
   * Whether `token` already committed this very request (a replay): the same text, or else the
   * same {@link requestFingerprint} (member order, capacity reporting may differ).
   * @throws IdempotentParameterMismatchError when it committed a different request.
   */
  isReplay(token: string, request: JsonObject): boolean {
    this.#prune();
    const committed = this.#committed.get(token);
    if (!committed) return false;
    if (committed.text !== JSON.stringify(request) && requestFingerprint(JSON.parse(committed.text) as JsonObject) !== requestFingerprint(request)) {
      throw new IdempotentParameterMismatchError();
    }
    return true;
  }

  /**
   * Records that `token` committed `request`. Its text is kept, not its fingerprint: every SDK
   * transaction carries a token (the SDK fills one in) and is remembered, but few are ever
   * retried, and serialising a request costs a fraction of fingerprinting it (sorting every
   * object's members), which waits until a retry whose text differs.
   */
  remember(token: string, request: JsonObject): void {
    this.#committed.set(token, { text: JSON.stringify(request), at: this.now() });
  }

  #prune(): void {
    const cutoff = this.now() - this.windowMs;
    for (const [token, { at }] of this.#committed) {
      if (at > cutoff) return;
      this.#committed.delete(token);
    }
  }
}
