/**
 * The runtime's admin API under `/_paybus/`, used by the `paybus` CLI against a running `paybus dev`
 * (and by the dashboard): send events, replay the archive, list and redrive DLQs, complete task
 * tokens, status.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { QueueName } from "../declarations/rules.ts";
import { readBody } from "./aws-json.ts";
import { lifecyclesOf } from "./lifecycle.ts";
import { queueStatus, type Runtime } from "./runtime.ts";
import { StepFunctionsApiError } from "./stepfunctions/index.ts";

export const ADMIN_PREFIX = "/_paybus";

export class AdminRequestError extends Error {
  override name = "AdminRequestError";
}

function json(res: ServerResponse, status: number, body: unknown): true {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
  return true;
}

async function jsonBody(req: IncomingMessage): Promise<any> {
  const text = (await readBody(req)).toString("utf8");
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AdminRequestError(`request body is not valid JSON: ${(error as Error).message}`);
  }
}

function optionalDate(value: unknown, name: string): Date | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const date = new Date(String(value));
  if (Number.isNaN(date.getTime())) throw new AdminRequestError(`${name} is not a date: "${String(value)}" (use ISO 8601, e.g. 2026-08-04T14:00:00Z)`);
  return date;
}

/** DLQ messages of every queue, with the last error each one failed with. */
export function dlqListing(runtime: Runtime) {
  return [...runtime.mappings].map(([queue, mapping]) => ({
    queue,
    messages: runtime.sqs.dlqMessages(queue).map((message) => ({ ...message, error: mapping.errorFor(message.messageId) })),
  }));
}

export interface AdminHooks {
  /** Jumps past the follow-up delay and sends due follow-ups (`paybus workflows send-now`). */
  readonly sendFollowupsNow?: () => Promise<unknown>;
}

/** Builds the admin route for a runtime. */
export function adminRoute(runtime: Runtime, hooks: AdminHooks = {}) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    if (!url.pathname.startsWith(`${ADMIN_PREFIX}/`)) return false;
    const path = url.pathname.slice(ADMIN_PREFIX.length);
    try {
      switch (`${req.method} ${path}`) {
        case "GET /status":
          return json(res, 200, { endpoints: runtime.endpoints, queues: queueStatus(runtime), quiet: runtime.isQuiet(), events: lifecyclesOf(runtime).counts() });
        case "POST /send": {
          const body = await jsonBody(req);
          const events = Array.isArray(body) ? body : Array.isArray(body.events) ? body.events : [body];
          return json(res, 200, { results: runtime.sendEnvelopes(events) });
        }
        case "POST /replay": {
          const body = await jsonBody(req);
          const result = runtime.replays.start({
            start: optionalDate(body.start, "start"),
            end: optionalDate(body.end, "end"),
            stripeEventIds: Array.isArray(body.stripeEventIds) ? body.stripeEventIds : undefined,
          });
          return json(res, 200, result);
        }
        case "GET /dlq":
          return json(res, 200, { queues: dlqListing(runtime) });
        case "POST /dlq/redrive":
        case "POST /dlq/discard": {
          const body = await jsonBody(req);
          const queue = String(body.queue ?? "");
          if (!runtime.mappings.has(queue as QueueName)) throw new AdminRequestError(`no queue named "${queue}" (queues: ${[...runtime.mappings.keys()].join(", ")})`);
          const ids = Array.isArray(body.messageIds) ? body.messageIds.map(String) : undefined;
          const done = path.endsWith("redrive") ? await runtime.redriveDlq(queue as QueueName, ids) : await runtime.discardDlq(queue as QueueName, ids);
          return json(res, 200, { queue, messageIds: done });
        }
        case "POST /tasks/success": {
          // Completes a waiting callback task (SendTaskSuccess), e.g. from the dashboard.
          const body = await jsonBody(req);
          if (typeof body.token !== "string" || body.token === "") throw new AdminRequestError("token is required");
          try {
            runtime.sfn.sendTaskSuccess(body.token, body.output ?? {});
          } catch (error) {
            if (error instanceof StepFunctionsApiError) throw new AdminRequestError(`${error.type}: ${error.message}`);
            throw error;
          }
          return json(res, 200, { completed: true });
        }
        case "POST /followups/send-now":
          if (!hooks.sendFollowupsNow) return json(res, 404, { error: "follow-ups are not scheduled by this runtime" });
          return json(res, 200, { result: (await hooks.sendFollowupsNow()) ?? null });
        case "GET /stripe":
          // What the functions created in the local Stripe account (tier rewards), for the CLI and the dashboard.
          return json(res, 200, { balanceTransactions: runtime.stripe.balanceTransactions(), promotionCodes: runtime.stripe.promotionCodes() });
        case "GET /journal":
          return json(res, 200, { entries: runtime.journal.list(undefined, Number(url.searchParams.get("after") ?? 0)) });
        default:
          return json(res, 404, { error: `unknown admin endpoint ${req.method} ${url.pathname}` });
      }
    } catch (error) {
      const status = error instanceof AdminRequestError ? 400 : 500;
      return json(res, status, { error: (error as Error).message });
    }
  };
}
