import { describe, expect, it } from "vitest";
import { fixtureNames, fixtureText } from "../fixtures/index.ts";
import { compilePattern, RuleSet } from "../pattern/index.ts";
import { PARTNER_SOURCE_PREFIX, WEBHOOK_SOURCE, queues, ruleList, stripeSources } from "./rules.ts";

describe("the routing declaration", () => {
  it("gives every rule a unique PascalCase name and a description", () => {
    const names = ruleList.map((rule) => rule.name);

    expect(new Set(names).size).toBe(names.length);
    for (const rule of ruleList) {
      expect(rule.name).toMatch(/^[A-Z][A-Za-z0-9]+$/);
      expect(rule.description.length).toBeGreaterThan(10);
    }
  });

  it("targets only declared queues", () => {
    for (const rule of ruleList) {
      if ("queue" in rule.target) expect(Object.keys(queues)).toContain(rule.target.queue);
    }
  });

  it("leaves no queue without a rule feeding it", () => {
    const fed = new Set(ruleList.flatMap((rule) => ("queue" in rule.target ? [rule.target.queue] : [])));

    expect([...fed].sort()).toEqual(Object.keys(queues).sort());
  });

  it("keeps the visibility timeout above the consumer timeout and a DLQ after a few receives", () => {
    for (const queue of Object.values(queues)) {
      expect(queue.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(queue.consumer.timeoutSeconds * 6);
      expect(queue.maxReceiveCount).toBeGreaterThanOrEqual(2);
      expect(queue.consumer.handler).toMatch(/^functions\/[a-z-]+\/handler\.[A-Za-z]+$/);
    }
  });

  it("routes the mission's event types", () => {
    const types = ruleList.flatMap((rule) => rule.pattern["detail-type"] as string[]);

    expect(types).toEqual(
      expect.arrayContaining([
        "invoice.paid",
        "invoice.payment_failed",
        "payment_intent.succeeded",
        "charge.refunded",
        "charge.dispute.created",
      ]),
    );
  });
});

describe("stripeSources", () => {
  it("accepts any Stripe destination and the webhook bridge by default", () => {
    expect(stripeSources()).toEqual([{ prefix: PARTNER_SOURCE_PREFIX }, WEBHOOK_SOURCE]);
  });

  it("trusts only the given destinations when they are named", () => {
    expect(stripeSources({ destinationIds: ["ed_test_1", "ed_2"] })).toEqual([
      "aws.partner/stripe.com/ed_test_1",
      "aws.partner/stripe.com/ed_2",
      WEBHOOK_SOURCE,
    ]);
  });

  it("never uses an aws.-prefixed source for the bridge, which PutEvents would reject", () => {
    expect(WEBHOOK_SOURCE.startsWith("aws.")).toBe(false);
  });
});

function declaredRuleSet(): RuleSet {
  const ruleSet = new RuleSet();
  for (const rule of ruleList) ruleSet.add(rule.name, JSON.stringify(rule.pattern));
  return ruleSet;
}

describe("the declared patterns", () => {
  it("are valid EventBridge patterns", () => {
    for (const rule of ruleList) expect(() => compilePattern(JSON.stringify(rule.pattern))).not.toThrow();
  });

  it("route each fixture to the rules the mission needs, and no other", () => {
    const ruleSet = declaredRuleSet();

    const routed = Object.fromEntries(fixtureNames.map((name) => [name.slice(0, 2), ruleSet.matchingRules(fixtureText(name))]));

    expect(routed).toEqual({
      "01": ["RecurringPaymentNotifications"],
      "02": ["RecurringPaymentNotifications"],
      "03": ["LoyaltyAccrual"],
      "04": ["LoyaltyAccrual"],
      "05": ["LoyaltyAccrual"],
      "06": ["LoyaltyReversal"],
      "07": ["LoyaltyReversal"],
      "08": [],
      "09": ["CancellationScheduledNotice"],
      "10": ["CancellationConfirmedNotice"],
      "11": ["LoyaltyAccrual"],
      "12": ["LoyaltyAccrual"],
      "13": ["RecurringPaymentNotifications"],
      "14": ["LoyaltyAccrual"],
      "15": [],
      "16": [],
      "17": ["CustomerProfileSync"],
      "18": ["CustomerProfileSync"],
      "19": ["CustomerProfileSync"],
      "20": ["PaymentActionRequiredNotice"],
      "21": ["TrialEndingNotice"],
      "22": ["RenewalReminderNotice"],
      "23": ["CustomerProfileSync"],
    });
  });

  it("also route the same events when the webhook bridge is their source", () => {
    const ruleSet = declaredRuleSet();
    const event = JSON.parse(fixtureText("01"));
    event.source = WEBHOOK_SOURCE;

    expect(ruleSet.matchingRules(JSON.stringify(event))).toEqual(["RecurringPaymentNotifications"]);
  });

  it("ignore an untrusted source even with a Stripe-shaped event", () => {
    const ruleSet = declaredRuleSet();
    const event = JSON.parse(fixtureText("01"));
    event.source = "com.attacker.stripe";

    expect(ruleSet.matchingRules(JSON.stringify(event))).toEqual([]);
  });
});
