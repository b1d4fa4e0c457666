/**
 * Runs a scenario on the embedded local runtime and judges the result: sends the waves (and the
 * bad inputs), lets the pipeline settle between waves, reads the final state back through the real
 * SDK and the runtime's journal, and lists every difference from the oracle's expected state.
 */
import { LOYALTY_SOURCE } from "../../events/loyalty-events.ts";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { paginateScan } from "@aws-sdk/lib-dynamodb";
import type { QueueName } from "../../declarations/rules.ts";
import { getProfile, putProfile } from "../../functions/common/profiles.ts";
import type { DlqMessage } from "../../local/sqs.ts";
import type { Runtime } from "../../local/runtime.ts";
import { localDynamoClient, loyaltySnapshot } from "../../local/state.ts";
import { adminClient } from "../../local/admin-client.ts";
import { engagementExecutionOf, expectedState, type ExpectedState, type OracleLoyaltyConfig } from "./oracle.ts";
import type { BadInput, Envelope, ProfileSpec, Scenario } from "./scenario.ts";
import { CONCURRENT_ENVIRONMENTS, TEST_ENVIRONMENTS_PER_FUNCTION } from "../support/environments.ts";

const QUEUES: readonly QueueName[] = ["notifications", "loyalty"];
/** Queues fed by the programme's own loyalty events (`paybus.loyalty`), not by Stripe. */
const LOYALTY_EVENT_QUEUES: ReadonlySet<string> = new Set<QueueName>(["loyaltyVip", "loyaltyMilestones"]);

/**
 * Runtime options every reliability run shares: fast retries, the scenario's loyalty programme.
 * Workflow time is real: an execution waits for its 72 h follow-up on a task token with a 4-day
 * timeout, which must not run out while a long run is still going (no dispatcher runs here).
 */
export function runtimeOptions(scenario: Scenario, dataDir: string | null) {
  return {
    dataDir,
    port: 0,
    timeScale: 0.01,
    workflowTimeScale: 1,
    env: { PAYBUS_LOYALTY_CONFIG: JSON.stringify(scenario.loyaltyConfig) },
    maxEnvironmentsPerFunction: scenario.overlappingInvocations ? CONCURRENT_ENVIRONMENTS : TEST_ENVIRONMENTS_PER_FUNCTION,
  } as const;
}

/** An EventBridge client for the runtime's bus, as an application would use it. */
export function eventBridgeClient(runtime: Runtime): EventBridgeClient {
  return adminClient(EventBridgeClient, runtime.endpoints.eventBridge, runtime.region);
}

/** Seeds the profiles, registering a push endpoint per device in the local SNS. */
export async function seedProfiles(runtime: Runtime, profiles: readonly ProfileSpec[]): Promise<void> {
  for (const { devices, ...profile } of profiles) {
    const pushEndpoints = Array.from({ length: devices }, (_, i) => runtime.sns.createEndpoint(`${runtime.prefix}-app`, `token-${profile.customerId}-${i}`));
    await putProfile({ ...profile, pushEndpoints }, runtime.profileTable);
  }
}

/**
 * After a restart on the same data directory: makes sure every endpoint ARN stored in a profile is
 * registered and enabled in the local SNS (which keeps its endpoints in the data directory, so
 * this changes nothing there; it matters only for a directory written before that).
 */
export async function restoreEndpoints(runtime: Runtime, profiles: readonly ProfileSpec[]): Promise<void> {
  for (const { customerId } of profiles) {
    for (const arn of (await getProfile(customerId, runtime.profileTable))?.pushEndpoints ?? []) runtime.sns.setEnabled(arn, true);
  }
}

/** What became of each bad input at the bus. */
export interface BadInputReceipt {
  readonly input: BadInput;
  /** The bus's answer for the entry, or the error of a refused request. */
  readonly result: { EventId: string } | { ErrorCode: string; ErrorMessage?: string } | { refused: string } | { queued: string };
}

/** What was sent and what the bus answered. */
export interface SendLog {
  /** Entries offered to the bus or a queue, good and bad. */
  sent: number;
  /** Bus event ids of accepted good inputs. */
  readonly goodEventIds: string[];
  /** Good inputs the bus refused (must stay 0). */
  readonly goodRejected: string[];
  readonly bad: BadInputReceipt[];
  /** DLQ messages moved back to their queue while settling. */
  redriven: number;
}

/** Sends good envelopes as the Stripe partner source, ten per PutEvents. */
export function sendGood(runtime: Runtime, envelopes: readonly Envelope[], log: SendLog): void {
  const results = runtime.sendEnvelopes(envelopes);
  log.sent += envelopes.length;
  results.forEach((result, index) => {
    if ("EventId" in result) log.goodEventIds.push(result.EventId);
    else log.goodRejected.push(`${envelopes[index]?.detail?.id}: ${result.ErrorCode}: ${result.ErrorMessage}`);
  });
}

/** Sends one bad input the way it arrives in real life; never throws (refusals are the point). */
async function sendBad(runtime: Runtime, eventBridge: EventBridgeClient, input: BadInput, log: SendLog): Promise<void> {
  log.sent++;
  let result: BadInputReceipt["result"];
  switch (input.via) {
    case "partner":
      result = runtime.sendEnvelopes([input.envelope])[0]!;
      break;
    case "api":
      try {
        const answer = await eventBridge.send(new PutEventsCommand({ Entries: [{ ...input.entry, EventBusName: runtime.busName }] }));
        const entry = answer.Entries?.[0] ?? {};
        result = entry.EventId ? { EventId: entry.EventId } : { ErrorCode: entry.ErrorCode ?? "?", ErrorMessage: entry.ErrorMessage };
      } catch (error) {
        result = { refused: (error as Error).name };
      }
      break;
    case "queue": {
      const sent = await runtime.sqs.client.send(new SendMessageCommand({ QueueUrl: runtime.sqs.queue(input.queue).url, MessageBody: input.body }));
      result = { queued: sent.MessageId ?? "" };
      break;
    }
  }
  log.bad.push({ input, result });
}

export function newSendLog(): SendLog {
  return { sent: 0, goodEventIds: [], goodRejected: [], bad: [], redriven: 0 };
}

/** The Stripe event id in a message body, if it has one. */
export function stripeIdOf(body: string): string | undefined {
  try {
    const id = (JSON.parse(body) as { detail?: { id?: unknown } }).detail?.id;
    return typeof id === "string" ? id : undefined;
  } catch {
    return undefined;
  }
}

/** DLQ messages that are meant to stay there: the poison bad inputs. */
function isBadInput(bad: readonly BadInput[]): (message: DlqMessage) => boolean {
  const ids = new Set(bad.flatMap((input) => (input.stripeEventId ? [input.stripeEventId] : [])));
  const bodies = new Set(bad.flatMap((input) => (input.via === "queue" ? [input.body] : [])));
  return (message) => bodies.has(message.body) || ids.has(stripeIdOf(message.body) ?? "");
}

/**
 * How long a wave may take to settle before the scenario gives up on it. The work of a wave is
 * fixed, but its wall time grows with the machine's load: three scenarios run side by side, next to
 * other test files, and a 120 s limit ran out on a 2-core machine at load average ~40 (consumer
 * crashes, downstream faults, process crash). A consumer that keeps failing still ends the
 * scenario: its records reach the DLQ and the redrive rounds are bounded.
 */
export const SETTLE_TIMEOUT_MS = 300_000;

/**
 * Waits until the pipeline is quiet; then, as an operator would after an outage, redrives DLQ
 * messages that are not meant to stay there and waits again, until none is left.
 */
export async function settle(runtime: Runtime, log: SendLog, keep: (message: DlqMessage) => boolean, timeoutMs: number): Promise<void> {
  for (let round = 0; ; round++) {
    await runtime.waitForQuiet(timeoutMs);
    let moved = 0;
    for (const queue of QUEUES) {
      const ids = runtime.sqs.dlqMessages(queue).filter((message) => !keep(message)).map((message) => message.messageId);
      if (ids.length > 0) moved += (await runtime.redriveDlq(queue, ids)).length;
    }
    log.redriven += moved;
    if (moved === 0) return;
    if (round >= 10) throw new Error(`records still reach the DLQ after ${round} redrives`);
  }
}

export interface WaveOptions {
  /** Called before each wave is sent (e.g. to switch faults on). */
  readonly beforeWave?: (wave: number) => void;
  /** DLQ messages to leave where they are while settling (besides the bad inputs). */
  readonly keepInDlq?: (message: DlqMessage) => boolean;
  readonly settleTimeoutMs?: number;
}

/** Sends the scenario wave by wave (bad inputs interleaved with the first), settling after each. */
export async function runWaves(runtime: Runtime, eventBridge: EventBridgeClient, scenario: Scenario, options: WaveOptions = {}, since: Mark = FRESH): Promise<SendLog> {
  const log = newSendLog();
  const badInput = isBadInput(scenario.bad);
  // An earlier scenario's poison on a shared runtime is its own: left where it is.
  const keep = (message: DlqMessage) => since.dlq.has(message.messageId) || badInput(message) || (options.keepInDlq?.(message) ?? false);
  for (const [index, wave] of scenario.waves.entries()) {
    options.beforeWave?.(index);
    const bad = index === 0 ? scenario.bad : [];
    const step = Math.max(10, Math.ceil(wave.length / Math.max(1, bad.length)));
    for (let offset = 0, b = 0; offset < wave.length || b < bad.length; offset += step, b++) {
      sendGood(runtime, wave.slice(offset, offset + step), log);
      if (b < bad.length) await sendBad(runtime, eventBridge, bad[b]!, log);
      // Yield so consumers start while the wave is still being sent, as with a live stream.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await settle(runtime, log, keep, options.settleTimeoutMs ?? SETTLE_TIMEOUT_MS);
  }
  return log;
}

/** The final state as the pipeline left it. */
export interface ObservedState {
  readonly balances: ReadonlyMap<string, { points: number; lifetimePoints: number; tier: string; purchases: number }>;
  readonly purchases: ReadonlyMap<string, Record<string, unknown>>;
  readonly emails: ReadonlyArray<{ readonly to: readonly string[]; readonly subject: string }>;
  readonly pushes: ReadonlyArray<{ readonly targetArn: string; readonly invoiceId: string; readonly key: string }>;
  readonly workflows: ReadonlyArray<{ readonly name: string; readonly status: string }>;
}

/**
 * Where a runtime stood when a scenario began on it: several scenarios of one process may take
 * turns on one runtime (`runner.ts`'s groups; each runtime costs a cold start per function), and
 * each is judged only on what happened after its mark, as if its runtime had been fresh.
 */
export interface Mark {
  /** The journal's last entry before the scenario. */
  readonly seq: number;
  /** Pushes already in the SNS outbox. */
  readonly outbox: number;
  /** Names of the workflow executions already started. */
  readonly executions: ReadonlySet<string>;
  /** DLQ messages already parked (any queue), by message id. */
  readonly dlq: ReadonlySet<string>;
  /** Faults injected so far, per switch. */
  readonly faults: Readonly<Record<keyof Figures["faultsInjected"], number>>;
  /** Balances and purchases as stored, by customer and purchase id (JSON). */
  readonly balances: ReadonlyMap<string, string>;
  readonly purchases: ReadonlyMap<string, string>;
}

/** The mark of a runtime nothing has run on yet. */
export const FRESH: Mark = { seq: 0, outbox: 0, executions: new Set(), dlq: new Set(), faults: { dynamodb: 0, ses: 0, sns: 0, consumers: 0 }, balances: new Map(), purchases: new Map() };

/** Where `runtime` stands now (see {@link Mark}); the pipeline should be quiet. */
export async function markOf(runtime: Runtime): Promise<Mark> {
  const { customers, purchases } = await loyaltySnapshot(runtime);
  const faults = runtime.faults;
  return {
    seq: runtime.journal.lastSeq,
    outbox: runtime.sns.outbox.length,
    executions: new Set(runtime.sfn.executions().map(({ name }) => name)),
    dlq: new Set(QUEUES.flatMap((queue) => runtime.sqs.dlqMessages(queue).map((message) => message.messageId))),
    faults: { dynamodb: faults.dynamodb.injected, ses: faults.ses.injected, sns: faults.sns.injected, consumers: faults.consumers.injected },
    balances: new Map(customers.map((customer) => [customer.customerId, JSON.stringify(customer)])),
    purchases: new Map(purchases.map((purchase) => [purchase.purchaseId, JSON.stringify(purchase)])),
  };
}

/** DLQ messages of `queue` parked after `since`. */
export function dlqSince(runtime: Runtime, queue: QueueName, since: Mark): DlqMessage[] {
  return runtime.sqs.dlqMessages(queue).filter((message) => !since.dlq.has(message.messageId));
}

/** The notice a push is about, from the data (`invoiceId`, `type`, `attempt`) of the SNS message as published. */
export function pushNotice(message: unknown): { invoiceId: string; key: string } {
  const gcm = JSON.parse((message as { GCM: string }).GCM) as { fcmV1Message: { message: { data: Record<string, string> } } };
  const data = gcm.fcmV1Message.message.data;
  return { invoiceId: data.invoiceId ?? "?", key: data.type === "invoice.paid" ? "paid" : `failed#${data.attempt}` };
}

/**
 * Reads the final state: ledger through the SDK, emails and pushes from the local services. After
 * `since`: balances and purchases written since (new or changed, so that a stray change to an
 * earlier scenario's customer shows as unexpected), emails, pushes and executions since.
 */
export async function observe(runtime: Runtime, since: Mark = FRESH): Promise<ObservedState> {
  const snapshot = await loyaltySnapshot(runtime);
  const customers = snapshot.customers.filter((customer) => since.balances.get(customer.customerId) !== JSON.stringify(customer));
  const purchases = snapshot.purchases.filter((purchase) => since.purchases.get(purchase.purchaseId) !== JSON.stringify(purchase));
  return {
    balances: new Map(customers.map(({ customerId, points, lifetimePoints, tier, purchases: count }) => [customerId, { points, lifetimePoints, tier, purchases: count }])),
    purchases: new Map(purchases.map((purchase) => [purchase.purchaseId, purchase])),
    emails: runtime.journal.list("effect.email", since.seq).map(({ to, subject }) => ({ to, subject })),
    pushes: runtime.sns.outbox.slice(since.outbox).map((push) => ({ targetArn: push.targetArn, ...pushNotice(push.message) })),
    workflows: runtime.sfn.executions().filter(({ name }) => !since.executions.has(name)).map(({ name, status }) => ({ name, status })),
  };
}

/** Every invoice number in the inputs, to tell notification emails from engagement emails. */
export function invoiceNumbers(waves: ReadonlyArray<readonly Envelope[]>): Set<string> {
  const numbers = new Set<string>();
  for (const wave of waves) {
    for (const envelope of wave) {
      const object = envelope.detail?.data?.object;
      if (object?.object === "invoice") numbers.add(object.number ?? object.id);
    }
  }
  return numbers;
}

function count<K>(keys: Iterable<K>): Map<K, number> {
  const counts = new Map<K, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
}

/** Differences between counts; `repeatable` allows that many more for a key (a documented repeat). */
function diffCounts(what: string, expected: ReadonlyMap<string, number>, observed: ReadonlyMap<string, number>, out: string[], repeatable?: ReadonlyMap<string, number>): void {
  for (const key of new Set([...expected.keys(), ...observed.keys()])) {
    const [want, got, extra] = [expected.get(key) ?? 0, observed.get(key) ?? 0, repeatable?.get(key) ?? 0];
    if (got < want || got > want + extra) out.push(`${what} ${key}: expected ${want}${extra ? ` (or up to ${extra} more)` : ""}, got ${got}`);
  }
}

/** A send claimed (status `sending`) but not recorded: the process died between claim and record. */
export interface LiveClaim {
  readonly invoiceId: string;
  /** `paid` or `failed#<attempt>`. */
  readonly key: string;
  readonly channel: "email" | "push";
  readonly endpoint?: string;
  /** Epoch ms when another attempt may claim the send. */
  readonly leaseUntil: number;
}

/** Sends the notifications table holds as claimed and not done (after a kill). */
export async function liveClaims(runtime: Runtime): Promise<LiveClaim[]> {
  const client = localDynamoClient(runtime);
  const claims: LiveClaim[] = [];
  try {
    for await (const page of paginateScan({ client }, { TableName: runtime.tableNames.notifications })) {
      for (const item of page.Items ?? []) {
        if (item.status !== "sending") continue;
        // sk: notice#<key>#email or notice#<key>#push#<endpoint ARN>, where <key> may hold a '#'.
        const rest = String(item.sk).slice("notice#".length);
        const push = rest.indexOf("#push#");
        claims.push({
          invoiceId: String(item.pk).slice("invoice#".length),
          key: push === -1 ? rest.slice(0, -"#email".length) : rest.slice(0, push),
          channel: push === -1 ? "email" : "push",
          ...(push === -1 ? {} : { endpoint: rest.slice(push + "#push#".length) }),
          leaseUntil: Number(item.leaseUntil),
        });
      }
    }
  } finally {
    client.destroy();
  }
  return claims;
}

/**
 * The recipients of engagement emails the loyalty table holds as claimed and not sent (after a
 * kill): the process died between the claim and the mark, maybe after SES accepted.
 */
export async function liveEngagementClaims(runtime: Runtime): Promise<string[]> {
  const client = localDynamoClient(runtime);
  const recipients: string[] = [];
  try {
    for await (const page of paginateScan({ client }, { TableName: runtime.tableNames.loyalty })) {
      for (const item of page.Items ?? []) {
        if (!String(item.pk).startsWith("ENGAGEMENT#") || !String(item.sk).startsWith("EMAIL#") || item.status !== "sending") continue;
        const execution = runtime.sfn.executions().find((e) => e.name === String(item.pk).slice("ENGAGEMENT#".length));
        const customer = (execution?.input as { stripeCustomerId?: string } | undefined)?.stripeCustomerId;
        const profile = customer ? await getProfile(customer, { client, tableName: runtime.tableNames.profiles }) : undefined;
        if (profile?.email) recipients.push(profile.email);
      }
    }
  } finally {
    client.destroy();
  }
  return recipients;
}

export interface CompareOptions {
  /** Invoice numbers of the inputs (see {@link invoiceNumbers}). */
  readonly numbers: ReadonlySet<string>;
  /**
   * Whether to compare engagement executions and their emails (the process-crash scenarios, which
   * replay the archive, check them through the ledger's `engagementExecution` instead).
   */
  readonly engagement?: boolean;
  /** Effects observed by an earlier process of the same run (before a crash). */
  readonly earlier?: Pick<ObservedState, "emails" | "pushes">;
  /**
   * Sends the process was killed between claiming and recording: each may have left before the
   * kill and go again after its lease — the one repeat the notifications consumer documents.
   */
  readonly killedMidSend?: readonly LiveClaim[];
  /** Engagement emails claimed and not marked sent at the kill ({@link liveEngagementClaims}): each may go twice. */
  readonly engagementKilledMidSend?: readonly string[];
}

/** Every difference between the expected and the observed final state; empty when they agree. */
export function compare(expected: ExpectedState, observed: ObservedState, options: CompareOptions): string[] {
  const out: string[] = [];
  for (const id of new Set([...expected.balances.keys(), ...observed.balances.keys()])) {
    const [want, got] = [expected.balances.get(id), observed.balances.get(id)];
    if (JSON.stringify(want) !== JSON.stringify(got)) out.push(`balance ${id}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
  }
  for (const id of new Set([...expected.purchases.keys(), ...observed.purchases.keys()])) {
    const [want, got] = [expected.purchases.get(id), observed.purchases.get(id)];
    if (!want || !got) {
      out.push(`purchase ${id}: expected ${want ? want.status : "none"}, got ${got ? String(got.status) : "none"}`);
      continue;
    }
    const seen = {
      status: got.status,
      ...(want.customerId !== undefined ? { customerId: got.customerId } : {}),
      ...(want.points !== undefined ? { points: got.points } : {}),
      reversedPoints: got.reversedPoints,
      refundedAmount: got.refundedAmount,
      chargedBack: got.chargedBack,
    };
    if (JSON.stringify(seen) !== JSON.stringify(want)) out.push(`purchase ${id}: expected ${JSON.stringify(want)}, got ${JSON.stringify(seen)}`);
    if (((got.unrecoveredPoints as number | undefined) ?? 0) !== 0) out.push(`purchase ${id}: ${String(got.unrecoveredPoints)} points could not be recovered`);
    if (want.status === "awarded" && got.engagementExecution !== engagementExecutionOf(id)) {
      out.push(`purchase ${id}: engagement workflow recorded ${JSON.stringify(got.engagementExecution)}, expected ${engagementExecutionOf(id)}`);
    }
  }

  const emails = [...(options.earlier?.emails ?? []), ...observed.emails];
  const noticeEmails: string[] = [];
  const engagementEmails: string[] = [];
  for (const email of emails) {
    const number = email.subject.split(/\s+/).find((word) => options.numbers.has(word));
    for (const to of email.to) (number ? noticeEmails : engagementEmails).push(number ? `${to} ${number}` : to);
  }
  const midSend = options.killedMidSend ?? [];
  const noticeOf = (claim: LiveClaim) => expected.notices.find((n) => n.invoiceId === claim.invoiceId && n.key === claim.key);
  const repeatableEmails = count(midSend.flatMap((claim) => (claim.channel === "email" && noticeOf(claim)?.email ? [`${noticeOf(claim)!.email} ${noticeOf(claim)!.number}`] : [])));
  diffCounts("notice emails to", count(expected.notices.flatMap((n) => (n.email ? [`${n.email} ${n.number}`] : []))), count(noticeEmails), out, repeatableEmails);
  if (options.engagement !== false) diffCounts("engagement emails to", expected.engagementEmails, count(engagementEmails), out, count([...(options.engagementKilledMidSend ?? [])]));

  const pushes = [...(options.earlier?.pushes ?? []), ...observed.pushes];
  const midPush = midSend.filter((claim) => claim.channel === "push");
  const repeatablePushes = count(midPush.map((claim) => `${claim.invoiceId} ${claim.key}`));
  diffCounts("pushes for", new Map(expected.notices.filter((n) => n.pushes > 0).map((n) => [`${n.invoiceId} ${n.key}`, n.pushes])), count(pushes.map((p) => `${p.invoiceId} ${p.key}`)), out, repeatablePushes);
  const perDevice = new Map([...count(pushes.map((p) => `${p.invoiceId} ${p.key} ${p.targetArn}`))].filter(([, n]) => n > 1));
  diffCounts("pushes to one device for", new Map(), perDevice, out, new Map(midPush.map((claim) => [`${claim.invoiceId} ${claim.key} ${claim.endpoint}`, 2])));

  if (options.engagement !== false) {
    diffCounts("engagement executions", count(expected.workflows), count(observed.workflows.map((w) => w.name)), out);
    for (const workflow of observed.workflows) {
      if (workflow.status !== "SUCCEEDED" && workflow.status !== "RUNNING") out.push(`engagement execution ${workflow.name}: ${workflow.status}`);
    }
  }
  return out;
}

/** Checks each bad input reached the outcome it was built for; returns the differences. */
export function checkBadInputs(runtime: Runtime, log: SendLog, since: Mark = FRESH): string[] {
  const out: string[] = [];
  const accepted = new Map(runtime.journal.list("bus.accepted", since.seq).map((entry) => [entry.eventId, entry]));
  const dlq = new Map(QUEUES.map((queue) => [queue, dlqSince(runtime, queue, since)]));
  for (const { input, result } of log.bad) {
    const expect = input.expect;
    const what = `bad input "${input.label}"`;
    switch (expect.outcome) {
      case "rejected":
        if (!("ErrorCode" in result) || result.ErrorCode !== expect.code) out.push(`${what}: expected rejection ${expect.code}, got ${JSON.stringify(result)}`);
        break;
      case "request-refused":
        if (!("refused" in result) || result.refused !== expect.code) out.push(`${what}: expected the request refused with ${expect.code}, got ${JSON.stringify(result)}`);
        break;
      case "unmatched": {
        const entry = "EventId" in result ? accepted.get(result.EventId) : undefined;
        if (!entry || entry.matchedRules.length > 0) out.push(`${what}: expected accepted and unmatched, got ${JSON.stringify(entry?.matchedRules ?? result)}`);
        break;
      }
      case "dlq": {
        const mapping = runtime.mappings.get(expect.queue)!;
        const parked = (dlq.get(expect.queue) ?? []).filter((message) =>
          input.via === "queue" ? message.body === input.body : stripeIdOf(message.body) === input.stripeEventId,
        );
        const reasons = parked.map((message) => mapping.errorFor(message.messageId) ?? "(no reason)");
        if (parked.length === 0) out.push(`${what}: expected in the ${expect.queue} DLQ, not there`);
        else if (!reasons.every((reason) => reason.includes(expect.reason))) out.push(`${what}: DLQ reason ${JSON.stringify(reasons)} lacks "${expect.reason}"`);
        break;
      }
    }
  }
  return out;
}

/** Nothing lost: every accepted good event that a rule routed was consumed (a success on record). */
export function checkNothingLost(runtime: Runtime, log: SendLog, since: Mark = FRESH): string[] {
  const consumed = new Set(runtime.journal.list("consumer.attempt", since.seq).flatMap((a) => (a.outcome === "succeeded" && a.eventId ? [a.eventId] : [])));
  const routed = new Map(runtime.journal.list("bus.accepted", since.seq).map((entry) => [entry.eventId, entry.matchedRules.length]));
  const lost = log.goodEventIds.filter((id) => (routed.get(id) ?? 0) > 0 && !consumed.has(id));
  return [
    ...log.goodRejected.map((reason) => `good input rejected by the bus: ${reason}`),
    ...(lost.length > 0 ? [`${lost.length} routed event(s) never consumed, e.g. ${lost.slice(0, 3).join(", ")}`] : []),
  ];
}

/** The report's figures for one run. */
export interface Figures {
  readonly eventsIn: { sent: number; accepted: number; rejected: number; refusedRequests: number; unmatched: number; queuedDirectly: number };
  readonly deliveries: {
    consumerAttempts: number;
    succeeded: number;
    failedAttempts: number;
    timedOut: number;
    retries: number;
    duplicatesSuppressed: number;
  };
  readonly dlq: { entries: number; redriven: number; remaining: number };
  readonly faultsInjected: { dynamodb: number; ses: number; sns: number; consumers: number };
  readonly effectsOut: {
    notificationEmails: number;
    engagementEmails: number;
    pushes: number;
    purchasesCredited: number;
    reversals: number;
    pointsOutstanding: number;
    workflows: number;
  };
  readonly mismatches: number;
}

/**
 * Figures from the journal and the observed state. Duplicates suppressed: successful deliveries
 * of a Stripe event a consumer had already consumed (redeliveries, copies, replays), whose effects
 * the comparison with the oracle proves were not repeated.
 */
export function figures(runtime: Runtime, log: SendLog, observed: ObservedState, numbers: ReadonlySet<string>, mismatches: number, since: Mark = FRESH): Figures {
  // Stripe events and their consumers: the loyalty events they cause (and those events' consumers) are not inputs.
  const attempts = runtime.journal.list("consumer.attempt", since.seq).filter((a) => !LOYALTY_EVENT_QUEUES.has(a.queue));
  const succeeded = attempts.filter((a) => a.outcome === "succeeded");
  const firsts = new Set(succeeded.map((a) => `${a.queue} ${a.stripeEventId ?? a.messageId}`));
  const accepted = runtime.journal.list("bus.accepted", since.seq).filter((entry) => !entry.replayName && entry.source !== LOYALTY_SOURCE);
  const notificationEmails = observed.emails.filter((email) => email.subject.split(/\s+/).some((word) => numbers.has(word))).length;
  const purchases = [...observed.purchases.values()];
  return {
    eventsIn: {
      sent: log.sent,
      accepted: accepted.length,
      rejected: log.bad.filter((b) => "ErrorCode" in b.result).length + log.goodRejected.length,
      refusedRequests: log.bad.filter((b) => "refused" in b.result).length,
      unmatched: accepted.filter((entry) => entry.matchedRules.length === 0).length,
      queuedDirectly: log.bad.filter((b) => "queued" in b.result).length,
    },
    deliveries: {
      consumerAttempts: attempts.length,
      succeeded: succeeded.length,
      failedAttempts: attempts.length - succeeded.length,
      timedOut: attempts.filter((a) => a.outcome === "timed-out").length,
      retries: attempts.filter((a) => a.receiveCount > 1).length,
      duplicatesSuppressed: succeeded.length - firsts.size,
    },
    dlq: {
      entries: runtime.journal.list("queue.dlq", since.seq).length,
      redriven: log.redriven,
      remaining: QUEUES.reduce((sum, queue) => sum + dlqSince(runtime, queue, since).length, 0),
    },
    faultsInjected: {
      dynamodb: runtime.faults.dynamodb.injected - since.faults.dynamodb,
      ses: runtime.faults.ses.injected - since.faults.ses,
      sns: runtime.faults.sns.injected - since.faults.sns,
      consumers: runtime.faults.consumers.injected - since.faults.consumers,
    },
    effectsOut: {
      notificationEmails,
      engagementEmails: observed.emails.length - notificationEmails,
      pushes: observed.pushes.length,
      purchasesCredited: purchases.filter((p) => p.status === "awarded").length,
      reversals: purchases.filter((p) => ((p.reversedPoints as number) ?? 0) > 0).length,
      pointsOutstanding: [...observed.balances.values()].reduce((sum, b) => sum + b.points, 0),
      workflows: observed.workflows.length,
    },
    mismatches,
  };
}

/** The oracle's expectation for a scenario. */
export function expectationFor(scenario: Scenario): ExpectedState {
  return expectedState(scenario.waves, scenario.loyaltyConfig as OracleLoyaltyConfig, scenario.profiles);
}
