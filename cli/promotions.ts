/**
 * `paybus promotions add|list|remove`: the promotions API from the command line, signed with SigV4.
 * Against `paybus dev` the local credentials sign; against a deployed function URL
 * (`--url https://….lambda-url.<region>.on.aws`), the AWS credentials in the environment do.
 */
import { parseArgs } from "node:util";
import { apiCaller } from "./signed-call.ts";

export class PromotionsUsageError extends Error {
  override name = "UsageError";
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
  const { call, fail } = apiCaller(values.url, "promotions API", PromotionsUsageError);
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
      const answer = await call("POST", "promotions", body);
      if (answer.status !== 201 && answer.status !== 200) fail(answer);
      out.write(`${answer.status === 201 ? "added" : "already there"}: ${describe(answer.body.promotion)}\n`);
      return 0;
    }
    case "list": {
      const answer = await call("GET", "promotions");
      if (answer.status !== 200) fail(answer);
      out.write(`${answer.body.promotions.length} promotion(s)${answer.body.promotions.length === 0 ? " (the consumer applies PAYBUS_LOYALTY_CONFIG's)" : ""}\n`);
      for (const p of answer.body.promotions) out.write(`  ${describe(p)}\n`);
      return 0;
    }
    case "remove": {
      const name = values.name ?? positionals[0];
      if (!name) throw new PromotionsUsageError("promotions remove needs --name <name>");
      const answer = await call("DELETE", `promotions/${encodeURIComponent(name)}`);
      if (answer.status !== 200) fail(answer);
      out.write(`removed: ${describe(answer.body.removed)}\n`);
      return 0;
    }
    default:
      throw new PromotionsUsageError(`unknown promotions action "${action ?? ""}" (add, list, remove)`);
  }
}
