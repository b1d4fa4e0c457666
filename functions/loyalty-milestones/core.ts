/**
 * Spending milestones: each `PointsAwarded` loyalty event adds the purchase's spend to the
 * customer's lifetime spend, and every configured threshold reached triggers one campaign email.
 *
 * Spend is measured in base points (the purchase's amount through the programme's rate table,
 * before premium or promotion multipliers), so purchases in every configured currency count; a
 * threshold of 1,000 USD is 1,000 × the USD rate in base points. Refunds do not lower lifetime
 * spend (like lifetime points: a milestone once reached stays reached).
 *
 * Exactly once on at-least-once delivery: the purchase's spend is added in one transaction with a
 * per-purchase marker (`SPEND#<customer>` / `PURCHASE#<id>`, put only if absent), so a duplicate
 * adds nothing; then every threshold at or below the total is emailed unless its claim
 * (`SPEND#<customer>` / `EMAIL#<threshold>`) says it was — also on a duplicate, so a crash after
 * the addition still sends on the redelivery.
 */
import { SendEmailCommand, type SESClient } from "@aws-sdk/client-ses";
import { GetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import * as z from "zod";
import { currencyExponent, formatMoney } from "../../events/money.ts";
import { parseLoyaltyEvent, type LoyaltyEventDetail } from "../../events/loyalty-events.ts";
import { PoisonRecordError, RetryableError } from "../common/errors.ts";
import { getProfile, type ProfileTable } from "../common/profiles.ts";
import type { LoyaltyConfig } from "../loyalty/config.ts";
import { dynamoLeasedClaims } from "../notifications/store.ts";
import type { InvocationBounds } from "../common/invocation.ts";

export class InvalidPointsAwardedEventError extends PoisonRecordError {
  override name = "InvalidPointsAwardedEventError";
}

/** The milestone reference currency has no rate in the table: thresholds cannot be measured. */
export class MilestoneCurrencyError extends Error {
  override name = "MilestoneCurrencyError";
}

/** Another attempt is sending this milestone's email. */
export class MilestoneEmailInProgressError extends RetryableError {
  override name = "MilestoneEmailInProgressError";
}

export interface MilestoneDeps {
  /** The running invocation, when known: no email starts without time left to record it. */
  readonly invocation?: InvocationBounds | undefined;
  readonly config: LoyaltyConfig;
  readonly table: { readonly client: DynamoDBDocumentClient; readonly tableName: string };
  readonly profiles: ProfileTable;
  readonly ses: SESClient;
  readonly from: string;
  readonly leaseSeconds: number;
  readonly now?: () => number;
}

export const spendKey = (customerId: string) => ({ pk: `SPEND#${customerId}`, sk: "TOTAL" });
const purchaseMarker = (customerId: string, purchaseId: string) => ({ pk: `SPEND#${customerId}`, sk: `PURCHASE#${purchaseId}` });
const emailClaim = (customerId: string, threshold: number) => ({ pk: `SPEND#${customerId}`, sk: `EMAIL#${threshold}` });

/** A threshold in base points: `threshold` whole units of the reference currency through its rate. */
export function thresholdPoints(config: LoyaltyConfig, threshold: number): number {
  const rate = config.currencies[config.milestones.currency];
  if (!rate) throw new MilestoneCurrencyError(`milestones.currency "${config.milestones.currency}" has no rate in currencies`);
  return Math.floor((threshold * rate.points) / rate.perUnits);
}

export type MilestoneOutcome = {
  /** The customer's lifetime spend after this event; not read when no threshold is configured. */
  readonly lifetimeSpendPoints?: number;
  readonly added: boolean;
  readonly emails: readonly { readonly threshold: number; readonly result: "sent" | "already-sent" | "unreachable" }[];
};

export async function processMilestoneMessage(body: string, deps: MilestoneDeps): Promise<MilestoneOutcome> {
  let detail: LoyaltyEventDetail<"PointsAwarded">;
  try {
    detail = parseLoyaltyEvent("PointsAwarded", JSON.parse(body));
  } catch (error) {
    throw new InvalidPointsAwardedEventError(`not a PointsAwarded event: ${error instanceof z.ZodError ? error.issues[0]?.message : (error as Error).message}`, { cause: error });
  }
  const { client, tableName: TableName } = deps.table;
  let added = true;
  try {
    await client.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName, Item: { ...purchaseMarker(detail.customerId, detail.purchaseId), basePoints: detail.basePoints }, ConditionExpression: "attribute_not_exists(pk)" } },
          { Update: { TableName, Key: spendKey(detail.customerId), UpdateExpression: "ADD spendPoints :base, purchases :one", ExpressionAttributeValues: { ":base": detail.basePoints, ":one": 1 } } },
        ],
      }),
    );
  } catch (error) {
    const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
    if ((error as { name?: string }).name !== "TransactionCanceledException" || reasons?.[0]?.Code !== "ConditionalCheckFailed") throw error;
    added = false; // A duplicate: its spend is counted already.
  }
  // Spend is counted even with no threshold (one configured later counts past purchases), but
  // then nothing depends on the total: no read.
  if (deps.config.milestones.thresholds.length === 0) return { added, emails: [] };
  const { Item } = await client.send(new GetCommand({ TableName, Key: spendKey(detail.customerId), ConsistentRead: true }));
  const lifetimeSpendPoints = Number(Item?.spendPoints ?? 0);
  const reached = deps.config.milestones.thresholds.filter((threshold) => thresholdPoints(deps.config, threshold) <= lifetimeSpendPoints);
  const emails: MilestoneOutcome["emails"][number][] = [];
  for (const threshold of reached) emails.push({ threshold, result: await sendMilestoneEmail(detail, threshold, deps) });
  return { lifetimeSpendPoints, added, emails };
}

async function sendMilestoneEmail(detail: LoyaltyEventDetail<"PointsAwarded">, threshold: number, deps: MilestoneDeps): Promise<"sent" | "already-sent" | "unreachable"> {
  const now = deps.now ?? Date.now;
  const claims = dynamoLeasedClaims({ client: deps.table.client, tableName: deps.table.tableName, leaseSeconds: deps.leaseSeconds, now, invocation: deps.invocation });
  const key = emailClaim(detail.customerId, threshold);
  const record = { customerId: detail.customerId, threshold, eventId: detail.id };
  const claim = await claims.claim(key, record);
  if (claim.kind === "done") return "already-sent";
  if (claim.kind === "busy") throw new MilestoneEmailInProgressError(`milestone ${threshold} email of ${detail.customerId} is being sent by another attempt`);
  const profile = detail.stripeCustomerId ? await getProfile(detail.stripeCustomerId, deps.profiles) : undefined;
  if (!profile?.email) {
    // No one to write to: recorded as such (not retried), like the other campaigns.
    await claims.complete(key, { ...record, status: "undeliverable", reason: profile ? "no-email" : "no-profile" });
    return "unreachable";
  }
  const currency = deps.config.milestones.currency;
  const money = formatMoney({ amount: threshold * 10 ** currencyExponent(currency), currency }, profile.locale ?? "en-US");
  const greeting = profile.name ? `Hello ${profile.name},` : "Hello,";
  const text = `${greeting}\n\nYour purchases with us have passed ${money}. Thank you for being with us: a little something is waiting for you in the app.\n`;
  let messageId: string;
  try {
    const answer = await deps.ses.send(
      new SendEmailCommand({
        Source: deps.from,
        Destination: { ToAddresses: [profile.email] },
        Message: { Subject: { Data: `You have passed ${money} with us`, Charset: "UTF-8" }, Body: { Text: { Data: text, Charset: "UTF-8" } } },
      }),
    );
    messageId = answer.MessageId ?? "";
  } catch (error) {
    await claims.release(key, claim.token);
    throw error;
  }
  await claims.complete(key, { ...record, status: "sent", messageId, sentAt: now() });
  return "sent";
}
