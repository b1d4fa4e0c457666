/**
 * The process the process-crash scenario kills: a local runtime on a data directory, fed the
 * crash scenario wave by wave (the last one paced, so that the kill lands while events are still
 * arriving and being consumed). It reports on stdout, one JSON object per line, what the parent
 * cannot read after the kill: the events the bus accepted, each consumer success, each email and
 * push sent.
 *
 * Usage: `node --import tsx test/reliability/crash-child.ts '{"dataDir":"…","seed":1,"events":300,"moment":"loyalty"}'`
 */
import { Runtime } from "../../local/runtime.ts";
import { newSendLog, pushNotice, runtimeOptions, seedProfiles, sendGood, settle, SETTLE_TIMEOUT_MS } from "./harness.ts";
import { crashScenario, type CrashMoment } from "./scenario.ts";

/** One line of the child's report. */
export type CrashChildLine =
  | { readonly ready: true }
  | { readonly wave: number }
  | { readonly accepted: readonly string[] }
  | { readonly consumed: string }
  | { readonly email: { readonly to: readonly string[]; readonly subject: string } }
  | { readonly push: { readonly targetArn: string; readonly invoiceId: string; readonly key: string } }
  | { readonly done: true };

const { dataDir, seed, events, moment } = JSON.parse(process.argv[2] ?? "{}") as { dataDir: string; seed: number; events: number; moment: CrashMoment };
const say = (line: CrashChildLine) => process.stdout.write(`${JSON.stringify(line)}\n`);

const scenario = crashScenario(seed, events, moment);
const runtime = await Runtime.start(runtimeOptions(scenario, dataDir));
await seedProfiles(runtime, scenario.profiles);
runtime.journal.onEntry((entry) => {
  if (entry.kind === "consumer.attempt" && entry.outcome === "succeeded") say({ consumed: entry.queue });
  if (entry.kind === "effect.email") say({ email: { to: entry.to, subject: entry.subject } });
  if (entry.kind === "effect.push" && entry.status === "delivered") {
    // Journaled right after the push joined the outbox, which has the notice data.
    const push = runtime.sns.outbox.at(-1)!;
    say({ push: { targetArn: push.targetArn, ...pushNotice(push.message) } });
  }
});
say({ ready: true });

const log = newSendLog();
for (const [index, wave] of scenario.waves.entries()) {
  say({ wave: index });
  const last = index === scenario.waves.length - 1;
  for (let offset = 0; offset < wave.length; offset += 10) {
    const before = log.goodEventIds.length;
    sendGood(runtime, wave.slice(offset, offset + 10), log);
    say({ accepted: log.goodEventIds.slice(before) });
    if (last) await new Promise((resolve) => setTimeout(resolve, 80));
  }
  await settle(runtime, log, () => false, SETTLE_TIMEOUT_MS);
}
say({ done: true });
await runtime.stop();
