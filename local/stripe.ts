/**
 * The few Stripe API endpoints paybus calls (tier rewards), served by the local gateway so the real
 * `stripe` SDK (pointed here with its `host`/`port`/`protocol` settings) runs offline:
 *
 * - `POST /v1/customers/:id/balance_transactions` and `GET` (list, newest first);
 * - `POST /v1/coupons` and `POST /v1/promotion_codes` (a code restricted to one customer).
 *
 * Requests need `Authorization: Bearer <the local secret key>`. `Idempotency-Key` behaves as Stripe
 * documents for API v1: the first request's status and body are saved; the same key with the same
 * endpoint and parameters replays them (with `Idempotent-Replayed: true`), the same key with other
 * parameters is a 400 `idempotency_error`. Errors have Stripe's `{ error: { type, code, message,
 * param } }` shape. Everything created is kept (in the data directory when there is one) for tests,
 * `paybus stripe credits` and the dashboard.
 *
 * Deliberate differences: customers are not checked to exist (any `cus_…` is accepted, starting
 * with a zero balance), keys are never pruned after 24 hours, only the parameters paybus sends are
 * validated, and a `Stripe-Account` header (Connect) is accepted without separating accounts.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { crossOriginReason, preReadBody } from "./gateway.ts";
import { readBody } from "./aws-json.ts";
import { LineFile } from "./jsonl-log.ts";
import {
  integer,
  newBalanceTransaction,
  newCoupon,
  newPromotionCode,
  parseForm,
  StripeApiError,
  type BalanceTransaction,
  type Coupon,
  type PromotionCode,
  type StripeObject,
} from "./stripe-objects.ts";

export { parseForm, type BalanceTransaction, type Coupon, type PromotionCode } from "./stripe-objects.ts";

/** The secret key functions use against the local Stripe (a test-mode key shape; it unlocks nothing real). */
export const LOCAL_STRIPE_API_KEY = "sk_test_paybusLocal0000000000000000";

/** One saved idempotent request: what it asked and what it got. */
interface SavedRequest {
  readonly key: string;
  readonly fingerprint: string;
  readonly status: number;
  readonly body: unknown;
}

/** One appended line: an object created and, in the same line, the idempotency record of its request (a kill cannot keep one without the other). */
type LogLine = { readonly kind: "object"; readonly object: StripeObject; readonly saved?: SavedRequest } | ({ readonly kind: "idempotency" } & SavedRequest);

/** The local Stripe account: objects and idempotency records, optionally persisted as JSON lines. */
export class LocalStripe {
  private readonly objects = new Map<string, StripeObject>();
  private readonly balances = new Map<string, number>();
  private readonly saved = new Map<string, SavedRequest>();
  /** Requests with a key still running: a concurrent one with the same key gets Stripe's 409. */
  private readonly inFlight = new Set<string>();
  private readonly lines: LineFile | undefined;

  constructor(stateFile?: string) {
    if (stateFile && existsSync(stateFile)) {
      for (const line of readFileSync(stateFile, "utf8").split("\n")) {
        if (line.trim() === "") continue;
        let parsed: LogLine;
        try {
          parsed = JSON.parse(line) as LogLine;
        } catch {
          continue; // A torn last line (hard kill mid-write): that request never got its answer.
        }
        this.apply(parsed);
      }
    }
    // Ends a torn last line first: the next object or saved answer must not join it (unreadable).
    this.lines = stateFile ? new LineFile(stateFile) : undefined;
  }

  private apply(line: LogLine): void {
    if (line.kind === "idempotency") {
      this.saved.set(line.key, line);
      return;
    }
    if (line.saved) this.saved.set(line.saved.key, line.saved);
    this.objects.set(line.object.id, line.object);
    if (line.object.object === "customer_balance_transaction") this.balances.set(line.object.customer, line.object.ending_balance);
  }

  /** The idempotency key of the request being executed: its record is written with the object it creates. */
  private pendingKey: { readonly key: string; readonly fingerprint: string } | undefined;

  private created(object: StripeObject): void {
    const pending = this.pendingKey;
    this.record({ kind: "object", object, ...(pending ? { saved: { ...pending, status: 200, body: object } } : {}) });
  }

  /** Closes the state file (a later record opens it again). */
  close(): void {
    this.lines?.close();
  }

  private record(line: LogLine): void {
    this.apply(line);
    this.lines?.append(`${JSON.stringify(line)}\n`);
  }

  /** Every customer balance transaction, oldest first. */
  balanceTransactions(customer?: string): BalanceTransaction[] {
    return [...this.objects.values()].filter(
      (o): o is BalanceTransaction => o.object === "customer_balance_transaction" && (customer === undefined || o.customer === customer),
    );
  }

  /** Every promotion code, oldest first. */
  promotionCodes(): PromotionCode[] {
    return [...this.objects.values()].filter((o): o is PromotionCode => o.object === "promotion_code");
  }

  /** A customer's balance (negative: credit the next invoice will use). */
  balanceOf(customer: string): number {
    return this.balances.get(customer) ?? 0;
  }

  /** Answers one API call: `[status, body]`, replaying a saved answer for a known idempotency key. */
  call(method: string, path: string, params: Record<string, unknown>, idempotencyKey: string | undefined): [number, unknown, boolean] {
    if (method === "GET" || idempotencyKey === undefined) return [...this.execute(method, path, params), false];
    const fingerprint = createHash("sha256").update(`${method} ${path}\n${JSON.stringify(sorted(params))}`).digest("hex");
    const saved = this.saved.get(idempotencyKey);
    if (saved) {
      if (saved.fingerprint !== fingerprint) {
        const error = new StripeApiError(
          400,
          "idempotency_error",
          `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
        );
        return [error.status, error.body(), false];
      }
      return [saved.status, saved.body, true];
    }
    if (this.inFlight.has(idempotencyKey)) {
      const error = new StripeApiError(409, "idempotency_error", "There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): " + idempotencyKey + ". Please try again later.");
      return [error.status, error.body(), false];
    }
    this.pendingKey = { key: idempotencyKey, fingerprint };
    let status: number;
    let body: unknown;
    try {
      [status, body] = this.execute(method, path, params);
    } finally {
      this.pendingKey = undefined;
    }
    // Stripe saves results once the endpoint began executing; a request refused by validation is not
    // saved. A success was saved with its object already (one line); a 5xx is saved alone.
    if (status >= 500) this.record({ kind: "idempotency", key: idempotencyKey, fingerprint, status, body });
    return [status, body, false];
  }

  private execute(method: string, path: string, params: Record<string, unknown>): [number, unknown] {
    try {
      return [200, this.dispatch(method, path, params)];
    } catch (error) {
      if (error instanceof StripeApiError) return [error.status, error.body()];
      throw error;
    }
  }

  private dispatch(method: string, path: string, params: Record<string, unknown>): unknown {
    const balance = /^\/v1\/customers\/([^/]+)\/balance_transactions$/.exec(path);
    if (balance && method === "POST") return this.createBalanceTransaction(decodeURIComponent(balance[1]!), params);
    if (balance && method === "GET") {
      const customer = decodeURIComponent(balance[1]!);
      const data = this.balanceTransactions(customer).reverse();
      const limit = integer(params, "limit", false) ?? 10;
      return { object: "list", data: data.slice(0, limit), has_more: data.length > limit, url: path };
    }
    if (path === "/v1/coupons" && method === "POST") return this.createCoupon(params);
    if (path === "/v1/promotion_codes" && method === "POST") return this.createPromotionCode(params);
    throw new StripeApiError(404, "invalid_request_error", `Unrecognized request URL (${method}: ${path}). The local Stripe serves only the endpoints paybus uses.`);
  }

  private createBalanceTransaction(customer: string, params: Record<string, unknown>): BalanceTransaction {
    const object = newBalanceTransaction(customer, params, this.balanceOf(customer));
    this.created(object);
    return object;
  }

  private createCoupon(params: Record<string, unknown>): Coupon {
    const object = newCoupon(params);
    if (this.objects.has(object.id)) throw new StripeApiError(400, "invalid_request_error", "Coupon already exists.", "id", "resource_already_exists");
    this.created(object);
    return object;
  }

  private createPromotionCode(params: Record<string, unknown>): PromotionCode {
    const object = newPromotionCode(params, this.objects, this.promotionCodes());
    this.created(object);
    return object;
  }

  /** The gateway route serving `/v1/…`. */
  gatewayRoute(): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean> {
    return async (req, res, url) => {
      if (!url.pathname.startsWith("/v1/")) return false;
      const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { "content-type": "application/json", "request-id": `req_${randomBytes(7).toString("hex")}`, ...headers });
        res.end(JSON.stringify(body));
      };
      // A page in a browser must not move money: the SDK sends neither header.
      const crossOrigin = crossOriginReason(req);
      if (crossOrigin) {
        send(403, new StripeApiError(403, "invalid_request_error", `cross-origin browser requests are refused (${crossOrigin})`).body());
        return true;
      }
      if (req.headers.authorization !== `Bearer ${LOCAL_STRIPE_API_KEY}`) {
        send(401, new StripeApiError(401, "invalid_request_error", "Invalid API Key provided.").body());
        return true;
      }
      const raw = preReadBody(req) ?? (req.method === "POST" ? await readBody(req) : Buffer.alloc(0));
      const params = req.method === "GET" ? Object.fromEntries(url.searchParams) : parseForm(raw.toString("utf8"));
      const key = req.headers["idempotency-key"];
      const [status, body, replayed] = this.call(req.method ?? "GET", url.pathname, params, typeof key === "string" ? key : undefined);
      send(status, body, {
        ...(typeof key === "string" && req.method === "POST" ? { "idempotency-key": key } : {}),
        ...(replayed ? { "idempotent-replayed": "true" } : {}),
      });
      return true;
    };
  }
}

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sorted((value as Record<string, unknown>)[k])]));
  }
  return value;
}
