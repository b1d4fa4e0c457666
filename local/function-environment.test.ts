/** The local runtime's reading of the plan: each function's environment is the plan's, resolved locally, plus its own credentials. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { functionCredentials } from "./function-credentials.ts";
import { localFunctions, localPlan, type LocalResources } from "./function-environment.ts";
import { LambdaHost } from "./lambda.ts";
import { tables } from "../functions/common/tables.ts";

const resources: LocalResources = {
  prefix: "pb",
  region: "eu-west-1",
  accountId: "111122223333",
  busName: "pb-bus",
  // Every declared table (a table added to functions/common/tables.ts is one more here).
  tableNames: Object.fromEntries(Object.keys(tables).map((table) => [table, `pb-${table}`])) as LocalResources["tableNames"],
  pushApplications: { GCM: "arn:aws:sns:eu-west-1:111122223333:app/GCM/pb-app", APNS: "arn:aws:sns:eu-west-1:111122223333:app/APNS/pb-app" },
  gateway: "http://127.0.0.1:4999",
};

describe("localFunctions", () => {
  const plan = localPlan();
  const host = { PAYBUS_LOYALTY_TABLE: "stolen", PAYBUS_LIFECYCLE_NOTICES: "trial-ending", HOME: "/home/dev" };
  const functions = new Map(localFunctions(plan, resources, host).map((fn) => [fn.logicalName, fn]));

  it("names every plan function <prefix>-<logical name> and signs with its own access key", () => {
    expect([...functions.keys()].sort()).toEqual(plan.functions.map((fn) => fn.logicalName).sort());
    const crm = functions.get("EngagementCrm")!;
    expect(crm.name).toBe("pb-EngagementCrm");
    expect(crm.environment).toMatchObject({
      AWS_ACCESS_KEY_ID: functionCredentials("pb-EngagementCrm").accessKeyId,
      AWS_SECRET_ACCESS_KEY: functionCredentials("pb-EngagementCrm").secretAccessKey,
      AWS_LAMBDA_FUNCTION_NAME: "pb-EngagementCrm",
      AWS_REGION: "eu-west-1",
      AWS_ENDPOINT_URL_DYNAMODB: "http://127.0.0.1:4999",
    });
  });

  it("gives a function the plan's variables resolved to local names, and no table it was not granted", () => {
    const crm = functions.get("EngagementCrm")!.environment;
    const loyalty = functions.get("LoyaltyConsumer")!.environment;

    expect(crm.PAYBUS_LOYALTY_TABLE).toBe("pb-loyalty");
    expect(crm).not.toHaveProperty("PAYBUS_PROFILES_TABLE");
    expect(crm).not.toHaveProperty("PAYBUS_EVENT_BUS_NAME");
    expect(loyalty.PAYBUS_ENGAGEMENT_STATE_MACHINE_ARN).toBe("arn:aws:states:eu-west-1:111122223333:stateMachine:pb-engagement");
    // No local Secrets Manager: the function the plan lets read the Stripe key gets the local test key and Stripe endpoints.
    const offer = functions.get("EngagementOffer")!.environment;
    expect(offer).not.toHaveProperty("PAYBUS_STRIPE_API_KEY_SECRET_ID");
    expect(offer.PAYBUS_STRIPE_API_KEY).toMatch(/^sk_test_/);
    expect(crm).not.toHaveProperty("PAYBUS_STRIPE_API_KEY");
    for (const fn of plan.functions) {
      expect(Object.keys(functions.get(fn.logicalName)!.environment)).toEqual(expect.arrayContaining(Object.keys(fn.environment).filter((key) => key !== "PAYBUS_WEBHOOK_SECRET_ID" && key !== "PAYBUS_STRIPE_API_KEY_SECRET_ID")));
    }
  });

  it("passes the runtime's own settings but never a variable naming a resource, nor anything else of the host", () => {
    const crm = functions.get("EngagementCrm")!.environment;
    const lifecycle = functions.get("LifecycleConsumer")!.environment;

    expect(crm.PAYBUS_LOYALTY_TABLE).toBe("pb-loyalty");
    expect(lifecycle).not.toHaveProperty("PAYBUS_LOYALTY_TABLE");
    expect(lifecycle.PAYBUS_LIFECYCLE_NOTICES).toBe("trial-ending");
    expect(lifecycle).not.toHaveProperty("HOME");
  });

  it("gives the webhook signing secrets only to the webhook bridge", () => {
    const withSecrets = new Map(localFunctions(plan, { ...resources, extra: { STRIPE_WEBHOOK_SECRETS: "whsec_1", PAYBUS_X: "x" } }, {}).map((fn) => [fn.logicalName, fn.environment]));

    expect(withSecrets.get("WebhookBridge")).toMatchObject({ STRIPE_WEBHOOK_SECRETS: "whsec_1", PAYBUS_X: "x" });
    expect(withSecrets.get("WebhookBridge")).not.toHaveProperty("PAYBUS_WEBHOOK_SECRET_ID");
    expect(withSecrets.get("LoyaltyConsumer")).not.toHaveProperty("STRIPE_WEBHOOK_SECRETS");
    expect(withSecrets.get("LoyaltyConsumer")).toMatchObject({ PAYBUS_X: "x" });
  });
});

describe("a local function's AWS SDK", () => {
  it("reads no shared config file, as in Lambda, where the developer's would apply", async () => {
    // Arrange: a home whose ~/.aws/config sets max_attempts, as a developer's may.
    const home = mkdtempSync(join(tmpdir(), "paybus-home-"));
    mkdirSync(join(home, ".aws"));
    writeFileSync(join(home, ".aws", "config"), "[default]\nmax_attempts = 7\n");
    const planned = localFunctions(localPlan(), resources, {}).find((fn) => fn.logicalName === "EngagementCrm")!;
    const withHome: Record<string, string> = { ...planned.environment, HOME: home };
    const { AWS_CONFIG_FILE: _config, AWS_SHARED_CREDENTIALS_FILE: _credentials, ...unguarded } = withHome;
    const host = new LambdaHost(fileURLToPath(new URL("..", import.meta.url)));
    const fn = (name: string, environment: Record<string, string>) => ({ ...planned, name, handler: "test/support/transport-handlers.maxAttempts", environment });
    try {
      // Act
      const local = await host.invoke(fn("guarded", withHome), {});
      const control = await host.invoke(fn("unguarded", unguarded), {});

      // Assert: not the home file's 7 (the SDK's default), where without the guard it is the file's.
      expect(local).toMatchObject({ ok: true });
      expect(local.ok && local.result).not.toBe(7);
      expect(control).toMatchObject({ ok: true, result: 7 });
    } finally {
      await host.stop();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
