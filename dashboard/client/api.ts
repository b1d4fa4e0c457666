/**
 * Calls from the page: actions go to the runtime's admin API (`/_paybus/…`, the same one the CLI
 * uses); reads to the dashboard's own endpoints. Errors carry the server's message.
 */

export class RequestFailedError extends Error {
  override name = "RequestFailedError";
}

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  const answer = await fetch(path, init);
  const text = await answer.text();
  let payload: unknown;
  try {
    payload = text ? JSON.parse(text) : {};
  } catch {
    payload = { error: text };
  }
  if (!answer.ok) throw new RequestFailedError((payload as { error?: string }).error ?? `${answer.status} ${answer.statusText}`);
  return payload as T;
}

/** POSTs JSON to an admin endpoint, e.g. `admin("/dlq/redrive", {queue, messageIds})`. */
export function admin<T = Record<string, unknown>>(path: string, body: unknown): Promise<T> {
  return call<T>(`/_paybus${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

/** Reads a dashboard endpoint under `/dashboard/api`. */
export function read<T>(path: string): Promise<T> {
  return call<T>(`/dashboard/api${path}`);
}

/** A fixture's exact text. */
export async function fixture(name: string): Promise<string> {
  const answer = await fetch(`/dashboard/api/fixtures/${encodeURIComponent(name)}`);
  if (!answer.ok) throw new RequestFailedError(`fixture ${name}: ${answer.status}`);
  return answer.text();
}

/** Asks the server to read the engines now (after an action the journal does not record). */
export function refresh(): Promise<unknown> {
  // JSON, like every state-changing call: the server refuses anything a cross-site form could send.
  return call("/dashboard/api/refresh", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
}
