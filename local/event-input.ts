/**
 * Events as a team has them at hand, read the same way by `paybus send`, `run`, `rules test` and
 * `backtest`: an EventBridge envelope (like `fixtures/stripe-events/`), a bare Stripe event (as
 * `stripe events retrieve`, the Dashboard or a webhook log shows it), `stripe events list` output
 * (`{"object": "list", "data": […]}`), a line of a paybus bus archive (`{"archivedAt", "event"}`),
 * a JSON list of any of these, or JSON Lines of them (an archive, an EventBridge archive export).
 * Stripe events are wrapped in the envelope the Stripe partner event source gives them.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { isBareStripeEvent, partnerEnvelope } from "../events/partner-envelope.ts";

/** An EventBridge envelope, as targets receive it. */
export type Envelope = Record<string, any>;

/** The input cannot be read as events: the message says where and why. */
export class EventInputError extends Error {
  override name = "EventInputError";
}

/** The envelope id a wrapped Stripe event gets. */
export type EnvelopeId = (stripeEvent: { id: string }) => string;

/**
 * The event files a path names: itself, or a directory's `*.json` and `*.jsonl` files in name order
 * (the fixtures' `manifest.json` left out).
 */
export function eventFiles(path: string): string[] {
  if (!existsSync(path)) throw new EventInputError(`${path}: no such file or directory`);
  if (!statSync(path).isDirectory()) return [path];
  const inside = readdirSync(path)
    .filter((name) => (name.endsWith(".json") || name.endsWith(".jsonl")) && name !== "manifest.json")
    .sort()
    .map((name) => join(path, name));
  if (inside.length === 0) throw new EventInputError(`${path}: no event files (*.json, *.jsonl) in this directory`);
  return inside;
}

/** The envelopes in one file: JSON (one value) or JSON Lines (a value per line; a torn last line is skipped). */
export function readEventsFile(file: string, envelopeId: EnvelopeId): Envelope[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new EventInputError(`${file}: ${(error as Error).message}`);
  }
  const trimmed = text.trimStart();
  if (trimmed.startsWith("[") || (trimmed.startsWith("{") && !looksLikeJsonLines(text))) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new EventInputError(`${file}: invalid JSON: ${(error as Error).message}`);
    }
    return envelopesIn(parsed, file, envelopeId);
  }
  return text.split("\n").flatMap((line, index) => {
    if (!line.trim()) return [];
    try {
      return envelopesIn(JSON.parse(line), `${file}:${index + 1}`, envelopeId);
    } catch (error) {
      // A torn last line (the runtime was killed while appending) is skipped, as the archive does.
      if (error instanceof SyntaxError) return [];
      throw error;
    }
  });
}

/** More than one line, each a JSON object by itself. */
function looksLikeJsonLines(text: string): boolean {
  const lines = text.split("\n").filter((line) => line.trim());
  if (lines.length < 2) return false;
  try {
    JSON.parse(lines[0]!);
    return true;
  } catch {
    return false;
  }
}

/** The envelopes one parsed value holds (a Stripe list's events oldest first, as they happened). */
export function envelopesIn(value: unknown, where: string, envelopeId: EnvelopeId): Envelope[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => envelopesIn(item, `${where}[${i}]`, envelopeId));
  if (typeof value !== "object" || value === null) throw new EventInputError(`${where}: expected an event object`);
  const object = value as Record<string, any>;
  if (object.object === "list" && Array.isArray(object.data)) {
    const wrapped = object.data.map((event: unknown, i: number) => fromStripeEvent(event, `${where}.data[${i}]`, envelopeId));
    return wrapped.reverse().sort((a: Envelope, b: Envelope) => Number(a.detail.created) - Number(b.detail.created));
  }
  if (typeof object.event === "string" && typeof object.archivedAt === "string") return [JSON.parse(object.event) as Envelope];
  if (isBareStripeEvent(object)) return [fromStripeEvent(object, where, envelopeId)];
  if (typeof object["detail-type"] === "string" && typeof object.source === "string") return [object];
  throw new EventInputError(`${where}: neither an EventBridge envelope, a Stripe event, a list of them nor an archive line`);
}

/** A Stripe event as the partner event source delivers it. */
function fromStripeEvent(event: unknown, where: string, envelopeId: EnvelopeId): Envelope {
  if (!isBareStripeEvent(event)) throw new EventInputError(`${where}: not a Stripe event (no id or type)`);
  return partnerEnvelope(event, envelopeId(event));
}
