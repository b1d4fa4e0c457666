/**
 * SigV4 for the local function URLs with `AWS_IAM` auth: the CLI and tests sign requests the way
 * an app's backend signs them for AWS (service `lambda`), and the gateway verifies the signature
 * against the local credentials before invoking the function, as a function URL would.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { SignatureV4 } from "@smithy/signature-v4";

/** The secret every local credential has (`paybus dev` exports `AWS_SECRET_ACCESS_KEY=local`). */
export const LOCAL_SECRET = "local";

class NodeSha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    const key = typeof secret === "string" ? Buffer.from(secret) : secret ? Buffer.from(secret as Uint8Array) : undefined;
    this.hash = key ? createHmac("sha256", key) : createHash("sha256");
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(typeof data === "string" ? Buffer.from(data) : Buffer.from(data as Uint8Array));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

function signer(region: string, accessKeyId: string, secretAccessKey: string): SignatureV4 {
  return new SignatureV4({ credentials: { accessKeyId, secretAccessKey }, region, service: "lambda", sha256: NodeSha256 as never, uriEscapePath: true });
}

export interface SignableRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Headers to send with `request`, SigV4-signed for a Lambda function URL. */
export async function signRequest(
  request: SignableRequest,
  options: { region: string; accessKeyId: string; secretAccessKey: string; date?: Date },
): Promise<Record<string, string>> {
  const query = Object.fromEntries(request.url.searchParams);
  const signed = await signer(options.region, options.accessKeyId, options.secretAccessKey).sign(
    {
      method: request.method,
      protocol: request.url.protocol,
      hostname: request.url.hostname,
      port: request.url.port ? Number(request.url.port) : undefined,
      path: request.url.pathname,
      query,
      headers: { ...request.headers, host: request.url.host },
      body: request.body,
    },
    options.date ? { signingDate: options.date } : {},
  );
  return signed.headers as Record<string, string>;
}

export type Verification = { readonly ok: true; readonly accessKeyId: string } | { readonly ok: false; readonly reason: string };

const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/lambda\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

/** Checks a request's SigV4 signature against the local secret (and a 5-minute clock window). */
export async function verifyRequest(method: string, url: URL, headers: IncomingHttpHeaders, body: string, now = new Date()): Promise<Verification> {
  const authorization = headers.authorization;
  const match = typeof authorization === "string" ? AUTHORIZATION.exec(authorization) : null;
  if (!match) return { ok: false, reason: "missing or malformed SigV4 Authorization header (service lambda)" };
  const [, accessKeyId, , region, signedHeaderList, signature] = match as unknown as [string, string, string, string, string, string];
  const amzDate = headers["x-amz-date"];
  if (typeof amzDate !== "string" || !/^\d{8}T\d{6}Z$/.test(amzDate)) return { ok: false, reason: "missing X-Amz-Date" };
  const date = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
  if (Math.abs(now.getTime() - date.getTime()) > 5 * 60_000) return { ok: false, reason: "Signature expired: X-Amz-Date is more than 5 minutes away" };
  const signedHeaders: Record<string, string> = {};
  for (const name of signedHeaderList.split(";")) {
    const value = headers[name];
    if (value === undefined) return { ok: false, reason: `signed header ${name} is missing` };
    signedHeaders[name] = Array.isArray(value) ? value.join(",") : value;
  }
  const expected = await signRequest({ method, url, headers: signedHeaders, body }, { region, accessKeyId, secretAccessKey: LOCAL_SECRET, date });
  const want = /Signature=([0-9a-f]{64})/.exec(expected.authorization ?? "")?.[1] ?? "";
  const ok = want.length === signature.length && timingSafeEqual(Buffer.from(want), Buffer.from(signature));
  return ok ? { ok: true, accessKeyId } : { ok: false, reason: "The request signature we calculated does not match the signature you provided" };
}
