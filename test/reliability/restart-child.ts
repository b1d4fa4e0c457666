/**
 * The process the restart scenario kills: a local runtime on a data directory, fed the crash
 * scenario's waves (invoices first, settled: emails and pushes sent, poison messages parked in the
 * loyalty DLQ), then the loyalty wave, paced, so that the kill lands while events are arriving,
 * queued and being consumed, and engagement workflows are running or parked on their follow-up
 * task token. It reports
 * on stdout, one JSON object per line, what the parent cannot read after the kill.
 *
 * Usage: `node --import tsx test/reliability/restart-child.ts '{"dataDir":"…","seed":1,"events":300,"poison":3}'`
 */
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { Runtime } from "../../local/runtime.ts";
import { newSendLog, runtimeOptions, seedProfiles, sendGood, settle, SETTLE_TIMEOUT_MS } from "./harness.ts";
import { crashScenario } from "./scenario.ts";

/** One line of the child's report. */
export type RestartChildLine =
  | { readonly ready: true }
  | { readonly wave: number }
  | { readonly accepted: readonly string[] }
  | { readonly poison: string }
  | { readonly consumed: string }
  | { readonly settled: { readonly dlq: number } }
  | { readonly workflow: string }
  | { readonly done: true };

const { dataDir, seed, events, poison } = JSON.parse(process.argv[2] ?? "{}") as { dataDir: string; seed: number; events: number; poison: number };
const say = (line: RestartChildLine) => process.stdout.write(`${JSON.stringify(line)}\n`);

/** Bodies no consumer can decode: each fails every attempt and is parked in the DLQ with its reason. */
export function poisonBodies(count: number, seed: number): string[] {
  return Array.from({ length: count }, (_, i) => JSON.stringify({ restartScenario: seed, poison: i, note: "not an EventBridge envelope" }));
}

const scenario = crashScenario(seed, events, "loyalty");
const runtime = await Runtime.start(runtimeOptions(scenario, dataDir));
await seedProfiles(runtime, scenario.profiles);
runtime.journal.onEntry((entry) => {
  if (entry.kind === "consumer.attempt" && entry.outcome === "succeeded") say({ consumed: entry.queue });
  if (entry.kind === "workflow.started") say({ workflow: entry.executionArn });
});
say({ ready: true });

const log = newSendLog();
const bodies = poisonBodies(poison, seed);
const keep = (message: { body: string }) => bodies.includes(message.body);
const lastWave = scenario.waves.length - 1;
for (const [index, wave] of scenario.waves.entries()) {
  say({ wave: index });
  if (index === 0) {
    for (const body of bodies) {
      await runtime.sqs.client.send(new SendMessageCommand({ QueueUrl: runtime.sqs.queue("loyalty").url, MessageBody: body }));
      say({ poison: body });
    }
  }
  for (let offset = 0; offset < wave.length; offset += 10) {
    const before = log.goodEventIds.length;
    sendGood(runtime, wave.slice(offset, offset + 10), log);
    say({ accepted: log.goodEventIds.slice(before) });
    if (index === lastWave) await new Promise((resolve) => setTimeout(resolve, 80));
  }
  await settle(runtime, log, keep, SETTLE_TIMEOUT_MS);
  if (index === lastWave - 1) {
    say({ settled: { dlq: runtime.sqs.dlqMessages("loyalty").length } });
  }
}
say({ done: true });
await runtime.stop();
