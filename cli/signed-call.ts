/**
 * A SigV4-signed JSON request to an `AWS_IAM` function URL (the device, loyalty and promotions APIs): signed
 * with the local credentials against `paybus dev`, with the AWS credentials in the environment
 * against a deployed URL.
 */
import { signRequest } from "../local/sigv4.ts";

export interface SignedAnswer {
  readonly status: number;
  readonly body: any;
}

/** Sends the request; `unreachable` is thrown (as the caller's usage error) when nothing answers. */
export async function signedCall(
  base: string,
  method: string,
  path: string,
  body: unknown,
  headers: Record<string, string>,
  unreachable: () => Error,
): Promise<SignedAnswer> {
  const url = new URL(path, base.endsWith("/") ? base : `${base}/`);
  const text = body === undefined ? "" : JSON.stringify(body);
  const unsigned = { ...(text ? { "content-type": "application/json" } : {}), ...headers };
  const signed = await signRequest(
    { method, url, headers: unsigned, body: text },
    {
      region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1",
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? "local",
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? "local",
    },
  );
  if (process.env.AWS_SESSION_TOKEN && !url.hostname.startsWith("127.")) signed["x-amz-security-token"] = process.env.AWS_SESSION_TOKEN;
  let response: Response;
  try {
    response = await fetch(url, { method, headers: signed, ...(text ? { body: text } : {}) });
  } catch {
    throw unreachable();
  }
  return { status: response.status, body: (await response.json().catch(() => ({}))) as any };
}

/** The error message of a refused request. */
export function refusal(answer: SignedAnswer): string {
  const message = answer.body?.error?.message ?? answer.body?.Message ?? JSON.stringify(answer.body);
  return `${answer.status}: ${message}`;
}

/** One API's calls from a command: signed, and failing as the command's usage error. */
export interface ApiCaller {
  readonly call: (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<SignedAnswer>;
  /** Throws the refusal of `answer` as the command's usage error. */
  readonly fail: (answer: SignedAnswer) => never;
}

/**
 * Calls of the API (`name`, e.g. "device API") at `base`; an unreachable API or a refusal is thrown
 * as `usage` (the command's usage error, which `paybus` prints without a stack).
 */
export function apiCaller(base: string, name: string, usage: new (message: string) => Error): ApiCaller {
  const unreachable = () => new usage(`cannot reach the ${name} at ${base}: start a runtime with \`npm start\` or \`paybus dev\`, or pass --url`);
  return {
    call: (method, path, body, headers = {}) => signedCall(base, method, path, body, headers, unreachable),
    fail: (answer) => {
      throw new usage(refusal(answer));
    },
  };
}
