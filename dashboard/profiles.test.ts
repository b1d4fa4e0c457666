/**
 * The Customers view's read model: pure folding of profile items, then the dashboard's state reader
 * on a real runtime (demo profiles, a device registered through the signed device API and disabled
 * in SNS, a customer synced from Stripe and then deleted).
 */
import { SetEndpointAttributesCommand, SNSClient } from "@aws-sdk/client-sns";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFixture } from "../fixtures/index.ts";
import { seedDemoCustomers } from "../local/demo.ts";
import { devicesRoute } from "../local/devices.ts";
import type { Runtime } from "../local/runtime.ts";
import { startTestRuntime } from "../test/support/runtime.ts";
import { signRequest } from "../local/sigv4.ts";
import { profileViews } from "./profiles.ts";
import { StateReader } from "./state.ts";
import { adminClient } from "../local/admin-client.ts";

const ARN = (platform: string, id: string) => `arn:aws:sns:us-east-1:111122223333:endpoint/${platform}/shop/${id}`;

describe("profileViews", () => {
  it("redacts the email, names each device's platform and state once, and keeps erased customers without personal data", () => {
    const items = [
      {
        pk: "cus_B2",
        email: "jenny.rosen@example.com",
        name: "Jenny Rosen",
        locale: "en-US",
        account: "acct_1Connect",
        // The registered device's endpoint is also in pushEndpoints: it is one device.
        pushEndpoints: [ARN("GCM", "seeded"), ARN("APNS", "app-1")],
        devices: { k1: { platform: "APNS", token: "a".repeat(64), endpointArn: ARN("APNS", "app-1"), registeredAt: 1 } },
      },
      { pk: "cus_A1", deleted: true, email: "gone@example.com", pushEndpoints: [] },
      { pk: "cus_C3", pushEndpoints: [ARN("GCM", "removed")] },
    ];
    const enabled = new Map([[ARN("GCM", "seeded"), true], [ARN("APNS", "app-1"), false]]);

    const views = profileViews(items, (arn) => enabled.get(arn));

    expect(views).toEqual([
      { customerId: "cus_A1", email: undefined, locale: undefined, account: undefined, deleted: true, devices: [] },
      {
        customerId: "cus_B2",
        email: "j***@example.com",
        locale: "en-US",
        account: "acct_1Connect",
        deleted: false,
        devices: [
          { endpoint: "shop/app-1", platform: "APNS", state: "disabled", registered: true },
          { endpoint: "shop/seeded", platform: "GCM", state: "enabled", registered: false },
        ],
      },
      { customerId: "cus_C3", email: undefined, locale: undefined, account: undefined, deleted: false, devices: [{ endpoint: "shop/removed", platform: "GCM", state: "missing", registered: false }] },
    ]);
    expect(JSON.stringify(views)).not.toMatch(/jenny|Rosen|gone@/);
  });
});

describe("the state reader's profiles on a real runtime", () => {
  let runtime: Runtime;
  let reader: StateReader;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "paybus-dashboard-profiles-"));
    runtime = await startTestRuntime({ dataDir, port: 0, timeScale: 0.01, workflowTimeScale: 0.0001, prefix: "dprof" });
    runtime.addRoute(devicesRoute(runtime));
    await seedDemoCustomers(runtime);
    reader = new StateReader(runtime, {});
  });

  afterAll(async () => {
    reader?.close();
    await runtime?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("shows synced, seeded and deleted customers with their devices, enabled or disabled, and no address in clear", async () => {
    // A customer from Stripe with a device registered through the signed device API, then disabled by SNS.
    const results = runtime.sendEnvelopes([loadFixture("17")]);
    expect(results.every((result) => "EventId" in result)).toBe(true);
    await runtime.waitForQuiet(30_000, 100);
    const url = new URL("/devices", runtime.gatewayUrl);
    const body = JSON.stringify({ customerId: "cus_U3kq8ZrW1fLm0D", platform: "GCM", token: "t".repeat(40) });
    const headers = await signRequest(
      { method: "POST", url, headers: { "content-type": "application/json", "Idempotency-Key": "dash-1" }, body },
      { region: runtime.region, accessKeyId: "local", secretAccessKey: "local" },
    );
    const registered = await fetch(url, { method: "POST", headers, body });
    expect(registered.status).toBe(200);
    const { device } = (await registered.json()) as { device: { endpointArn: string } };
    const sns = adminClient(SNSClient, runtime.endpoints.sns, runtime.region);
    await sns.send(new SetEndpointAttributesCommand({ EndpointArn: device.endpointArn, Attributes: { Enabled: "false" } }));
    sns.destroy();

    const before = (await reader.read(new Map())).profiles;

    expect(before.map((p) => p.customerId)).toEqual(["cus_61BSXNh6V2pQ3q", "cus_AbIItO38LiTlry", "cus_Qul9Qa3lJkatBi", "cus_rr45S67CzesPOY", "cus_U3kq8ZrW1fLm0D"]);
    const synced = before.find((p) => p.customerId === "cus_U3kq8ZrW1fLm0D")!;
    expect(synced).toMatchObject({ email: "c***@example.fr", locale: "fr", deleted: false });
    expect(synced.devices).toEqual([{ endpoint: device.endpointArn.split("/").slice(-2).join("/"), platform: "GCM", state: "disabled", registered: true }]);
    const jenny = before.find((p) => p.customerId === "cus_AbIItO38LiTlry")!;
    expect(jenny).toMatchObject({ email: "j***@example.com", locale: "en-US", deleted: false });
    expect(jenny.devices).toEqual([expect.objectContaining({ platform: "GCM", state: "enabled", registered: false })]);
    expect(before.find((p) => p.customerId === "cus_Qul9Qa3lJkatBi")!.devices).toEqual([]);
    expect(JSON.stringify(before)).not.toMatch(/camille|jenny\.rosen|alex\.martin/);

    // Stripe deletes the customer: the profile is erased and its device goes with it.
    runtime.sendEnvelopes([loadFixture("23")]);
    await runtime.waitForQuiet(30_000, 100);
    const after = (await reader.read(new Map())).profiles.find((p) => p.customerId === "cus_U3kq8ZrW1fLm0D");

    expect(after).toEqual({ customerId: "cus_U3kq8ZrW1fLm0D", email: undefined, locale: undefined, account: undefined, deleted: true, devices: [] });
  });
});
