/**
 * The live dashboard, served by the local runtime's gateway: the page at `/`, its script (the
 * TypeScript in `dashboard/client/`, bundled by esbuild on first request and cached), and a
 * Server-Sent Events stream fed by the journal and by periodic reads of the engines. Actions
 * (send, replay, redrive, discard, complete a task) go to the admin API under `/_paybus/`.
 */
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import { queues, ruleList } from "../events/rules.ts";
import { fixtureNames, fixtureText } from "../fixtures/index.ts";
import type { Recorded } from "../local/journal.ts";
import { queueStatus, type Runtime } from "../local/runtime.ts";
import { readDefinition, stateMachines } from "../workflows/index.ts";
import { ArchiveTail } from "./archive-tail.ts";
import { aslGraph } from "./asl.ts";
import { EventIndex, timeline } from "./events.ts";
import { effectEdges, FlowCounters, flowGraph, machineName, type FlowDeclarations } from "./flow.ts";
import type { DashboardState, EventDetail, EventRow, FlowStats, Graph, InitMessage, StreamMessages, TimelineItem } from "./protocol.ts";
import { StateReader } from "./state.ts";

const DASHBOARD_DIR = fileURLToPath(new URL(".", import.meta.url));
const API = "/dashboard/api";

/** The page may load its own script, style and frames, and nothing from anywhere else. */
const PAGE_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
/** A rendered email: its own inline styles, no scripts, no remote images or fonts. */
const EMAIL_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; frame-ancestors 'self'";

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

/** The declarations the flow view draws, for this runtime's rules. */
function declarations(runtime: Runtime): FlowDeclarations {
  return {
    busName: runtime.busName,
    rules: runtime.options.rules ?? ruleList,
    queues,
    stateMachines: Object.fromEntries(
      Object.entries(stateMachines).map(([name, machine]) => [name, { email: Object.values(machine.functions).some((fn) => "email" in fn.access && fn.access.email) }]),
    ),
  };
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): true {
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body), "cache-control": "no-store", "x-content-type-options": "nosniff", ...headers });
  res.end(body);
  return true;
}

const sendJson = (res: ServerResponse, status: number, body: unknown) => send(res, status, "application/json", JSON.stringify(body));

/** Thrown for a path that is not valid percent-encoding (`%E0%A4%A`): the caller's mistake. */
class MalformedPathError extends Error {
  override name = "MalformedPathError";
}

function decodePathPart(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new MalformedPathError(`malformed percent-encoding in the path: ${text.slice(0, 80)}`);
  }
}

let bundle: Promise<string> | undefined;

/** The page's script: `dashboard/client/main.ts` and its imports as one ES module, built once. */
function clientBundle(): Promise<string> {
  bundle ??= import("esbuild")
    .then((esbuild) =>
      esbuild.build({
        entryPoints: [`${DASHBOARD_DIR}client/main.ts`],
        bundle: true,
        format: "esm",
        platform: "browser",
        target: "es2022",
        write: false,
        legalComments: "none",
        logLevel: "silent",
      }),
    )
    .then((result) => result.outputFiles[0]!.text)
    .catch((error: Error) => {
      bundle = undefined;
      throw error;
    });
  return bundle;
}

/** Mounts the dashboard on a running runtime. */
export function startDashboard(runtime: Runtime, options: DashboardOptions = {}): Dashboard {
  const tickMs = options.tickMs ?? 250;
  const maxStreams = options.maxStreams ?? 32;
  const maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
  const slowReaderMs = options.slowReaderMs ?? 30_000;
  /** When each backed-up stream last had its buffer full (absent: it is keeping up). */
  const backedUpSince = new Map<ServerResponse, number>();
  const idleRefreshMs = options.idleRefreshMs ?? 3000;
  const flowDeclarations = declarations(runtime);
  const graph = flowGraph(flowDeclarations);
  const workflowGraphs: Record<string, Graph> = Object.fromEntries(Object.keys(stateMachines).map((name) => [name, aslGraph(readDefinition(name as keyof typeof stateMachines))]));
  const index = new EventIndex(flowDeclarations.rules);
  const counters = new FlowCounters(flowDeclarations, runtime.prefix);
  const reader = new StateReader(runtime, workflowGraphs);
  const tail = new ArchiveTail(runtime.archive.file);
  const bodies = new Map<string, unknown>();
  const lookedUp = new Set<string>();
  const clients = new Set<ServerResponse>();
  const dirtyRows = new Set<string>();
  let stateDirty = true;
  let state: DashboardState | null = null;
  let lastState = "";
  let lastFlow = "";
  let stateReadAt = 0;
  let reading: Promise<void> | undefined;
  let heartbeatAt = Date.now();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const apply = (entry: Recorded) => {
    const id = index.apply(entry);
    if (id) dirtyRows.add(id);
    counters.apply(entry);
    stateDirty = true;
  };
  runtime.journal.list().forEach(apply);
  const unsubscribeJournal = runtime.journal.onEntry(apply);
  const unsubscribeWorkflows = runtime.sfn.onChange(() => (stateDirty = true));

  /** Ends a stream whose reader does not keep up: its messages would pile up in memory (the page reconnects). */
  const drop = (client: ServerResponse) => {
    clients.delete(client);
    backedUpSince.delete(client);
    client.destroy();
  };

  /** Writes to every stream; a stream whose buffer stays full (a reader that stopped reading) is dropped. */
  const write = (client: ServerResponse, text: string) => {
    if (client.destroyed) return;
    // What is still waiting from earlier messages: one large message alone is no sign of a slow reader.
    if (client.writableLength > maxBufferedBytes) return drop(client);
    const accepted = client.write(text);
    if (accepted) backedUpSince.delete(client);
    else if (!backedUpSince.has(client)) {
      backedUpSince.set(client, Date.now());
      client.once("drain", () => backedUpSince.delete(client));
    }
  };

  const broadcast = <K extends keyof StreamMessages>(event: K, data: StreamMessages[K]) => {
    if (clients.size === 0) return;
    const text = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const client of clients) write(client, text);
  };

  /** Envelopes of new events: appended to the archive; replays and earlier events looked up once. */
  const fillBodies = () => {
    for (const [id, envelope] of tail.read()) {
      bodies.set(id, envelope);
      if (index.setBody(id, envelope)) dirtyRows.add(id);
    }
    const missing = index.missingBodies().filter((id) => !lookedUp.has(id) && index.origin(id)?.stripeEventId);
    if (missing.length === 0) return;
    const wanted = new Map(missing.map((id) => [id, index.origin(id)!]));
    const archived = runtime.archive.read({ stripeEventIds: [...new Set([...wanted.values()].map((o) => o.stripeEventId!))] }).map((a) => JSON.parse(a.event) as Record<string, any>);
    for (const [id, origin] of wanted) {
      lookedUp.add(id);
      const original = archived.find((event) => event.id === id) ?? archived.find((event) => event.detail?.id === origin.stripeEventId);
      if (!original) continue;
      // A replay is the archived event under a new envelope id, with the replay's name.
      const envelope = original.id === id ? original : { ...original, id, ...(origin.replayName ? { "replay-name": origin.replayName } : {}) };
      bodies.set(id, envelope);
      if (index.setBody(id, envelope)) dirtyRows.add(id);
    }
  };

  const flowStats = (): FlowStats => {
    const workflows: FlowStats["workflows"] = {};
    for (const execution of runtime.sfn.executions()) {
      const name = machineName(execution.stateMachineArn, runtime.prefix);
      const counts = (workflows[name] ??= { running: 0, succeeded: 0, failed: 0 }) as { running: number; succeeded: number; failed: number };
      if (execution.status === "RUNNING") counts.running++;
      else if (execution.status === "SUCCEEDED") counts.succeeded++;
      else counts.failed++;
    }
    const now = Date.now();
    const edges = { ...counters.edges(now), ...effectEdges(flowDeclarations, { emails: state?.emails ?? [], pushes: state?.pushes ?? [] }, now) };
    return { edges, queues: queueStatus(runtime), bus: { ...counters.bus }, effects: { ...counters.effects }, workflows };
  };

  const eventTypes = () => new Map(index.rows().flatMap((row) => (row.stripeEventId ? [[row.stripeEventId, row.type] as const] : [])));

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
          broadcast("state", next);
        }
      })
      .catch((error: Error) => {
        if (!closed) broadcast("problem", { message: `could not read the engines: ${error.message}` });
      })
      .finally(() => (reading = undefined));
    return reading;
  };

  const tick = () => {
    try {
      update();
    } catch (error) {
      // A timer callback must not take the runtime down; the page shows what went wrong.
      broadcast("problem", { message: `the dashboard could not update: ${(error as Error).message}` });
    }
  };

  const update = () => {
    if (dirtyRows.size > 0) {
      fillBodies();
      broadcast("rows", [...dirtyRows].flatMap((id) => index.row(id) ?? []));
      dirtyRows.clear();
    }
    const flow = flowStats();
    const text = JSON.stringify(flow);
    if (text !== lastFlow) {
      lastFlow = text;
      broadcast("flow", flow);
    }
    if (!reading && (stateDirty || Date.now() - stateReadAt >= idleRefreshMs)) void readState();
    if (Date.now() - heartbeatAt >= 15_000) {
      heartbeatAt = Date.now();
      for (const client of clients) write(client, ": keep-alive\n\n");
    }
    for (const [client, since] of backedUpSince) if (Date.now() - since >= slowReaderMs) drop(client);
  };

  const stream = (req: IncomingMessage, res: ServerResponse): true => {
    if (closed) return send(res, 503, "text/plain", "the dashboard is shutting down");
    if (clients.size >= maxStreams) {
      return send(res, 503, "text/plain", `too many live dashboard streams (${maxStreams}): close other dashboard tabs`, { "retry-after": "10" });
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive", "x-accel-buffering": "no" });
    fillBodies();
    const init: InitMessage = {
      busName: runtime.busName,
      gateway: runtime.gatewayUrl,
      flowGraph: graph,
      workflowGraphs,
      fixtures: [...fixtureNames],
      rows: index.rows(),
      flow: flowStats(),
      state,
    };
    clients.add(res);
    write(res, `retry: 2000\n\n`);
    write(res, `event: init\ndata: ${JSON.stringify(init)}\n\n`);
    res.on("error", () => clients.delete(res));
    timer ??= setInterval(tick, tickMs).unref();
    if (!state && !reading) void readState();
    res.on("close", () => {
      clients.delete(res);
      backedUpSince.delete(res);
      if (clients.size === 0 && timer) {
        clearInterval(timer);
        timer = undefined;
      }
    });
    return true;
  };

  const effects = (row: EventRow): TimelineItem[] => {
    if (!row.stripeEventId || !state) return [];
    const id = row.stripeEventId;
    return [
      ...state.emails.filter((email) => email.cause?.stripeEventId === id).map((email): TimelineItem => ({ at: email.at, stage: "effect", title: `Email sent: ${email.subject}`, detail: email.cause?.executionName ? `by workflow ${email.cause.executionName}` : undefined, tone: "good" })),
      ...state.pushes.filter((push) => push.cause?.stripeEventId === id).map((push): TimelineItem => ({ at: push.at, stage: "effect", title: `Push sent: ${push.title ?? push.body ?? ""}`, detail: push.endpoint, tone: "good" })),
      ...state.executions.filter((execution) => execution.stripeEventId === id).map((execution): TimelineItem => ({ at: execution.startDate, stage: "workflow", title: `Workflow ${execution.name}: ${execution.status.toLowerCase().replace("_", " ")}`, detail: execution.path.join(" → "), tone: execution.status === "FAILED" ? "bad" : "good" })),
    ];
  };

  const detail = (id: string): EventDetail | undefined => {
    fillBodies();
    const row = index.row(id);
    if (!row) return undefined;
    const first = index.entries(id)[0];
    const body = bodies.get(id) ?? (first?.kind === "bus.rejected" ? rejectedEnvelope(first) : undefined);
    const deliveries = row.stripeEventId ? index.rows().filter((r) => r.stripeEventId === row.stripeEventId && r.status !== "rejected").length : 1;
    return {
      row,
      json: body === undefined ? undefined : JSON.stringify(body, null, 2),
      timeline: timeline(index.entries(id)),
      effects: effects(row).sort((a, b) => a.at.localeCompare(b.at)),
      deliveries,
    };
  };

  const emailPage = async (messageId: string, res: ServerResponse): Promise<true> => {
    const email = (await runtime.ses.emails()).find((candidate) => candidate.messageId === messageId);
    if (!email) return send(res, 404, "text/plain", `no email ${messageId}`);
    const page = email.body.html ?? `<!doctype html><meta charset="utf-8"><pre style="white-space:pre-wrap;font:14px/1.5 system-ui,sans-serif">${escapeHtml(email.body.text ?? "")}</pre>`;
    return send(res, 200, "text/html; charset=utf-8", page, { "content-security-policy": EMAIL_POLICY });
  };

  const route = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    const path = url.pathname;
    if (req.method !== "GET" && !(req.method === "POST" && path === `${API}/refresh`)) return false;
    if (path === "/" || path === "/dashboard" || path === "/dashboard/") {
      return send(res, 200, "text/html; charset=utf-8", readFileSync(`${DASHBOARD_DIR}static/index.html`), { "content-security-policy": PAGE_POLICY });
    }
    if (path === "/dashboard/app.css") return send(res, 200, "text/css; charset=utf-8", readFileSync(`${DASHBOARD_DIR}static/app.css`));
    if (path === "/dashboard/app.js") {
      try {
        return send(res, 200, "text/javascript; charset=utf-8", await clientBundle());
      } catch (error) {
        return send(res, 500, "text/plain", `could not build the dashboard script: ${(error as Error).message}`);
      }
    }
    if (!path.startsWith(`${API}/`)) return false;
    const [resource, ...rest] = path.slice(API.length + 1).split("/");
    let name: string;
    try {
      name = decodePathPart(rest.join("/"));
    } catch (error) {
      if (error instanceof MalformedPathError) return sendJson(res, 400, { error: error.message });
      throw error;
    }
    switch (resource) {
      case "stream":
        return stream(req, res);
      case "refresh":
        stateDirty = true;
        return sendJson(res, 202, { refreshing: true });
      case "events": {
        const found = detail(name);
        return found ? sendJson(res, 200, found) : sendJson(res, 404, { error: `no event ${name} in this session` });
      }
      case "fixtures":
        if (!name) return sendJson(res, 200, { fixtures: fixtureNames });
        if (!fixtureNames.includes(name)) return sendJson(res, 404, { error: `no fixture named ${name}` });
        return send(res, 200, "application/json", fixtureText(name));
      case "emails":
        return emailPage(name, res);
      default:
        return sendJson(res, 404, { error: `unknown dashboard endpoint ${path}` });
    }
  };

  return {
    route,
    get streams() {
      return clients.size;
    },
    close: async () => {
      closed = true;
      if (timer) clearInterval(timer);
      timer = undefined;
      unsubscribeJournal();
      unsubscribeWorkflows();
      for (const client of clients) client.end();
      clients.clear();
      await reading;
      reader.close();
    },
  };
}

function rejectedEnvelope(entry: Extract<Recorded, { kind: "bus.rejected" }>): unknown {
  let detail: unknown = entry.detail;
  try {
    detail = entry.detail === undefined ? undefined : JSON.parse(entry.detail);
  } catch {
    // Shown as the text the caller sent.
  }
  return { source: entry.source, "detail-type": entry.detailType, detail };
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
