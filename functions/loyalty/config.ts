/**
 * Loyalty programme settings, read once from `PAYBUS_LOYALTY_CONFIG` (JSON) and validated with zod.
 * Every rate is a pair of integers so that no points figure ever goes through floating point.
 */
import * as z from "zod";

/** `points` points for every `perUnits` whole units of the currency: ¥100 -> 1 point is `{ points: 1, perUnits: 100 }`. */
export const pointsRate = z.object({
  points: z.number().int().nonnegative(),
  perUnits: z.number().int().positive(),
});

/** A promotional window: purchases made in `[start, end)` earn `multiplier` times the points. */
export const promotionWindow = z
  .object({
    name: z.string().min(1),
    start: z.iso.datetime({ offset: true }),
    end: z.iso.datetime({ offset: true }),
    multiplier: z.number().int().min(1).default(3),
  })
  .refine((p) => Date.parse(p.start) < Date.parse(p.end), { message: "start must be before end", path: ["end"] });

export const loyaltyConfig = z
  .object({
    /** Points per currency (lower-case ISO code). Replaces the default table: list `usd` too if you set it. */
    currencies: z
      .record(z.string().regex(/^[a-z]{3}$/, "expected a lower-case ISO 4217 code"), pointsRate)
      .default({ usd: { points: 1, perUnits: 1 } }),
    /** Multiplier for purchases whose metadata says `product_category: "premium"`. */
    premiumMultiplier: z.number().int().min(1).default(2),
    promotions: z.array(promotionWindow).default([]),
    /** Whether payments of subscription invoices earn points (detected on pre-2025-03-31 payloads only). */
    accrueSubscriptionPayments: z.boolean().default(false),
    /**
     * Points expire `afterDays` after they were credited (oldest first), with a warning email
     * `warnDays` before; `null`: points never expire. Tiers follow lifetime points regardless.
     */
    expiry: z
      .object({ afterDays: z.number().int().positive(), warnDays: z.number().int().nonnegative() })
      .strict()
      .refine((e) => e.warnDays < e.afterDays, { message: "warnDays must be shorter than afterDays", path: ["warnDays"] })
      .nullable()
      .default({ afterDays: 365, warnDays: 14 }),
    /**
     * Spending milestones (`functions/loyalty-milestones`): lifetime spend thresholds in whole units
     * of `currency`, measured through the rate table (base points), so spend in every configured
     * currency counts. Each reached threshold triggers one campaign email.
     */
    milestones: z
      .object({
        currency: z.string().regex(/^[a-z]{3}$/, "expected a lower-case ISO 4217 code").default("usd"),
        /** Opt-in: none by default, so a programme sends no campaign it did not ask for. */
        thresholds: z.array(z.number().int().positive()).default([]),
      })
      .strict()
      .default({ currency: "usd", thresholds: [] }),
  })
  .strict();

export type PointsRate = z.infer<typeof pointsRate>;
export type PromotionWindow = z.infer<typeof promotionWindow>;
export type LoyaltyConfig = z.infer<typeof loyaltyConfig>;

/** The environment variable holding the JSON configuration. */
export const LOYALTY_CONFIG_ENV = "PAYBUS_LOYALTY_CONFIG";

/** The configuration is unusable: the function must not start with a guessed programme. */
export class LoyaltyConfigError extends Error {
  override name = "LoyaltyConfigError";
}

/** Parses the configuration JSON; an absent or empty variable gives the defaults. */
export function parseLoyaltyConfig(json: string | undefined): LoyaltyConfig {
  let value: unknown = {};
  if (json !== undefined && json.trim() !== "") {
    try {
      value = JSON.parse(json);
    } catch (cause) {
      throw new LoyaltyConfigError(`${LOYALTY_CONFIG_ENV} is not valid JSON: ${(cause as Error).message}`, { cause });
    }
  }
  const result = loyaltyConfig.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue?.path.map(String).join(".") || "(root)";
    // Record keys report "Invalid key in record" with the key's own problem nested one level down.
    const nested = (issue as { issues?: readonly { message: string }[] } | undefined)?.issues?.[0]?.message;
    const message = [issue?.message ?? "invalid", nested].filter(Boolean).join(": ");
    throw new LoyaltyConfigError(`${LOYALTY_CONFIG_ENV}.${path}: ${message}`, { cause: result.error });
  }
  return result.data;
}

/** The configuration from the environment. */
export function loadLoyaltyConfig(env: NodeJS.ProcessEnv = process.env): LoyaltyConfig {
  return parseLoyaltyConfig(env[LOYALTY_CONFIG_ENV]);
}

/** How long a lot of points lives, in seconds; `null` when points never expire. */
export function lotExpirySeconds(config: Pick<LoyaltyConfig, "expiry">): number | null {
  return config.expiry ? config.expiry.afterDays * 86_400 : null;
}
