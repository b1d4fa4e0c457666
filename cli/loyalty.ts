/**
 * `paybus loyalty balance|ledger|redeem|adjust`: the loyalty API from the command line, signed with
 * SigV4 (cli/signed-call.ts) as the retailer's backend signs it: the local credentials against
 * `paybus dev`, the AWS credentials in the environment against a deployed URL (`--url`).
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { apiCaller } from "./signed-call.ts";

export class LoyaltyUsageError extends Error {
  override name = "UsageError";
}

const integer = (name: string, value: string | undefined): number => {
  if (value === undefined || !/^-?\d+$/.test(value)) throw new LoyaltyUsageError(`--${name} needs a whole number of points`);
  return Number(value);
};

/** Runs `paybus loyalty …`; returns the exit code. */
export async function loyalty(argv: string[], out: NodeJS.WritableStream = process.stdout, defaultUrl = "http://127.0.0.1:4010"): Promise<number> {
  const [action, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      url: { type: "string", default: defaultUrl },
      customer: { type: "string" },
      points: { type: "string" },
      reference: { type: "string" },
      reason: { type: "string" },
      actor: { type: "string" },
      limit: { type: "string" },
      cursor: { type: "string" },
      "idempotency-key": { type: "string" },
    },
  });
  if (!values.customer) throw new LoyaltyUsageError(`loyalty ${action ?? ""} needs --customer <id>`);
  const base = `loyalty/customers/${encodeURIComponent(values.customer)}`;
  const { call, fail } = apiCaller(values.url, "loyalty API", LoyaltyUsageError);
  switch (action) {
    case "balance": {
      const answer = await call("GET", base);
      if (answer.status !== 200) fail(answer);
      const { points, lifetimePoints, tier, purchases } = answer.body.account;
      out.write(`${values.customer}: ${points} points (${lifetimePoints} lifetime, ${tier}, ${purchases} purchase(s))\n`);
      return 0;
    }
    case "ledger": {
      const query = new URLSearchParams({ limit: values.limit ?? "25", ...(values.cursor ? { cursor: values.cursor } : {}) });
      const answer = await call("GET", `${base}/ledger?${query}`);
      if (answer.status !== 200) fail(answer);
      for (const entry of answer.body.entries) {
        const sign = entry.delta > 0 ? "+" : "";
        const notes = [entry.reference, entry.reason && `"${entry.reason}" by ${entry.actor}`, entry.purchaseId, entry.expiresAt && `expires ${new Date(entry.expiresAt).toISOString()}`, entry.expiredAt && `expired (${entry.expiredPoints})`]
          .filter(Boolean)
          .join(", ");
        out.write(`  ${new Date(entry.at).toISOString()}  ${entry.kind.padEnd(7)} ${`${sign}${entry.delta}`.padStart(8)}  ${notes}\n`);
      }
      if (answer.body.nextCursor) out.write(`more: --cursor ${answer.body.nextCursor}\n`);
      return 0;
    }
    case "redeem": {
      const points = integer("points", values.points);
      const key = values["idempotency-key"] ?? randomUUID();
      const answer = await call("POST", `${base}/redemptions`, { points, ...(values.reference ? { reference: values.reference } : {}) }, { "idempotency-key": key });
      if (answer.status !== 200) fail(answer);
      out.write(`redeemed ${points} points from ${values.customer} (entry ${answer.body.redemption.entryId}, Idempotency-Key ${key})\n`);
      return 0;
    }
    case "adjust": {
      const points = integer("points", values.points);
      if (!values.reason || !values.actor) throw new LoyaltyUsageError("loyalty adjust needs --reason and --actor");
      // A new key per command unless given: pass the printed key to retry the same adjustment safely.
      const key = values["idempotency-key"] ?? randomUUID();
      const answer = await call("POST", `${base}/adjustments`, { points, reason: values.reason, actor: values.actor }, { "idempotency-key": key });
      if (answer.status !== 200) fail(answer);
      out.write(`adjusted ${values.customer} by ${points > 0 ? "+" : ""}${points} points (entry ${answer.body.adjustment.entryId}, Idempotency-Key ${key})\n`);
      return 0;
    }
    default:
      throw new LoyaltyUsageError(`unknown loyalty action "${action ?? ""}" (balance, ledger, redeem, adjust)`);
  }
}
