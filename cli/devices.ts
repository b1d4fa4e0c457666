/**
 * `paybus devices add|list|remove`: the device API from the command line, signed with SigV4 as an
 * app's backend signs it. Against `paybus dev` the local credentials sign; against a deployed
 * function URL (`--url https://….lambda-url.<region>.on.aws`), the AWS credentials in the
 * environment do.
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { apiCaller } from "./signed-call.ts";

export class DevicesUsageError extends Error {
  override name = "UsageError";
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
  const { call, fail } = apiCaller(values.url, "device API", DevicesUsageError);
  switch (action) {
    case "add": {
      if (!values.platform || !values.token) throw new DevicesUsageError("devices add needs --platform (GCM, APNS, APNS_SANDBOX) and --token");
      const answer = await call("POST", "devices", { customerId: values.customer, platform: values.platform, token: values.token }, {
        "idempotency-key": values["idempotency-key"] ?? randomUUID(),
      });
      if (answer.status !== 200) fail(answer);
      out.write(`registered ${answer.body.device.platform} device ${answer.body.device.deviceId} → ${answer.body.device.endpointArn}\n`);
      return 0;
    }
    case "list": {
      const answer = await call("GET", `devices?customerId=${encodeURIComponent(values.customer)}`, undefined);
      if (answer.status !== 200) fail(answer);
      out.write(`${values.customer}: ${answer.body.devices.length} device(s)\n`);
      for (const device of answer.body.devices) out.write(`  ${device.deviceId}  ${device.platform}  ${device.endpointArn}  since ${device.registeredAt}\n`);
      return 0;
    }
    case "remove": {
      if (!values.token) throw new DevicesUsageError("devices remove needs --token");
      const answer = await call("DELETE", "devices", { customerId: values.customer, token: values.token });
      if (answer.status !== 200) fail(answer);
      out.write(`removed device ${answer.body.removed.deviceId} (endpoint deleted)\n`);
      return 0;
    }
    default:
      throw new DevicesUsageError(`unknown devices action "${action ?? ""}" (add, list, remove)`);
  }
}
