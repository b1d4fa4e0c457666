/**
 * The live dashboard, served by the local runtime's gateway. This module composes it: the routes
 * (`routes.ts`), the live streams (`stream-hub.ts`), and one read model per view — Events
 * (`events.ts`, on the lifecycle projection `local/lifecycle.ts`), Flow (`flow-stats.ts`), and the
 * state snapshot (`state.ts`) that DLQs, Loyalty, Customers, Outbox and Workflows read from. Actions
 * (send, replay, redrive, discard, complete a task) go to the admin API under `/_paybus/`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { fixtureNames } from "../fixtures/index.ts";
import type { Recorded } from "../local/journal.ts";
import { lifecyclesOf } from "../local/lifecycle.ts";
import type { Runtime } from "../local/runtime.ts";
import { readDefinition, stateMachines } from "../workflows/index.ts";
import { aslGraph } from "./asl.ts";
import { eventDetail, EventRows } from "./events.ts";
import { FlowModel } from "./flow-stats.ts";
import type { DashboardState, Graph, InitMessage } from "./protocol.ts";
import { dashboardRoute, send } from "./routes.ts";
import { StateReader } from "./state.ts";
import { StreamHub, StreamRefusedError } from "./stream-hub.ts";

export interface DashboardOptions {
  /** Milliseconds between live updates while a page is connected; default 250. */
  readonly tickMs?: number;
  /** Milliseconds after which the engines are read again even without news; default 3000. */
  readonly idleRefreshMs?: number;
  /** Live streams served at once; more are refused with 503 (a tab per stream); default 32. */
  readonly maxStreams?: number;
  /**
   * Bytes a stream may have waiting in its socket buffer (the reader is not keeping up) before it
   * is dropped; the page reconnects and starts afresh from `init`. Default 1 MiB.
   */
  readonly maxBufferedBytes?: number;
  /** How long a stream may stay backed up (its buffer never drains) before it is dropped; default 30 s. */
  readonly slowReaderMs?: number;
}

/** A dashboard mounted on a runtime. */
export interface Dashboard {
  /** The gateway route to add with `runtime.addRoute`. */
  readonly route: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;
  /** Ends every live stream and stops listening to the runtime (before `runtime.stop()`). */
  close(): Promise<void>;
  /** How many live streams are open now. */
  readonly streams: number;
}

/** Mounts the dashboard on a running runtime. */
export function startDashboard(runtime: Runtime, options: DashboardOptions = {}): Dashboard {
  const tickMs = options.tickMs ?? 250;
  const idleRefreshMs = options.idleRefreshMs ?? 3000;
  const workflowGraphs: Record<string, Graph> = Object.fromEntries(Object.keys(stateMachines).map((name) => [name, aslGraph(readDefinition(name as keyof typeof stateMachines))]));
  // The projection subscribes to the journal first, so it has folded each entry before we hear of it.
  const lifecycles = lifecyclesOf(runtime);
  const rows = new EventRows(lifecycles);
  const flow = new FlowModel(runtime);
  const reader = new StateReader(runtime, workflowGraphs);
  const dirtyRows = new Set<string>();
  let stateDirty = true;
  let state: DashboardState | null = null;
  let lastState = "";
  let lastFlow = "";
  let stateReadAt = 0;
  let reading: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const hub = new StreamHub({
    maxStreams: options.maxStreams ?? 32,
    maxBufferedBytes: options.maxBufferedBytes ?? 1024 * 1024,
    slowReaderMs: options.slowReaderMs ?? 30_000,
    onFirst: () => (timer ??= setInterval(tick, tickMs).unref()),
    onEmpty: () => {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  });

  const apply = (entry: Recorded) => {
    const id = lifecycles.eventOf(entry);
    if (id) dirtyRows.add(id);
    flow.apply(entry);
    stateDirty = true;
  };
  runtime.journal.list().forEach((entry) => flow.apply(entry));
  const unsubscribeJournal = runtime.journal.onEntry(apply);
  const unsubscribeWorkflows = runtime.sfn.onChange(() => (stateDirty = true));

  const eventTypes = () => new Map(rows.rows().flatMap((row) => (row.stripeEventId ? [[row.stripeEventId, row.type] as const] : [])));

  const readState = (): Promise<void> => {
    stateDirty = false;
    stateReadAt = Date.now();
    reading = reader
      .read(eventTypes())
      .then((next) => {
        state = next;
        const text = JSON.stringify(next);
        if (text !== lastState) {
          lastState = text;
          hub.broadcast("state", next);
        }
      })
      .catch((error: Error) => {
        if (!closed) hub.broadcast("problem", { message: `could not read the engines: ${error.message}` });
      })
      .finally(() => (reading = undefined));
    return reading;
  };

  const update = () => {
    if (dirtyRows.size > 0) {
      hub.broadcast("rows", [...dirtyRows].flatMap((id) => rows.row(id) ?? []));
      dirtyRows.clear();
    }
    const stats = flow.stats(state);
    const text = JSON.stringify(stats);
    if (text !== lastFlow) {
      lastFlow = text;
      hub.broadcast("flow", stats);
    }
    if (!reading && (stateDirty || Date.now() - stateReadAt >= idleRefreshMs)) void readState();
    hub.sweep();
  };

  function tick() {
    try {
      update();
    } catch (error) {
      // A timer callback must not take the runtime down; the page shows what went wrong.
      hub.broadcast("problem", { message: `the dashboard could not update: ${(error as Error).message}` });
    }
  }

  const stream = (_req: IncomingMessage, res: ServerResponse): void => {
    if (closed) return void send(res, 503, "text/plain", "the dashboard is shutting down");
    const init: InitMessage = {
      busName: runtime.busName,
      gateway: runtime.gatewayUrl,
      flowGraph: flow.graph,
      workflowGraphs,
      fixtures: [...fixtureNames],
      rows: rows.rows(),
      flow: flow.stats(state),
      state,
    };
    try {
      hub.open(res, { event: "init", data: init });
    } catch (error) {
      if (!(error instanceof StreamRefusedError)) throw error;
      return void send(res, 503, "text/plain", error.message, { "retry-after": "10" });
    }
    if (!state && !reading) void readState();
  };

  const route = dashboardRoute({
    stream,
    refresh: () => (stateDirty = true),
    eventDetail: (id) => eventDetail(rows, lifecycles, id, state),
    email: async (messageId) => (await runtime.ses.emails()).find((candidate) => candidate.messageId === messageId)?.body,
  });

  return {
    route,
    get streams() {
      return hub.size;
    },
    close: async () => {
      closed = true;
      if (timer) clearInterval(timer);
      timer = undefined;
      unsubscribeJournal();
      unsubscribeWorkflows();
      hub.close();
      await reading;
      reader.close();
    },
  };
}
