/**
 * The webhook bridge's decisions, free of I/O: whether a Stripe webhook is authentic, fresh and
 * acceptable to this deployment, the PutEvents entry that reproduces what Stripe's partner event
 * source would have put on the bus, and what to answer Stripe in every case.
 *
 * Stripe retries any non-2xx answer for up to three days, so the answer is 2xx only once the event
 * is on the bus, 4xx when the request itself is at fault, and 5xx when the bus is.
 */
import type { PutEventsRequestEntry, PutEventsResponse } from "@aws-sdk/client-eventbridge";
import Stripe from "stripe";
import type { z } from "zod";
import { WEBHOOK_SOURCE } from "../../events/sources.ts";
import { stripeSnapshotEvent, stripeThinEvent } from "../../events/stripe-event.ts";
import type { BridgeConfig, BridgeConfigError } from "./config.ts";
import { compactJson, putEventsEntrySize } from "./entry.ts";

/** How old a signature's `t=` may be, in seconds: Stripe's default, which its SDK enforces. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** Why a webhook was refused; the `reason` of a 4xx answer's body. */
export type RejectReason =
  | "bad_signature"
  | "stale_timestamp"
  | "malformed_body"
  | "livemode_mismatch"
  | "thin_events_disabled"
  | "oversized";

/** The Stripe event a decision is about, for logs and answers. */
export interface EventSummary {
  readonly id: string;
  readonly type: string;
  readonly kind: "snapshot" | "thin";
}

/** The JSON body of an answer to Stripe (visible in its dashboard, so never a secret in it). */
export type AnswerBody =
  | { readonly received: true; readonly id: string; readonly eventBridgeId?: string }
  | {
      readonly error: {
        readonly reason: RejectReason | "publish_failed" | "misconfigured" | "secret_unavailable";
        readonly message: string;
      };
    };

/** An HTTP answer to Stripe. */
export interface Answer {
  readonly status: number;
  readonly body: AnswerBody;
}

/** Put `entry` on the bus, then answer `status`/`body`; a failed put is answered by {@link answerPutEvents}. */
export interface PublishDecision extends Answer {
  readonly outcome: "publish";
  readonly status: 200;
  readonly entry: PutEventsRequestEntry;
  readonly entryBytes: number;
  readonly event: EventSummary;
}

/** Answer `status`/`body` and publish nothing. */
export interface RejectDecision extends Answer {
  readonly outcome: "reject";
  readonly status: 400 | 413;
  readonly reason: RejectReason;
  /** Known once the body has been authenticated and parsed. */
  readonly event?: EventSummary;
  /** Set for `oversized`: the entry's size as EventBridge counts it. */
  readonly entryBytes?: number;
}

export type BridgeDecision = PublishDecision | RejectDecision;

/** Request headers as a function URL passes them (lower-case names), looked up case-insensitively. */
export type RequestHeaders = Readonly<Record<string, string | undefined>>;

function reject(
  status: 400 | 413,
  reason: RejectReason,
  message: string,
  extra: { event?: EventSummary; entryBytes?: number } = {},
): RejectDecision {
  return { outcome: "reject", status, reason, body: { error: { reason, message } }, ...extra };
}

function header(headers: RequestHeaders, name: string): string | undefined {
  const wanted = name.toLowerCase();
  return Object.entries(headers).find(([key]) => key.toLowerCase() === wanted)?.[1];
}

/** The first line of a Stripe SDK message; the rest is documentation links. */
const firstLine = (message: string) => message.split("\n")[0]!.trim();

const isSignatureError = (error: unknown) => error instanceof Stripe.errors.StripeSignatureVerificationError;

/**
 * `header` without `v1` elements that carry no value (`v1=` or a bare `v1`). Stripe's verifier
 * hands every `v1` to its constant-time comparison, which throws a plain `Error` on an empty
 * string: unfiltered, anyone could turn a refusal into a 5xx without knowing any secret. An empty
 * value can never match a signature, so dropping it changes no verdict: a header holding only
 * empty `v1`s is refused as having none, and a genuine `v1` beside an empty one is still honoured.
 */
function withoutEmptySignatures(header: string): string {
  return header
    .split(",")
    .filter((element) => {
      const [scheme, value] = element.split("=");
      return scheme !== "v1" || (value !== undefined && value !== "");
    })
    .join(",");
}

/** Runs the SDK's check; any failure that is not its own verdict still counts as a bad signature. */
function checkHeader(payload: string, header: string, secret: string, tolerance: number, receivedAtMs: number): string | undefined {
  try {
    Stripe.webhooks.signature!.verifyHeader(payload, header, secret, tolerance, undefined, receivedAtMs);
    return undefined;
  } catch (error) {
    // The SDK's own messages never contain the payload or the secret; anything else is not shown.
    return isSignatureError(error) ? firstLine((error as Error).message) : "Stripe-Signature could not be checked";
  }
}

/**
 * Checks `Stripe-Signature` against every configured secret (several while one is rotated).
 *
 * This is the check `stripe.webhooks.constructEvent` runs (`t=` and one or more `v1=`,
 * constant-time comparison, tolerance) without its parsing, which refuses thin events. The
 * signature is matched first with the tolerance off, so a genuine but stale delivery is told
 * apart from a forged one without reading the SDK's message text. Nothing the header holds can
 * make this throw: every failure is a refusal.
 */
function verifySignature(
  payload: string,
  signature: string | undefined,
  secrets: readonly string[],
  receivedAtMs: number,
): RejectDecision | undefined {
  if (!Stripe.webhooks.signature) throw new Error("the stripe SDK has no webhook signature verifier");
  if (!signature) return reject(400, "bad_signature", "missing Stripe-Signature header");
  const header = withoutEmptySignatures(signature);
  let firstFailure = "";
  for (const secret of secrets) {
    const failure = checkHeader(payload, header, secret, 0, receivedAtMs);
    if (failure !== undefined) {
      firstFailure ||= failure;
      continue;
    }
    if (checkHeader(payload, header, secret, SIGNATURE_TOLERANCE_SECONDS, receivedAtMs) === undefined) return undefined;
    return reject(
      400,
      "stale_timestamp",
      `Stripe-Signature timestamp is more than ${SIGNATURE_TOLERANCE_SECONDS} s old: refused as a possible replay`,
    );
  }
  return reject(400, "bad_signature", `Stripe-Signature matches no configured webhook secret: ${firstFailure}`);
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return `${issue?.path.map(String).join(".") || "body"}: ${issue?.message ?? "invalid"}`;
}

type ParsedEvent = { readonly summary: EventSummary; readonly livemode: boolean };

/** The authenticated body as a Stripe snapshot event or thin event notification, or why it is neither. */
function parseEvent(text: string): ParsedEvent | RejectDecision {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // V8's message quotes the start of the text: keep only where parsing stopped.
    const position = /at position (\d+)/.exec((error as Error).message)?.[1];
    return reject(400, "malformed_body", `body is not valid JSON${position === undefined ? "" : ` (at character ${position})`}`);
  }
  const object = (value as { object?: unknown } | null)?.object;
  const kind = object === "event" ? "snapshot" : object === "v2.core.event" ? "thin" : undefined;
  if (!kind) {
    return reject(400, "malformed_body", 'body is not a Stripe event: object must be "event" or "v2.core.event"');
  }
  const result = (kind === "snapshot" ? stripeSnapshotEvent : stripeThinEvent).safeParse(value);
  if (!result.success) {
    return reject(400, "malformed_body", `body is not a valid Stripe ${kind} event: ${describeIssue(result.error)}`);
  }
  const { id, type, livemode } = result.data;
  return { summary: { id, type, kind }, livemode };
}

/**
 * Decides what to do with one webhook delivery: verify `Stripe-Signature` on the raw body, parse
 * the event, check it belongs to this deployment, and build the PutEvents entry the partner event
 * source would have produced (`Source` {@link WEBHOOK_SOURCE}, `DetailType` the Stripe event
 * type, `Detail` the event unchanged but for whitespace between tokens).
 *
 * The partner source's `resources` holds its event-source ARN; the bridge has no event source and
 * does not invent one, so its events carry `resources: []`.
 *
 * @param rawBody the request body exactly as received: the signature covers these bytes.
 * @param now when the request arrived: the signature's age and the entry's `Time`.
 */
export function verifyAndBuild(
  rawBody: Uint8Array,
  headers: RequestHeaders,
  config: BridgeConfig,
  now: Date,
): BridgeDecision {
  // An invalid date would turn the signature's age into NaN, which passes every tolerance check.
  if (Number.isNaN(now.getTime())) throw new RangeError("verifyAndBuild needs a valid arrival time");
  // Decoded as Stripe's verifier decodes it, so the checked text and the published text agree.
  const text = new TextDecoder("utf-8").decode(rawBody);
  const refused = verifySignature(text, header(headers, "stripe-signature"), config.webhookSecrets, now.getTime());
  if (refused) return refused;

  const parsed = parseEvent(text);
  if ("outcome" in parsed) return parsed;
  const { summary: event, livemode } = parsed;

  if (livemode !== config.expectedLivemode) {
    return reject(
      400,
      "livemode_mismatch",
      `${event.id} has livemode=${livemode}, but this deployment accepts only livemode=${config.expectedLivemode} events (PAYBUS_EXPECTED_LIVEMODE)`,
      { event },
    );
  }
  if (event.kind === "thin" && !config.forwardThinEvents) {
    return reject(
      400,
      "thin_events_disabled",
      `${event.id} is a thin event notification and this deployment does not publish them (set PAYBUS_FORWARD_THIN_EVENTS=true)`,
      { event },
    );
  }

  const entry: PutEventsRequestEntry = {
    EventBusName: config.eventBusName,
    Time: now,
    Source: WEBHOOK_SOURCE,
    DetailType: event.type,
    Detail: compactJson(text),
  };
  const entryBytes = putEventsEntrySize(entry);
  if (entryBytes > config.maxEntryBytes) {
    return reject(
      413,
      "oversized",
      `${event.id} (${event.type}) is ${entryBytes} bytes as a PutEvents entry, over the ${config.maxEntryBytes}-byte limit (PAYBUS_MAX_ENTRY_BYTES); it was not published. EventBridge accepts up to 1 MiB since 2026-01-29: raise the limit, or use thin events`,
      { event, entryBytes },
    );
  }
  return { outcome: "publish", status: 200, body: { received: true, id: event.id }, entry, entryBytes, event };
}

function publishFailed(event: EventSummary, cause: string): Answer {
  return {
    status: 502,
    body: { error: { reason: "publish_failed", message: `${event.id} was not put on the event bus (${cause}); retry later` } },
  };
}

/**
 * The answer once PutEvents has returned: 200 only if the entry was accepted. A per-entry failure
 * (`FailedEntryCount` > 0) is a 502 like a failed call, so Stripe delivers the event again.
 */
export function answerPutEvents(decision: PublishDecision, output: PutEventsResponse): Answer {
  const result = output.Entries?.[0];
  if ((output.FailedEntryCount ?? 0) > 0 || result?.ErrorCode || !result?.EventId) {
    const cause = [result?.ErrorCode ?? "no event id returned", result?.ErrorMessage].filter(Boolean).join(": ");
    return publishFailed(decision.event, cause);
  }
  return { status: decision.status, body: { ...decision.body, eventBridgeId: result.EventId } };
}

/** The answer when the PutEvents call itself failed (after the SDK's retries): 502, so Stripe retries. */
export function answerPutEventsError(decision: PublishDecision, error: unknown): Answer {
  const { name, message } = error instanceof Error ? error : { name: "Error", message: String(error) };
  return publishFailed(decision.event, `${name}: ${message}`);
}

/** The answer when the deployment's configuration is unusable: 500, so Stripe retries once it is fixed. */
export function answerMisconfigured(error: BridgeConfigError): Answer {
  return { status: 500, body: { error: { reason: "misconfigured", message: error.message } } };
}

/** The answer when the signing secrets could not be read: 503, so Stripe retries later. */
export function answerSecretUnavailable(error: Error): Answer {
  return { status: 503, body: { error: { reason: "secret_unavailable", message: `${error.message}; retry later` } } };
}
