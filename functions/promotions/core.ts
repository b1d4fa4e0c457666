/**
 * The promotions API's logic, over a {@link PromotionStore}: one request in, one answer out.
 *
 * | request | body | answer |
 * | --- | --- | --- |
 * | `POST /promotions` | a promotion (`name`, `start`, `end`, `multiplier`, optional `combine`, `description`, `conditions`) | 201 `{promotion}` (200 when the same window was already there) |
 * | `GET /promotions` | | 200 `{promotions}` |
 * | `DELETE /promotions/<name>` | | 200 `{removed}` |
 *
 * Refusals: 400 (invalid body, naming the field), 404 (no such promotion), 409 (a window with that
 * name, an overlap without a shared combine rule, a combined multiplier above the cap).
 */
import * as z from "zod";
import {
  promotion,
  PromotionConflictError,
  PromotionNotFoundError,
  type PromotionStore,
} from "../loyalty/promotions.ts";

/** An HTTP answer as the function URL returns it. */
export interface ApiAnswer {
  readonly status: number;
  readonly body: unknown;
}

export interface ApiRequest {
  readonly method: string;
  /** The path without a trailing slash: `/promotions` or `/promotions/<name>`. */
  readonly path: string;
  /** The parsed JSON body (`undefined` without one). */
  readonly body: unknown;
}

const refuse = (status: number, code: string, message: string): ApiAnswer => ({ status, body: { error: { code, message } } });

function invalid(error: z.ZodError): ApiAnswer {
  const issue = error.issues[0];
  return refuse(400, "InvalidPromotion", `${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}`);
}

/** Answers one request. Storage errors propagate (the handler answers 500). */
export async function answer(request: ApiRequest, store: Pick<PromotionStore, "read" | "add" | "remove">): Promise<ApiAnswer> {
  const match = /^\/promotions(?:\/([^/]+))?$/.exec(request.path);
  if (!match) return refuse(404, "NotFound", `no route for ${request.path}`);
  const name = match[1] === undefined ? undefined : decodeURIComponent(match[1]);
  try {
    switch (request.method) {
      case "GET":
        if (name !== undefined) return refuse(405, "MethodNotAllowed", "GET /promotions lists every window");
        return { status: 200, body: { promotions: (await store.read()).promotions } };
      case "POST": {
        if (name !== undefined) return refuse(405, "MethodNotAllowed", "POST to /promotions");
        const parsed = promotion.safeParse(request.body ?? {});
        if (!parsed.success) return invalid(parsed.error);
        const { promotion: stored, created } = await store.add(parsed.data);
        return { status: created ? 201 : 200, body: { promotion: stored } };
      }
      case "DELETE":
        if (name === undefined) return refuse(405, "MethodNotAllowed", "DELETE /promotions/<name>");
        return { status: 200, body: { removed: await store.remove(name) } };
      default:
        return refuse(405, "MethodNotAllowed", `${request.method} is not supported: use GET, POST or DELETE`);
    }
  } catch (error) {
    if (error instanceof PromotionConflictError) return refuse(409, error.code, error.message);
    if (error instanceof PromotionNotFoundError) return refuse(404, "PromotionNotFound", error.message);
    throw error;
  }
}
