/**
 * The dashboard's HTTP routes on the runtime's gateway: the page at `/`, its script (the TypeScript
 * in `dashboard/client/`, bundled by esbuild on first request and cached), its style, and the API
 * under `/dashboard/api/` (the live stream, event details, fixtures, rendered emails). What each
 * answer holds comes from the read models through {@link DashboardApi}.
 */
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import { fixtureNames, fixtureText } from "../fixtures/index.ts";
import type { EventDetail } from "./protocol.ts";

const DASHBOARD_DIR = fileURLToPath(new URL(".", import.meta.url));
const API = "/dashboard/api";

/** The page may load its own script, style and frames, and nothing from anywhere else. */
const PAGE_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
/** A rendered email: its own inline styles, no scripts, no remote images or fonts. */
const EMAIL_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; frame-ancestors 'self'";

/** What the routes ask of the dashboard behind them. */
export interface DashboardApi {
  /** Opens a live stream on `res` (answering 503 itself when it cannot). */
  stream(req: IncomingMessage, res: ServerResponse): void;
  /** Asks for the engines to be read again soon. */
  refresh(): void;
  /** One event with its body, timeline and effects; undefined when this session never saw it. */
  eventDetail(id: string): EventDetail | undefined;
  /** An email as SES stored it; undefined when there is none with that id. */
  email(messageId: string): Promise<{ html?: string | undefined; text?: string | undefined } | undefined>;
}

export function send(res: ServerResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): true {
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

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function emailPage(api: DashboardApi, messageId: string, res: ServerResponse): Promise<true> {
  const body = await api.email(messageId);
  if (!body) return send(res, 404, "text/plain", `no email ${messageId}`);
  const page = body.html ?? `<!doctype html><meta charset="utf-8"><pre style="white-space:pre-wrap;font:14px/1.5 system-ui,sans-serif">${escapeHtml(body.text ?? "")}</pre>`;
  return send(res, 200, "text/html; charset=utf-8", page, { "content-security-policy": EMAIL_POLICY });
}

/** The gateway route serving the dashboard; answers false for what is not the dashboard's. */
export function dashboardRoute(api: DashboardApi): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean> {
  return async (req, res, url) => {
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
        api.stream(req, res);
        return true;
      case "refresh":
        api.refresh();
        return sendJson(res, 202, { refreshing: true });
      case "events": {
        const found = api.eventDetail(name);
        return found ? sendJson(res, 200, found) : sendJson(res, 404, { error: `no event ${name} in this session` });
      }
      case "fixtures":
        if (!name) return sendJson(res, 200, { fixtures: fixtureNames });
        if (!fixtureNames.includes(name)) return sendJson(res, 404, { error: `no fixture named ${name}` });
        return send(res, 200, "application/json", fixtureText(name));
      case "emails":
        return emailPage(api, name, res);
      default:
        return sendJson(res, 404, { error: `unknown dashboard endpoint ${path}` });
    }
  };
}
