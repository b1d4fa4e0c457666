/**
 * The endpoint's own figures for `bench/dynamo.ts`: `UpdateItem` (`ADD`) with {@link CONCURRENCY}
 * in flight, with the endpoint in a worker thread of this process (as the runtime runs it) and in a
 * process of its own, from load generators that leave it the cores:
 *
 * - **SDK clients in two worker threads** (`bench/dynamo-clients.ts`, 16 in flight each, each a
 *   {@link throughputClient}): the real SDK end to end. The SDK costs more CPU per call than the
 *   endpoint, so on two cores this rate is still mostly the clients'.
 * - **the SDK's requests replayed** (`dynamo-replay.ts`): the same requests, as the SDK wrote them,
 *   sent over {@link CONCURRENCY} keep-alive connections from this thread at a small fraction of
 *   the SDK's CPU: the rate the endpoint sustains.
 * - **handed over as messages** (`LocalDynamo.serve`, worker placement only): the runtime's path,
 *   where the gateway has read the request and the endpoint answers without HTTP.
 *
 * Each row gives the endpoint's CPU per request (its thread's, or its process's) and the callers'
 * (the client threads', or this thread's), from /proc; the balances must hold every `ADD` sent.
 */
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { tables } from "../functions/common/tables.ts";
import { startLocalDynamo } from "../local/dynamodb/index.ts";
import { CLIENT_PROCESSES, CONCURRENCY, pointsHeld, pool, spreadClients, startChildEndpoint, throughputClient, UPDATES, WARM_UP } from "./dynamo-elsewhere.ts";
import { addressed, captureUpdates, replay, threadCpuMicros } from "./dynamo-replay.ts";

/** Requests per replayed measurement (a replay is fast: more requests, a steadier figure). */
const REPLAYED = 12_000;
const REPLAY_WARM_UP = 1_000;

/** One measurement: the rate and the CPU per request, µs, of the endpoint and of its callers. */
export interface EngineRow {
  readonly placement: "worker thread" | "own process";
  readonly generator: "SDK clients, 2 threads" | "SDK requests replayed" | "handed over as messages";
  readonly updateItemPerSecond: number;
  readonly endpointCpuMicroseconds: number | undefined;
  readonly callersCpuMicroseconds: number | undefined;
  readonly loadAverage: number;
}

interface Placement {
  readonly name: EngineRow["placement"];
  readonly endpoint: string;
  readonly table: string;
  /** The endpoint's CPU so far, µs. */
  readonly cpu: () => number | undefined | Promise<number | undefined>;
  /** `ADD`s sent to its table so far. */
  sent: number;
}

/**
 * Measures every placement × generator `runs` times (interleaved, so that a change in the
 * machine's load spreads over all of them); returns the rows of each run.
 */
export async function engineFigures(runs: number, log: (row: EngineRow) => void = () => undefined): Promise<EngineRow[]> {
  const worker = await startLocalDynamo({ ttlSweepIntervalMs: 0 });
  const child = await startChildEndpoint("paybus");
  const checkers = [throughputClient(worker.endpoint), throughputClient(child.endpoint)];
  try {
    const workerTable = (await worker.createTables({ loyalty: tables.loyalty }, "engine")).loyalty;
    const tid = worker.osThreadId;
    const placements: Placement[] = [
      // Without a thread id (not Linux) the endpoint's CPU cannot be told from this process's.
      { name: "worker thread", endpoint: worker.endpoint, table: workerTable, cpu: () => (tid === undefined ? undefined : threadCpuMicros(tid)), sent: 0 },
      { name: "own process", endpoint: child.endpoint, table: child.table, cpu: child.cpu, sent: 0 },
    ];
    const rows: EngineRow[] = [];
    const record = (row: Omit<EngineRow, "loadAverage">) => {
      const full = { ...row, loadAverage: Number(loadavg()[0]!.toFixed(1)) };
      rows.push(full);
      log(full);
    };
    const requests = new Map<Placement, Buffer[]>();
    for (const placement of placements) requests.set(placement, addressed(await captureUpdates(placement.table), placement.endpoint));
    for (let run = 0; run < runs; run++) {
      for (const [index, placement] of placements.entries()) {
        const sdk = await spreadClients(placement.endpoint, placement.table, "threads", placement.cpu);
        placement.sent += CLIENT_PROCESSES * (WARM_UP + Math.round(UPDATES / CLIENT_PROCESSES));
        record({ placement: placement.name, generator: "SDK clients, 2 threads", updateItemPerSecond: sdk.rate, endpointCpuMicroseconds: sdk.endpointCpuPerOperation, callersCpuMicroseconds: sdk.clientCpuPerOperation });

        const replayed = await measured(placement.cpu, REPLAYED, async () => {
          await replay(placement.endpoint, requests.get(placement)!, REPLAY_WARM_UP);
        }, () => replay(placement.endpoint, requests.get(placement)!, REPLAYED));
        placement.sent += REPLAY_WARM_UP + REPLAYED;
        record({ placement: placement.name, generator: "SDK requests replayed", ...replayed });

        if (placement.name === "worker thread") {
          const bodies = requests.get(placement)!.map((request) => request.subarray(request.indexOf("\r\n\r\n") + 4).toString("utf8"));
          const serve = async (i: number) => {
            const answer = await worker.serve("DynamoDB_20120810.UpdateItem", bodies[i % bodies.length]!);
            if (answer.status !== 200) throw new Error(`bench: the endpoint answered ${answer.status}: ${answer.text}`);
          };
          const handedOver = await measured(placement.cpu, REPLAYED, () => pool(REPLAY_WARM_UP, serve), () => pool(REPLAYED, serve));
          placement.sent += REPLAY_WARM_UP + REPLAYED;
          record({ placement: placement.name, generator: "handed over as messages", ...handedOver });
        }
        // Every ADD sent must be in the balances: a rate of lost or misdirected writes is no rate.
        const held = await pointsHeld(checkers[index]!, placement.table);
        if (held !== placement.sent) throw new Error(`bench: the balances (${placement.name}) hold ${held} points after ${placement.sent} ADDs`);
      }
    }
    return rows;
  } finally {
    for (const checker of checkers) checker.destroy();
    child.close();
    await worker.close();
  }
}

/**
 * Runs `warmUp`, then `work` (`count` requests sent from this thread): the rate, the endpoint's
 * CPU per request (by `endpointCpu`) and this thread's.
 */
async function measured(
  endpointCpu: () => number | undefined | Promise<number | undefined>,
  count: number,
  warmUp: () => Promise<unknown>,
  work: () => Promise<unknown>,
): Promise<Pick<EngineRow, "updateItemPerSecond" | "endpointCpuMicroseconds" | "callersCpuMicroseconds">> {
  await warmUp();
  const endpointBefore = await endpointCpu();
  const callerBefore = threadCpuMicros();
  const started = performance.now();
  await work();
  const elapsed = performance.now() - started;
  const callerAfter = threadCpuMicros();
  const endpointAfter = await endpointCpu();
  const per = (before: number | undefined, after: number | undefined) => (before === undefined || after === undefined ? undefined : Math.round((after - before) / count));
  return { updateItemPerSecond: Math.round(count / (elapsed / 1000)), endpointCpuMicroseconds: per(endpointBefore, endpointAfter), callersCpuMicroseconds: per(callerBefore, callerAfter) };
}

/** `min–max` of the rows' `field` for one placement and generator, over the runs. */
export function range(rows: readonly EngineRow[], placement: EngineRow["placement"], generator: EngineRow["generator"], field: "updateItemPerSecond" | "endpointCpuMicroseconds" | "callersCpuMicroseconds"): string {
  const values = rows.filter((row) => row.placement === placement && row.generator === generator).flatMap((row) => (row[field] === undefined ? [] : [row[field]!]));
  if (values.length === 0) return "n/a";
  const [low, high] = [Math.min(...values), Math.max(...values)];
  return low === high ? String(low) : `${low}–${high}`;
}

