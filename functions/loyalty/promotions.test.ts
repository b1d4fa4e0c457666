/**
 * Promotions as data: validation of a window, the overlap rule, how overlapping windows combine,
 * the versioned store on the local DynamoDB engine (concurrent administrators), and the consumer's
 * cache (with an injected clock, so no test depends on wall-clock time).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseLoyaltyConfig } from "./config.ts";
import { computeAward } from "./points.ts";
import {
  CachedPromotions,
  checkCandidate,
  promotion,
  PromotionConflictError,
  PromotionNotFoundError,
  promotionFor,
  promotionsCacheSeconds,
  PromotionStore,
  type Promotion,
} from "./promotions.ts";
import { startLocalTables, type LocalTables } from "../../test/support/loyalty-engines.ts";

const window = (name: string, start: string, end: string, multiplier: number, extra: Partial<Promotion> = {}): Promotion =>
  promotion.parse({ name, start: `2026-${start}T00:00:00Z`, end: `2026-${end}T00:00:00Z`, multiplier, ...extra });
const at = (date: string) => Date.parse(`2026-${date}Z`) / 1000;
const usd = { currency: "usd", premium: false };

describe("a promotion window", () => {
  it("is refused when it ends before it starts, multiplies outside 2..10, or carries unknown fields", () => {
    const base = { name: "summer", start: "2026-07-01T00:00:00Z", end: "2026-08-01T00:00:00Z", multiplier: 3 };

    expect(promotion.safeParse(base).success).toBe(true);
    expect(promotion.safeParse({ ...base, end: base.start }).error?.issues[0]).toMatchObject({ path: ["end"], message: "end must be after start" });
    expect(promotion.safeParse({ ...base, multiplier: 1 }).success).toBe(false);
    expect(promotion.safeParse({ ...base, multiplier: 11 }).success).toBe(false);
    expect(promotion.safeParse({ ...base, multiplier: 2.5 }).success).toBe(false);
    expect(promotion.safeParse({ ...base, name: "Summer Sale" }).success).toBe(false);
    expect(promotion.safeParse({ ...base, stack: true }).success).toBe(false);
    expect(promotion.safeParse({ ...base, conditions: { currencies: ["USD"] } }).success).toBe(false);
    expect(promotion.parse(base).combine).toBe("exclusive");
  });
});

describe("overlapping windows", () => {
  const summer = window("summer", "07-01", "08-01", 3, { combine: "highest" });

  it("are refused unless both declare the same combine rule", () => {
    const exclusive = window("launch", "07-20", "07-27", 4);
    const multiply = window("launch", "07-20", "07-27", 2, { combine: "multiply" });

    expect(() => checkCandidate([summer], exclusive)).toThrow(/overlaps "summer"/);
    expect(() => checkCandidate([summer], multiply)).toThrow(PromotionConflictError);
    expect(() => checkCandidate([summer], window("launch", "07-20", "07-27", 4, { combine: "highest" }))).not.toThrow();
    // Adjacent windows do not overlap: [start, end).
    expect(() => checkCandidate([summer], window("august", "08-01", "09-01", 2))).not.toThrow();
    expect(() => checkCandidate([summer], window("summer", "09-01", "10-01", 2))).toThrow(/named "summer" exists/);
  });

  it("multiply only up to 100× together", () => {
    const a = window("a", "07-01", "08-01", 10, { combine: "multiply" });
    const b = window("b", "07-10", "07-20", 10, { combine: "multiply" });

    expect(() => checkCandidate([a], b)).not.toThrow();
    expect(() => checkCandidate([a, b], window("c", "07-15", "07-16", 2, { combine: "multiply" }))).toThrow(/up to 200×/);
  });

  it("apply the highest multiplier (highest) or the product (multiply)", () => {
    const highest = [summer, window("launch", "07-20", "07-27", 4, { combine: "highest" })];
    const multiply = [window("a", "07-01", "08-01", 2, { combine: "multiply" }), window("b", "07-20", "07-27", 3, { combine: "multiply" })];

    expect(promotionFor(highest, at("07-21T12:00:00"), usd)).toEqual({ name: "launch", multiplier: 4 });
    expect(promotionFor(highest, at("07-10T12:00:00"), usd)).toEqual({ name: "summer", multiplier: 3 });
    expect(promotionFor(multiply, at("07-21T12:00:00"), usd)).toEqual({ name: "a+b", multiplier: 6 });
    expect(promotionFor(multiply, at("08-01T00:00:00"), usd)).toBeNull();
  });

  it("apply only to the purchases their conditions name", () => {
    const euros = [window("euro", "07-01", "08-01", 3, { conditions: { currencies: ["eur"] } })];
    const premium = [window("premium", "07-01", "08-01", 3, { conditions: { premiumOnly: true } })];

    expect(promotionFor(euros, at("07-10T00:00:00"), usd)).toBeNull();
    expect(promotionFor(euros, at("07-10T00:00:00"), { currency: "EUR", premium: false })?.multiplier).toBe(3);
    expect(promotionFor(premium, at("07-10T00:00:00"), usd)).toBeNull();
    expect(promotionFor(premium, at("07-10T00:00:00"), { currency: "usd", premium: true })?.multiplier).toBe(3);
  });

  it("multiply with the premium multiplier in the award", () => {
    const config = { ...parseLoyaltyConfig(undefined), promotions: [window("a", "07-01", "08-01", 2, { combine: "multiply" }), window("b", "07-01", "08-01", 5, { combine: "multiply" })] };

    const award = computeAward({ money: { amount: 2099, currency: "usd" }, premium: true, occurredAt: at("07-02T00:00:00") }, config);

    expect(award).toEqual({ basePoints: 20, premiumMultiplier: 2, promotion: { name: "a+b", multiplier: 10 }, points: 400 });
  });
});

describe("the promotion store", () => {
  let tables: LocalTables<"promotions">;
  let store: PromotionStore;

  beforeAll(async () => {
    tables = await startLocalTables(["promotions"], "promotions");
    store = new PromotionStore(tables.client, tables.tableNames.promotions);
  });
  afterAll(async () => {
    await tables?.close();
  });

  it("adds, replays an identical add, lists and removes", async () => {
    const summer = window("summer", "07-01", "08-01", 3);

    expect(await store.read()).toEqual({ version: 0, promotions: [] });
    expect(await store.add(summer)).toEqual({ promotion: summer, created: true });
    expect(await store.add(summer)).toEqual({ promotion: summer, created: false });
    await expect(store.add({ ...summer, multiplier: 4 })).rejects.toThrow(/named "summer" exists/);
    expect((await store.read()).promotions).toEqual([summer]);
    expect(await store.remove("summer")).toEqual(summer);
    await expect(store.remove("summer")).rejects.toThrow(PromotionNotFoundError);
    expect((await store.read()).promotions).toEqual([]);
  });

  it("lets exactly one of twenty administrators adding overlapping exclusive windows at once succeed", async () => {
    const candidates = Array.from({ length: 20 }, (_, i) => window(`race-${i}`, "10-01", "10-15", 2 + (i % 9)));

    const results = await Promise.allSettled(candidates.map((candidate) => store.add(candidate)));

    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(results.filter((r) => r.status === "rejected").every((r) => (r as PromiseRejectedResult).reason instanceof PromotionConflictError)).toBe(true);
    expect((await store.read()).promotions.filter((p) => p.name.startsWith("race-"))).toHaveLength(1);
  });
});

describe("the consumer's cached view", () => {
  const env = [{ name: "env-summer", start: "2026-07-01T00:00:00Z", end: "2026-08-01T00:00:00Z", multiplier: 3 }];

  function fakeStore(sets: Promotion[][]) {
    let reads = 0;
    return {
      get reads() {
        return reads;
      },
      async read() {
        const promotions = sets[Math.min(reads, sets.length - 1)]!;
        reads++;
        return { version: reads, promotions };
      },
    };
  }

  it("reads the table once per cache period and falls back to the environment while it holds none", async () => {
    let now = 0;
    const table = fakeStore([[], [window("table", "07-01", "08-01", 5)]]);
    const cached = new CachedPromotions(table, 30, () => now);

    expect(await cached.windows(env)).toEqual(env);
    now = 29_999;
    expect(await cached.windows(env)).toEqual(env);
    expect(table.reads).toBe(1);
    now = 30_000;
    expect((await cached.windows(env)).map((w) => w.name)).toEqual(["table"]);
    expect(table.reads).toBe(2);
  });

  it("reads every time with a cache of 0 s, and does not cache a failed read", async () => {
    let fail = true;
    const flaky = {
      async read() {
        if (fail) throw Object.assign(new Error("throttled"), { name: "ThrottlingException" });
        return { version: 1, promotions: [window("table", "07-01", "08-01", 5)] };
      },
    };
    const cached = new CachedPromotions(flaky, 30, () => 0);

    await expect(cached.windows(env)).rejects.toThrow("throttled");
    fail = false;
    expect((await cached.windows(env)).map((w) => w.name)).toEqual(["table"]);

    const uncached = fakeStore([[]]);
    const zero = new CachedPromotions(uncached, 0, () => 0);
    await zero.windows(env);
    await zero.windows(env);
    expect(uncached.reads).toBe(2);
  });

  it("makes the concurrent records of a batch share one read when the cache has run out", async () => {
    let now = 0;
    const table = fakeStore([[window("first", "07-01", "08-01", 5)], [window("second", "07-01", "08-01", 5)]]);
    const cached = new CachedPromotions(table, 30, () => now);

    const batch = await Promise.all(Array.from({ length: 10 }, () => cached.windows(env)));
    now = 30_000;
    const next = await Promise.all(Array.from({ length: 10 }, () => cached.windows(env)));

    expect(batch.map((windows) => windows.map((w) => w.name))).toEqual(Array.from({ length: 10 }, () => ["first"]));
    expect(next.map((windows) => windows.map((w) => w.name))).toEqual(Array.from({ length: 10 }, () => ["second"]));
    expect(table.reads).toBe(2);
  });

  it("takes its duration from PAYBUS_PROMOTIONS_CACHE_SECONDS, refusing nonsense", () => {
    expect(promotionsCacheSeconds({})).toBe(30);
    expect(promotionsCacheSeconds({ PAYBUS_PROMOTIONS_CACHE_SECONDS: "0.3" })).toBe(0.3);
    expect(() => promotionsCacheSeconds({ PAYBUS_PROMOTIONS_CACHE_SECONDS: "-1" })).toThrow(/≥ 0/);
    expect(() => promotionsCacheSeconds({ PAYBUS_PROMOTIONS_CACHE_SECONDS: "soon" })).toThrow(/≥ 0/);
  });
});
