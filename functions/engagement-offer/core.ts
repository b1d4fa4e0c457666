/**
 * The personalised offer of a tier upgrade, applied to the customer's account at once: one offer
 * per customer and tier (`CUSTOMER#<id>` / `OFFER#<tier>`), which checkout reads. Its code is
 * derived from the customer and the tier and its validity from the purchase time, so a retried
 * task applies the very same offer.
 */
import { createHash } from "node:crypto";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import * as z from "zod";
import { tier } from "../../workflows/engagement-input.ts";
import type { TaskTable } from "../../workflows/task.ts";
import type { Tier } from "../loyalty/points.ts";

export const offerRequest = z.object({
  executionName: z.string().min(1),
  purchaseId: z.string().min(1),
  customerId: z.string().min(1),
  previousTier: tier,
  newTier: tier.exclude(["member"]),
  occurredAt: z.iso.datetime(),
});
export type OfferRequest = z.infer<typeof offerRequest>;

/** What each tier's welcome offer gives: a discount on the next order, for a while. */
export const TIER_OFFERS: Readonly<Record<Exclude<Tier, "member">, { readonly percentOff: number; readonly validDays: number }>> = {
  silver: { percentOff: 5, validDays: 30 },
  gold: { percentOff: 10, validDays: 60 },
  platinum: { percentOff: 15, validDays: 90 },
};

export interface Offer {
  readonly code: string;
  readonly tier: Exclude<Tier, "member">;
  readonly percentOff: number;
  readonly validUntil: string;
  readonly purchaseId: string;
}

export const offerKey = (customerId: string, offerTier: string) => ({ pk: `CUSTOMER#${customerId}`, sk: `OFFER#${offerTier}` });

/** The offer for a promotion, computed without I/O. */
export function offerFor(request: OfferRequest): Offer {
  const { percentOff, validDays } = TIER_OFFERS[request.newTier];
  const digest = createHash("sha256").update(`${request.customerId}\u0000${request.newTier}`).digest("hex").slice(0, 8);
  const validUntil = new Date(Date.parse(request.occurredAt) + validDays * 86_400_000).toISOString();
  return { code: `${request.newTier.toUpperCase()}-${digest.toUpperCase()}`, tier: request.newTier, percentOff, validUntil, purchaseId: request.purchaseId };
}

/** Puts the offer on the account unless the customer already has this tier's offer. */
export async function applyOffer(request: OfferRequest, table: TaskTable): Promise<{ readonly applied: boolean; readonly offer: Offer }> {
  const offer = offerFor(request);
  const key = offerKey(request.customerId, offer.tier);
  try {
    await table.client.send(
      new PutCommand({
        TableName: table.tableName,
        Item: { ...key, ...offer, status: "applied" },
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    );
    return { applied: true, offer };
  } catch (error) {
    if ((error as { name?: string }).name !== "ConditionalCheckFailedException") throw error;
    const { Item } = await table.client.send(new GetCommand({ TableName: table.tableName, Key: key, ConsistentRead: true }));
    const { pk: _pk, sk: _sk, status: _status, ...existing } = Item ?? {};
    return { applied: false, offer: existing as Offer };
  }
}
