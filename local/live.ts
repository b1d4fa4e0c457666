/**
 * The live terminal of `paybus dev`: one concise line per significant thing the journal records —
 * an event accepted or refused, a consumer's first failure of a record (with its reason, when it
 * happens) and its later retries, a DLQ arrival, an email or push sent, a workflow finished, a
 * request that failed inside the runtime. Addresses are redacted: the terminal is a log.
 */
import { redactEmail } from "../functions/common/redact.ts";
import type { Journal, Recorded } from "./journal.ts";

const MAX_REASON = 160;

/** One line of text: no newlines, emails redacted, long reasons cut. */
function clean(text: string, max = MAX_REASON): string {
  const line = redactEmail(text).replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function clock(at: string): string {
  return at.slice(11, 19);
}

const executionName = (arn: string) => arn.split(":").pop() ?? arn;

/** Turns journal entries into terminal lines; keeps what it needs to tell a first failure from a retry. */
export class LiveLog {
  private readonly failing = new Map<string, number>();

  /** The line for an entry, or undefined for what is not worth a line (a delivery, a first success). */
  line(entry: Recorded): string | undefined {
    const text = this.describe(entry);
    return text === undefined ? undefined : `${clock(entry.at)} ${text}`;
  }

  private describe(entry: Recorded): string | undefined {
    switch (entry.kind) {
      case "bus.accepted": {
        const what = `${entry.detailType} ${entry.stripeEventId ?? entry.eventId}${entry.replayName ? ` (replay ${entry.replayName})` : ""}`;
        return `event    accepted  ${what} → ${entry.matchedRules.length ? entry.matchedRules.join(", ") : "no rule matched (archived only)"}`;
      }
      case "bus.rejected":
        return `event    rejected  ${entry.detailType ?? "?"} from ${entry.source ?? "?"}: ${clean(`${entry.errorCode}: ${entry.errorMessage}`)}`;
      case "target.failed":
        return entry.attempt === 1 ? `target   failing   ${entry.rule} → ${entry.target} (${entry.eventId}): ${clean(entry.error)}; retrying` : undefined;
      case "target.dlq":
        return `dlq      ${entry.rule} gave up on ${entry.eventId}: ${clean(entry.error)}`;
      case "consumer.attempt": {
        const record = `${entry.queue} ${entry.stripeEventId ?? entry.messageId}`;
        if (entry.outcome === "succeeded") {
          const failures = this.failing.get(entry.messageId);
          if (failures === undefined) return undefined;
          this.failing.delete(entry.messageId);
          return `consumer recovered ${record} on receive ${entry.receiveCount}`;
        }
        const failures = (this.failing.get(entry.messageId) ?? 0) + 1;
        this.failing.set(entry.messageId, failures);
        const reason = clean(entry.error ?? entry.outcome);
        return failures === 1
          ? `consumer failed    ${record} (receive ${entry.receiveCount}): ${reason}; it will be retried`
          : `consumer retry     ${record} failed again (receive ${entry.receiveCount}): ${reason}`;
      }
      case "queue.dlq":
        this.failing.delete(entry.messageId);
        return `dlq      ${entry.queue} ${entry.stripeEventId ?? entry.messageId} moved to the DLQ: ${clean(entry.error ?? "no error recorded")} — npm run paybus -- dlq list`;
      case "queue.redrive":
        return `dlq      ${entry.queue} ${entry.messageId} redriven`;
      case "queue.discard":
        return `dlq      ${entry.queue} ${entry.messageId} discarded`;
      case "effect.email":
        return `email    sent to ${clean(entry.to.join(", "), 80)}: ${clean(entry.subject, 100)}`;
      case "effect.push":
        return entry.status === "delivered"
          ? `push     sent to …${entry.targetArn.slice(-12)}: ${clean(entry.title ?? "", 100)}`
          : `push     endpoint …${entry.targetArn.slice(-12)} is disabled: not sent`;
      case "workflow.finished":
        return `workflow ${executionName(entry.executionArn)} ${entry.status.toLowerCase().replace("_", " ")}`;
      case "runtime.error":
        return `error    ${entry.where}: ${clean(entry.error)} (that request failed; the runtime keeps serving)`;
      default:
        return undefined;
    }
  }
}

/** Prints a line for each new journal entry to `out`; returns the function that stops it. */
export function followJournal(journal: Journal, out: NodeJS.WritableStream): () => void {
  const log = new LiveLog();
  return journal.onEntry((entry) => {
    const line = log.line(entry);
    if (line !== undefined) out.write(`${line}\n`);
  });
}
