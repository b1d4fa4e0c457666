/**
 * The ledger's conditional writes: the conditions an award's balance update is made under, and what
 * a cancelled `TransactWriteItems` says about each of its items.
 */
import { unmarshall } from "@aws-sdk/util-dynamodb";
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { noPromotionBounds, TIER_NAMES, tierAfterAccrual, type Tier } from "./points.ts";

/** Why one item of a cancelled transaction failed, in request order. */
export interface CancellationReason {
  /** `None` (this item was fine), `ConditionalCheckFailed`, `TransactionConflict`, … */
  readonly code: string | undefined;
  /**
   * The item as its failed condition found it, when the request asked for it
   * (`ReturnValuesOnConditionCheckFailure: ALL_OLD`) and it exists. The Document client leaves
   * errors marshalled, so it is unmarshalled here, as the client does for outputs.
   */
  readonly item: Record<string, unknown> | undefined;
}

/** The cancellation reasons of a TransactWriteItems call, in request order; undefined for other errors. */
export function cancellationReasons(error: unknown): CancellationReason[] | undefined {
  const e = error as { name?: string; CancellationReasons?: { Code?: string; Item?: Record<string, AttributeValue> }[] };
  if (e?.name !== "TransactionCanceledException") return undefined;
  return (e.CancellationReasons ?? []).map((reason) => ({
    code: reason.Code,
    item: reason.Item && Object.keys(reason.Item).length > 0 ? unmarshall(reason.Item) : undefined,
  }));
}

/** Another transaction held one of the items. */
export function isConflict(error: unknown): boolean {
  return (
    (error as { name?: string })?.name === "TransactionConflictException" ||
    (cancellationReasons(error) ?? []).some((reason) => reason.code === "TransactionConflict")
  );
}

/** Contention worth another optimistic attempt: a failed condition we can re-read, or a conflict. */
export function isContention(error: unknown): boolean {
  const reasons = cancellationReasons(error);
  if (reasons) return reasons.some(({ code }) => code === "ConditionalCheckFailed" || code === "TransactionConflict");
  const name = (error as { name?: string })?.name;
  return name === "ConditionalCheckFailedException" || name === "TransactionConflictException";
}

/** How an award writes the tier, and the condition that makes that write right at commit time. */
export interface TierWrite {
  readonly setTier: string;
  readonly condition: string;
  readonly values: Record<string, unknown>;
}

/**
 * No promotion: the tier stays as stored, provided no threshold is reached whatever tier that is.
 * Right without reading the balance: a balance that does not exist yet passes only when the
 * accrual alone reaches no threshold.
 */
export function noPromotionCondition(points: number): TierWrite {
  const bounds = noPromotionBounds(points);
  const clauses = TIER_NAMES.map((tier) =>
    Number.isFinite(bounds[tier]) ? `(tier = :${tier} AND lifetimePoints <= :${tier}Bound)` : `tier = :${tier}`,
  );
  const values: Record<string, unknown> = {};
  for (const tier of TIER_NAMES) {
    values[`:${tier}`] = tier;
    if (Number.isFinite(bounds[tier])) values[`:${tier}Bound`] = bounds[tier];
  }
  // `:member` is always among the values: `if_not_exists(tier, :member)` names it.
  const newBalance = tierAfterAccrual("member", 0, points).promoted ? [] : ["attribute_not_exists(pk)"];
  return {
    setTier: "tier = if_not_exists(tier, :member)",
    condition: [...newBalance, ...clauses].join(" OR "),
    values,
  };
}

/** A promotion: only from the tier read, and only for the lifetime totals that promote to exactly `to`. */
export function promotionCondition(balanceExists: boolean, from: Tier, to: Tier, [low, high]: readonly [number, number]): TierWrite {
  if (!balanceExists) return { setTier: "tier = :to", condition: "attribute_not_exists(pk)", values: { ":to": to } };
  const bounded = Number.isFinite(high);
  return {
    setTier: "tier = :to",
    condition: bounded ? "tier = :from AND lifetimePoints BETWEEN :low AND :high" : "tier = :from AND lifetimePoints >= :low",
    values: { ":to": to, ":from": from, ":low": low, ...(bounded ? { ":high": high } : {}) },
  };
}
