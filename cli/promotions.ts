/**
 * `paybus promotions add|list|remove`: the promotions API from the command line, signed with SigV4.
 * Against `paybus dev` the local credentials sign; against a deployed function URL
 * (`--url https://….lambda-url.<region>.on.aws`), the AWS credentials in the environment do.
 */
import { parseArgs } from "node:util";
import { signRequest } from "../local/sigv4.ts";

export class PromotionsUsageError extends Error {
  override name = "UsageError";
}

async function call(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const url = new URL(path, base.endsWith("/") ? base : `${base}/`);
  const text = body === undefined ? "" : JSON.stringify(body);
  const signed = await signRequest(
    { method, url, headers: text ? { "content-type": "application/json" } : {}, body: text },
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
    throw new PromotionsUsageError(`cannot reach the promotions API at ${base}: start a runtime with \`npm start\` or \`paybus dev\`, or pass --url`);
  }
  return { status: response.status, body: (await response.json().catch(() => ({}))) as any };
}

function fail(answer: { status: number; body: any }): never {
  const message = answer.body?.error?.message ?? answer.body?.Message ?? JSON.stringify(answer.body);
  throw new PromotionsUsageError(`${answer.status}: ${message}`);
}

const describe = (p: any) =>
  `${p.name}  ×${p.multiplier}  ${p.start} → ${p.end}  (${p.combine})${p.conditions ? `  if ${JSON.stringify(p.conditions)}` : ""}${p.description ? `  — ${p.description}` : ""}`;

/** Runs `paybus promotions …`; returns the exit code. */
export async function promotions(argv: string[], out: NodeJS.WritableStream = process.stdout, defaultUrl = "http://127.0.0.1:4010"): Promise<number> {
  const [action, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      url: { type: "string", default: defaultUrl },
      name: { type: "string" },
      start: { type: "string" },
      end: { type: "string" },
      multiplier: { type: "string" },
      combine: { type: "string" },
      description: { type: "string" },
      currencies: { type: "string" },
      "premium-only": { type: "boolean" },
    },
  });
  switch (action) {
    case "add": {
      if (!values.name || !values.start || !values.end || !values.multiplier) {
        throw new PromotionsUsageError("promotions add needs --name, --start, --end (ISO 8601) and --multiplier");
      }
      const conditions = {
        ...(values.currencies ? { currencies: values.currencies.split(",").map((c) => c.trim()) } : {}),
        ...(values["premium-only"] ? { premiumOnly: true } : {}),
      };
      const body = {
        name: values.name,
        start: values.start,
        end: values.end,
        multiplier: Number(values.multiplier),
        ...(values.combine ? { combine: values.combine } : {}),
        ...(values.description ? { description: values.description } : {}),
        ...(Object.keys(conditions).length > 0 ? { conditions } : {}),
      };
      const answer = await call(values.url, "POST", "promotions", body);
      if (answer.status !== 201 && answer.status !== 200) fail(answer);
      out.write(`${answer.status === 201 ? "added" : "already there"}: ${describe(answer.body.promotion)}\n`);
      return 0;
    }
    case "list": {
      const answer = await call(values.url, "GET", "promotions");
      if (answer.status !== 200) fail(answer);
      out.write(`${answer.body.promotions.length} promotion(s)${answer.body.promotions.length === 0 ? " (the consumer applies PAYBUS_LOYALTY_CONFIG's)" : ""}\n`);
      for (const p of answer.body.promotions) out.write(`  ${describe(p)}\n`);
      return 0;
    }
    case "remove": {
      const name = values.name ?? positionals[0];
      if (!name) throw new PromotionsUsageError("promotions remove needs --name <name>");
      const answer = await call(values.url, "DELETE", `promotions/${encodeURIComponent(name)}`);
      if (answer.status !== 200) fail(answer);
      out.write(`removed: ${describe(answer.body.removed)}\n`);
      return 0;
    }
    default:
      throw new PromotionsUsageError(`unknown promotions action "${action ?? ""}" (add, list, remove)`);
  }
}
