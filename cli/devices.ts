/**
 * `paybus devices add|list|remove`: the device API from the command line, signed with SigV4 as an
 * app's backend signs it. Against `paybus dev` the local credentials sign; against a deployed
 * function URL (`--url https://….lambda-url.<region>.on.aws`), the AWS credentials in the
 * environment do.
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { refusal, signedCall, type SignedAnswer } from "./signed-call.ts";

export class DevicesUsageError extends Error {
  override name = "UsageError";
}

const call = (base: string, method: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  signedCall(base, method, path, body, headers, () => new DevicesUsageError(`cannot reach the device API at ${base}: start a runtime with \`npm start\` or \`paybus dev\`, or pass --url`));

function fail(answer: SignedAnswer): never {
  throw new DevicesUsageError(refusal(answer));
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
