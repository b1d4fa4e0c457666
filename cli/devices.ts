/**
 * `paybus devices add|list|remove`: the device API from the command line, signed with SigV4 as an
 * app's backend signs it. Against `paybus dev` the local credentials sign; against a deployed
 * function URL (`--url https://….lambda-url.<region>.on.aws`), the AWS credentials in the
 * environment do.
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { signRequest } from "../local/sigv4.ts";

export class DevicesUsageError extends Error {
  override name = "UsageError";
}

async function call(base: string, method: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
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
    throw new DevicesUsageError(`cannot reach the device API at ${base}: start a runtime with \`npm start\` or \`paybus dev\`, or pass --url`);
  }
  const answer = (await response.json().catch(() => ({}))) as any;
  return { status: response.status, body: answer };
}

function fail(answer: { status: number; body: any }): never {
  const message = answer.body?.error?.message ?? answer.body?.Message ?? JSON.stringify(answer.body);
  throw new DevicesUsageError(`${answer.status}: ${message}`);
}

/** Runs `paybus devices …`; returns the exit code. */
export async function devices(argv: string[], out: NodeJS.WritableStream = process.stdout, defaultUrl = "http://127.0.0.1:4010"): Promise<number> {
  const [action, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      url: { type: "string", default: defaultUrl },
      customer: { type: "string" },
      platform: { type: "string" },
      token: { type: "string" },
      "idempotency-key": { type: "string" },
    },
  });
  if (!values.customer) throw new DevicesUsageError(`devices ${action ?? ""} needs --customer cus_…`);
  switch (action) {
    case "add": {
      if (!values.platform || !values.token) throw new DevicesUsageError("devices add needs --platform (GCM, APNS, APNS_SANDBOX) and --token");
      const answer = await call(values.url, "POST", "devices", { customerId: values.customer, platform: values.platform, token: values.token }, {
        "idempotency-key": values["idempotency-key"] ?? randomUUID(),
      });
      if (answer.status !== 200) fail(answer);
      out.write(`registered ${answer.body.device.platform} device ${answer.body.device.deviceId} → ${answer.body.device.endpointArn}\n`);
      return 0;
    }
    case "list": {
      const answer = await call(values.url, "GET", `devices?customerId=${encodeURIComponent(values.customer)}`, undefined);
      if (answer.status !== 200) fail(answer);
      out.write(`${values.customer}: ${answer.body.devices.length} device(s)\n`);
      for (const device of answer.body.devices) out.write(`  ${device.deviceId}  ${device.platform}  ${device.endpointArn}  since ${device.registeredAt}\n`);
      return 0;
    }
    case "remove": {
      if (!values.token) throw new DevicesUsageError("devices remove needs --token");
      const answer = await call(values.url, "DELETE", "devices", { customerId: values.customer, token: values.token });
      if (answer.status !== 200) fail(answer);
      out.write(`removed device ${answer.body.removed.deviceId} (endpoint deleted)\n`);
      return 0;
    }
    default:
      throw new DevicesUsageError(`unknown devices action "${action ?? ""}" (add, list, remove)`);
  }
}
