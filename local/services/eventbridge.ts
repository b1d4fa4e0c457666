/**
 * EventBridge, answered in process: the bus with the declared rules (matched by the pattern
 * engine), their targets bound to the local queues and state machines, the archive, and the
 * deliveries a stopped process left unfinished (resumed once the runtime is ready).
 */
import { join } from "node:path";
import { ruleList } from "../../declarations/rules.ts";
import { Archive } from "../archive.ts";
import { DeliveryLog } from "../bus-deliveries.ts";
import { LocalEventBus, type PutEventsEntry } from "../eventbridge.ts";
import { Replays } from "../eventbridge/replays.ts";
import { eventArchiveName } from "../../stacks/plan.ts";
import { PROJECT_ROOT } from "../project-root.ts";
import { bindTarget } from "../runtime-bindings.ts";
import type { RuntimeOptions } from "../runtime-options.ts";
import { defineService } from "../service.ts";

export interface EventBridgeService {
  readonly bus: LocalEventBus;
  readonly archive: Archive;
  /** The archive's replays (EventBridge's replay API, `paybus replay`, the dashboard). */
  readonly replays: Replays;
}

export const eventBridgeService = defineService({
  name: "eventbridge",
  routing: { service: "events", targetPrefixes: ["AWSEvents"], signingNames: ["events"] },
  async start({ runtime, region, accountId, prefix, busName, timeScale, dataDir, durableDir, journal, options, warn }) {
    const archive = busArchive(dataDir, busName, options);
    const deliveries = durableDir ? new DeliveryLog(join(durableDir, "archive", `${busName}.delivered.jsonl`)) : undefined;
    const bus = new LocalEventBus({
      name: busName,
      region,
      accountId,
      rules: options.rules ?? ruleList,
      targets: (rule) => bindTarget(runtime, rule),
      journal,
      archive,
      retryTimeScale: timeScale,
      warn,
      // Deliveries not finished when the process stopped are resumed when ready (without a data
      // directory the archive is scratch space and nothing is resumed; in memory, the queues they
      // would resume into are gone with the process: nothing to resume either).
      ...(deliveries ? { deliveries } : {}),
    });
    // The queues (and the target DLQs the bus just created) are on disk before anything is accepted.
    await runtime.sqs.engine.durable();
    const replays = new Replays(bus, { archiveName: eventArchiveName(prefix), retentionDays: runtime.plan.bus.archive.retentionDays });
    const handle: EventBridgeService = { bus, archive, replays };
    return {
      handle,
      api: { service: "events", inProcess: { prefix: "AWSEvents", operations: { ...bus.operations(), ...replays.operations() } } },
      ready: () => void bus.resumeDeliveries(),
      stop: async () => {
        archive.close();
        deliveries?.close();
      },
    };
  },
});

/**
 * The bus's archive: `archive/<bus>.jsonl` in the data directory (`.paybus/tmp/` without one), or in
 * memory with `archiveInMemory`.
 */
export function busArchive(dataDir: string | undefined, busName: string, options: Pick<RuntimeOptions, "archiveInMemory">): Archive {
  if (options.archiveInMemory) return Archive.inMemory();
  return new Archive(join(dataDir ?? join(PROJECT_ROOT, ".paybus", "tmp"), "archive", `${busName}.jsonl`));
}

/** A PutEvents entry from an envelope as delivered to targets (the shape of the fixtures). */
export function envelopeToEntry(envelope: Record<string, unknown>): PutEventsEntry {
  return {
    Source: envelope.source as string,
    DetailType: envelope["detail-type"] as string,
    ...(envelope.detail === undefined ? {} : { Detail: JSON.stringify(envelope.detail) }),
    Resources: Array.isArray(envelope.resources) ? (envelope.resources as string[]) : [],
    ...(typeof envelope.time === "string" ? { Time: envelope.time } : {}),
  };
}
