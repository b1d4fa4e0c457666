/**
 * Promotions as data: the programme's promotion windows live in the `promotions` table, where the
 * promotions API (`functions/promotions`) writes them and the loyalty consumer reads them through a
 * short cache. The `promotions` of `PAYBUS_LOYALTY_CONFIG` stay the default while the table holds
 * none.
 *
 * The whole set is one item (`pk = PROMOTIONS`) with a `version`: a change reads the set, checks
 * the new window against every other one, and writes the set back on the condition that the
 * version did not move, so two administrators adding overlapping windows at once cannot both
 * succeed. DynamoDB's 400 KB item limit bounds the set at about two thousand windows; remove
 * windows that have ended.
 */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import * as z from "zod";
import type { PromotionWindow } from "./config.ts";
import { DEFAULT_PROMOTIONS_CACHE_SECONDS, PROMOTIONS_CACHE_ENV, PROMOTIONS_KEY } from "./promotion-key.ts";

export { PROMOTIONS_KEY };


/** Largest multiplier of one window; windows that multiply may not combine beyond {@link MAX_COMBINED_MULTIPLIER}. */
export const MAX_MULTIPLIER = 10;
export const MAX_COMBINED_MULTIPLIER = 100;

/**
 * How a window combines with windows it overlaps:
 * - `exclusive` (the default): it may not overlap any other window;
 * - `highest`: among overlapping `highest` windows the largest multiplier applies (no stacking);
 * - `multiply`: overlapping `multiply` windows multiply (2× and 3× give 6×).
 * Two windows may overlap only when both say `highest` or both say `multiply`.
 */
export const COMBINE_RULES = ["exclusive", "highest", "multiply"] as const;
export type CombineRule = (typeof COMBINE_RULES)[number];

const instant = z.iso.datetime({ offset: true });

/** What a window may be restricted to; an absent condition does not restrict. */
export const promotionConditions = z
  .object({
    /** Only purchases in these currencies (lower-case ISO codes). */
    currencies: z.array(z.string().regex(/^[a-z]{3}$/, "expected a lower-case ISO 4217 code")).min(1).optional(),
    /** Only premium purchases (`metadata.product_category = "premium"`). */
    premiumOnly: z.boolean().optional(),
  })
  .strict();

/** A promotion as the API accepts it (`POST /promotions`) and the table stores it. */
export const promotion = z
  .object({
    /** The window's identity: lower-case letters, digits and dashes. */
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "expected 1 to 63 lower-case letters, digits or dashes"),
    description: z.string().max(500).optional(),
    start: instant,
    end: instant,
    multiplier: z.number().int("expected a whole multiplier").min(2, "a promotion multiplies by 2 or more").max(MAX_MULTIPLIER),
    combine: z.enum(COMBINE_RULES).default("exclusive"),
    conditions: promotionConditions.optional(),
  })
  .strict()
  .refine((p) => Date.parse(p.start) < Date.parse(p.end), { message: "end must be after start", path: ["end"] });

export type Promotion = z.infer<typeof promotion>;
/** A window as the award computation reads it: from the table, or from the environment (no rule: `highest`). */
export type ActiveWindow = PromotionWindow & Partial<Pick<Promotion, "combine" | "conditions" | "description">>;

/** The promotion set cannot take this change. */
export class PromotionConflictError extends Error {
  override name = "PromotionConflictError";
  constructor(
    message: string,
    readonly code: "PromotionExists" | "PromotionOverlaps" | "CombinedMultiplierTooHigh",
  ) {
    super(message);
  }
}

export class PromotionNotFoundError extends Error {
  override name = "PromotionNotFoundError";
}

const overlaps = (a: Pick<Promotion, "start" | "end">, b: Pick<Promotion, "start" | "end">) =>
  Date.parse(a.start) < Date.parse(b.end) && Date.parse(b.start) < Date.parse(a.end);

/**
 * Checks that `candidate` may join `existing`: a new name, overlaps only between windows that both
 * declare the same non-exclusive rule, and multiplying windows that stay within
 * {@link MAX_COMBINED_MULTIPLIER} together.
 *
 * @throws PromotionConflictError naming the window in the way.
 */
export function checkCandidate(existing: readonly Promotion[], candidate: Promotion): void {
  if (existing.some((p) => p.name === candidate.name)) {
    throw new PromotionConflictError(`a promotion named "${candidate.name}" exists: remove it first or choose another name`, "PromotionExists");
  }
  const overlapping = existing.filter((p) => overlaps(p, candidate));
  for (const other of overlapping) {
    if (candidate.combine === "exclusive" || other.combine !== candidate.combine) {
      throw new PromotionConflictError(
        `"${candidate.name}" (${candidate.combine}) overlaps "${other.name}" (${other.combine}) from ${other.start} to ${other.end}: ` +
          'overlapping windows must both declare combine "highest" or both "multiply"',
        "PromotionOverlaps",
      );
    }
  }
  if (candidate.combine === "multiply") {
    // An upper bound of any instant's product inside the new window: every window active then overlaps it.
    const product = overlapping.reduce((total, p) => total * p.multiplier, candidate.multiplier);
    if (product > MAX_COMBINED_MULTIPLIER) {
      throw new PromotionConflictError(
        `"${candidate.name}" would multiply with overlapping windows up to ${product}×, above ${MAX_COMBINED_MULTIPLIER}×`,
        "CombinedMultiplierTooHigh",
      );
    }
  }
}

/** The purchase facts a window's conditions look at. */
export interface PurchaseFacts {
  readonly currency: string;
  readonly premium: boolean;
}

function applies(window: ActiveWindow, atMs: number, purchase: PurchaseFacts): boolean {
  if (!(Date.parse(window.start) <= atMs && atMs < Date.parse(window.end))) return false;
  const conditions = window.conditions;
  if (conditions?.currencies && !conditions.currencies.includes(purchase.currency.toLowerCase())) return false;
  if (conditions?.premiumOnly && !purchase.premium) return false;
  return true;
}

/**
 * The promotion in force for a purchase at `epochSeconds` (windows are `[start, end)`), with its
 * combined multiplier: the product when every applying window says `multiply`, otherwise the
 * highest (the environment's windows, which declare no rule, never stack). `null` when none applies.
 */
export function promotionFor(
  windows: readonly ActiveWindow[],
  epochSeconds: number,
  purchase: PurchaseFacts,
): { readonly name: string; readonly multiplier: number } | null {
  const active = windows.filter((window) => applies(window, epochSeconds * 1000, purchase));
  if (active.length === 0) return null;
  if (active.length > 1 && active.every((window) => window.combine === "multiply")) {
    const sorted = [...active].sort((a, b) => a.name.localeCompare(b.name));
    return { name: sorted.map((w) => w.name).join("+"), multiplier: sorted.reduce((total, w) => total * w.multiplier, 1) };
  }
  // The first of the highest, in declaration order, as the environment's windows always did.
  const best = active.reduce((top, window) => (window.multiplier > top.multiplier ? window : top));
  return { name: best.name, multiplier: best.multiplier };
}

// ---------------------------------------------------------------------------------------------
// Storage.

const storedSet = z.object({ version: z.number().int().positive(), promotions: z.array(promotion) });

/** The promotion set as stored, with the version a change must be conditioned on (0: no item yet). */
export interface PromotionSet {
  readonly version: number;
  readonly promotions: readonly Promotion[];
}

/** The `promotions` table: one versioned item holding every window. */
export class PromotionStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** The current set; strongly consistent, so a window just added is seen by the next read. */
  async read(): Promise<PromotionSet> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: PROMOTIONS_KEY }, ConsistentRead: true }),
    );
    if (!Item) return { version: 0, promotions: [] };
    const { pk: _pk, ...fields } = Item;
    return storedSet.parse(fields);
  }

  /**
   * Adds a window, or returns the stored one when the same window is already there (a retried
   * request gets the first answer).
   *
   * @throws PromotionConflictError (exists with other values, overlaps, combined multiplier too high).
   */
  async add(candidate: Promotion): Promise<{ readonly promotion: Promotion; readonly created: boolean }> {
    return this.change<{ readonly promotion: Promotion; readonly created: boolean }>(async (current) => {
      const same = current.promotions.find((p) => p.name === candidate.name);
      if (same && JSON.stringify(same) === JSON.stringify(candidate)) return { result: { promotion: same, created: false } };
      checkCandidate(current.promotions, candidate);
      return { next: [...current.promotions, candidate], result: { promotion: candidate, created: true } };
    });
  }

  /** Removes a window by name. @throws PromotionNotFoundError */
  async remove(name: string): Promise<Promotion> {
    return this.change(async (current) => {
      const found = current.promotions.find((p) => p.name === name);
      if (!found) throw new PromotionNotFoundError(`no promotion named "${name}"`);
      return { next: current.promotions.filter((p) => p.name !== name), result: found };
    });
  }

  /** Read, decide, write on the version read; a concurrent change makes it decide again. */
  private async change<T>(decide: (current: PromotionSet) => Promise<{ next?: Promotion[]; result: T }>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.read();
      const { next, result } = await decide(current);
      if (!next) return result;
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { pk: PROMOTIONS_KEY, version: current.version + 1, promotions: next },
            ...(current.version === 0
              ? { ConditionExpression: "attribute_not_exists(pk)" }
              : { ConditionExpression: "version = :version", ExpressionAttributeValues: { ":version": current.version } }),
          }),
        );
        return result;
      } catch (error) {
        if ((error as { name?: string }).name !== "ConditionalCheckFailedException" || attempt >= 10) throw error;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The consumer's cached view.

// Declared in the leaf module the local runtime may read (it scales the cache with time).
export { DEFAULT_PROMOTIONS_CACHE_SECONDS, PROMOTIONS_CACHE_ENV };

/** The cache duration from the environment: a number of seconds ≥ 0 (0 reads on every message). */
export function promotionsCacheSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[PROMOTIONS_CACHE_ENV];
  if (raw === undefined || raw.trim() === "") return DEFAULT_PROMOTIONS_CACHE_SECONDS;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`${PROMOTIONS_CACHE_ENV} must be a number of seconds ≥ 0, not "${raw}"`);
  return seconds;
}

/**
 * The windows the consumer applies: the table's, cached for `cacheSeconds`; the environment's
 * (`fallback`) while the table holds none. A failed read is not cached and propagates, so the
 * record is retried rather than credited without its promotion. The records of a batch run
 * concurrently: when the cache has run out, they share one read instead of each making its own
 * (not with a cache of 0 s, where each message reads the table itself).
 */
export class CachedPromotions {
  private cached: { readonly at: number; readonly promotions: readonly Promotion[] } | undefined;
  private reading: Promise<readonly Promotion[]> | undefined;

  constructor(
    private readonly store: Pick<PromotionStore, "read">,
    private readonly cacheSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  async windows(fallback: readonly PromotionWindow[]): Promise<readonly ActiveWindow[]> {
    const now = this.now();
    let promotions = this.cached?.promotions;
    if (!this.cached || now - this.cached.at >= this.cacheSeconds * 1000) {
      promotions = await (this.cacheSeconds > 0 ? (this.reading ??= this.read(now)) : this.read(now));
    }
    return promotions!.length > 0 ? promotions! : fallback;
  }

  private async read(at: number): Promise<readonly Promotion[]> {
    try {
      const { promotions } = await this.store.read();
      this.cached = { at, promotions };
      return promotions;
    } finally {
      this.reading = undefined;
    }
  }
}
