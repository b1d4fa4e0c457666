/**
 * The `paybus run` report: what happened to every input event, and what the pipeline produced.
 * Every input is accounted for: accepted (with its rules, deliveries and consumer attempts) or
 * rejected (with the reason).
 */
import { lifecyclesOf, type Lifecycles } from "./lifecycle.ts";
import type { Runtime } from "./runtime.ts";
import { dlqListing } from "./admin.ts";
import type { DelaySummary } from "./points-delay.ts";
import { profilesSnapshot, type DeviceRow, type ProfileRow } from "./state.ts";

export interface InputOutcome {
  readonly label: string;
  readonly status: "accepted" | "rejected";
  readonly error?: string | undefined;
  readonly eventId?: string | undefined;
  readonly stripeEventId?: string | undefined;
  readonly detailType?: string | undefined;
  readonly rules: string[];
  readonly deliveries: Array<{ rule: string; attempts: number; outcome: "delivered" | "target-dlq" | "pending" }>;
  readonly attempts: Array<{ queue: string; receiveCount: number; outcome: string; error?: string | undefined }>;
  readonly dlq: Array<{ queue: string; error?: string | undefined }>;
  /** Where the input ended: consumed, in a DLQ, matched no rule, or rejected by the bus. */
  readonly result: "consumed" | "dlq" | "unmatched" | "rejected" | "in-progress";
}

export interface RunReport {
  readonly inputs: InputOutcome[];
  /** NotificationDelay and PointsCommitDelay over the run (`local/points-delay.ts`), set by `paybus run`. */
  readonly delays?: { readonly notification: DelaySummary | null; readonly pointsCommit: DelaySummary | null };
  readonly totals: {
    inputs: number;
    accepted: number;
    rejected: number;
    unmatched: number;
    consumed: number;
    inDlq: number;
    consumerAttempts: number;
    retries: number;
    emails: number;
    pushes: number;
    workflows: number;
  };
  readonly emails: Array<{ to: string[]; subject: string }>;
  readonly pushes: Array<{ targetArn: string; title?: string | undefined }>;
  readonly loyalty: unknown;
  /** Customer profiles after the run (synced from `customer.*` events, or seeded). */
  readonly profiles: ProfileRow[];
  /** Devices registered through the device API. */
  readonly devices: DeviceRow[];
  readonly workflows: Array<{ name: string; status: string; path: string[] }>;
  readonly dlq: ReturnType<typeof dlqListing>;
}

export interface SentInput {
  readonly label: string;
  readonly result: { EventId: string } | { ErrorCode: string; ErrorMessage: string };
  readonly stripeEventId?: string | undefined;
  readonly detailType?: string | undefined;
}

/** The Stripe-event-level result of an input, from where the lifecycle projection says it stands. */
const RESULT_BY_STATUS = { rejected: "rejected", unmatched: "unmatched", dlq: "dlq", done: "consumed", discarded: "dlq", "in-flight": "in-progress", retrying: "in-progress" } as const;

function outcomeOf(input: SentInput, lifecycles: Lifecycles): InputOutcome {
  const base = { label: input.label, stripeEventId: input.stripeEventId, detailType: input.detailType };
  if ("ErrorCode" in input.result) {
    return { ...base, status: "rejected", error: `${input.result.ErrorCode}: ${input.result.ErrorMessage}`, rules: [], deliveries: [], attempts: [], dlq: [], result: "rejected" };
  }
  const id = input.result.EventId;
  const lifecycle = lifecycles.get(id);
  const entries = lifecycle?.entries ?? [];
  const rules = lifecycle?.answer.kind === "bus.accepted" ? lifecycle.answer.matchedRules : [];
  const attempts = entries.flatMap((entry) =>
    entry.kind === "consumer.attempt" ? [{ queue: entry.queue, receiveCount: entry.receiveCount, outcome: entry.outcome, error: entry.error }] : [],
  );
  const dlq = entries.flatMap((entry) => (entry.kind === "queue.dlq" ? [{ queue: entry.queue, error: entry.error }] : []));
  const status = lifecycle ? lifecycles.status(id)! : "in-flight";
  return { ...base, status: "accepted", eventId: id, rules, deliveries: lifecycles.ruleDeliveries(id), attempts, dlq, result: rules.length === 0 ? "unmatched" : RESULT_BY_STATUS[status] };
}

/**
 * Builds the report for the inputs of one run from the runtime's lifecycle projection and engines.
 * The emails, pushes and workflows are those journaled after `sinceSeq` (the run's own, where the
 * data directory's journal holds earlier runs); loyalty, profiles, devices and DLQs are the state
 * after the run.
 */
export async function buildReport(runtime: Runtime, inputs: readonly SentInput[], loyalty: unknown, sinceSeq = 0): Promise<RunReport> {
  const lifecycles = lifecyclesOf(runtime);
  const outcomes = inputs.map((input) => outcomeOf(input, lifecycles));
  const emails = lifecycles.emails().filter((email) => email.seq > sinceSeq).map(({ to, subject }) => ({ to, subject }));
  const pushes = runtime.journal.list("effect.push", sinceSeq).filter((p) => p.status === "delivered").map(({ targetArn, title }) => ({ targetArn, title }));
  const started = new Set(runtime.journal.list("workflow.started", sinceSeq).map((entry) => entry.executionArn));
  const workflows = runtime.sfn
    .executions()
    .filter((execution) => started.has(execution.executionArn))
    .map((execution) => ({ name: execution.name, status: execution.status, path: execution.path }));
  const attempts = outcomes.flatMap((o) => o.attempts);
  const { profiles, devices } = await profilesSnapshot(runtime);
  return {
    inputs: outcomes,
    totals: {
      inputs: outcomes.length,
      accepted: outcomes.filter((o) => o.status === "accepted").length,
      rejected: outcomes.filter((o) => o.status === "rejected").length,
      unmatched: outcomes.filter((o) => o.result === "unmatched").length,
      consumed: outcomes.filter((o) => o.result === "consumed").length,
      inDlq: outcomes.filter((o) => o.result === "dlq").length,
      consumerAttempts: attempts.length,
      retries: attempts.filter((a) => a.receiveCount > 1).length,
      emails: emails.length,
      pushes: pushes.length,
      workflows: workflows.length,
    },
    emails,
    pushes,
    loyalty,
    profiles,
    devices,
    workflows,
    dlq: dlqListing(runtime),
  };
}
