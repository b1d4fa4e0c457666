/**
 * The runtime wires the fidelity rules end to end: SES identities come from `stacks/stages.ts` and
 * what AWS would refuse is said in the log; the sandbox switch refuses unverified recipients; an
 * event put on the default bus through the gateway runs none of paybus's rules and is warned about.
 */
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { SendEmailCommand, SESClient } from "@aws-sdk/client-ses";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFixture } from "../fixtures/index.ts";
import type { Runtime } from "./runtime.ts";
import { startTestRuntime } from "../test/support/runtime.ts";
import { ADMIN_CREDENTIALS } from "./function-credentials.ts";

const credentials = ADMIN_CREDENTIALS;
let runtime: Runtime;
let dataDir: string;
const printed: string[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "paybus-fidelity-"));
  // A setting a deploy would refuse (a notice name misspelt); no event here reaches the function reading it.
  runtime = await startTestRuntime({ dataDir, port: 0, timeScale: 0.01, sesSandbox: true, env: { PAYBUS_LIFECYCLE_NOTICES: '{"renewal-reminders":true}' }, warn: (line) => void printed.push(line) });
}, 60_000);

afterAll(async () => {
  await runtime?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("the local runtime says what AWS would refuse", () => {
  it("warns at start that the declared example.com identity cannot be verified in AWS", () => {
    expect(printed.some((line) => line.startsWith('SES: "example.com" (stacks/stages.ts, stage "default")') && line.includes("docs/deploy.md"))).toBe(true);
    expect(runtime.warnings).toEqual(printed);
  });

  it("says at start which setting the functions would refuse, as a deploy does, rather than by every event's DLQ reason", () => {
    expect(printed).toContainEqual(expect.stringMatching(/^settings: PAYBUS_LIFECYCLE_NOTICES names unknown notices: renewal-reminders \(known: .*renewal-reminder.*\) — the functions that read it will fail every event \(into a DLQ\) until it is fixed$/));
  });

  it("in the sandbox, refuses an unverified recipient and sends to the mailbox simulator", async () => {
    const ses = new SESClient({ endpoint: runtime.endpoints.ses, region: runtime.region, credentials, maxAttempts: 1 });
    const email = (to: string) =>
      ses.send(new SendEmailCommand({ Source: "billing@example.com", Destination: { ToAddresses: [to] }, Message: { Subject: { Data: "s" }, Body: { Text: { Data: "b" } } } }));

    await expect(email("jenny@customer.example")).rejects.toMatchObject({
      name: "MessageRejected",
      message: "Email address is not verified. The following identities failed the check in region US-EAST-1: jenny@customer.example",
    });
    await expect(email("success@simulator.amazonses.com")).resolves.toMatchObject({ MessageId: expect.any(String) });
    ses.destroy();
  });

  it("accepts an event on the default bus without running paybus's rules, and warns", async () => {
    const purchase = loadFixture("03");
    const eventBridge = new EventBridgeClient({ endpoint: runtime.endpoints.eventBridge, region: runtime.region, credentials, maxAttempts: 1 });

    const answer = await eventBridge.send(new PutEventsCommand({ Entries: [{ Source: "paybus.stripe", DetailType: purchase["detail-type"], Detail: JSON.stringify(purchase.detail) }] }));
    await runtime.waitForQuiet(30_000);

    expect(answer.FailedEntryCount).toBe(0);
    const accepted = runtime.journal.list("bus.accepted").find((entry) => entry.eventId === answer.Entries?.[0]?.EventId);
    expect(accepted).toMatchObject({ eventBus: "default", matchedRules: [] });
    expect(runtime.journal.list("target.delivered")).toEqual([]);
    expect(printed.some((line) => line.includes("default bus") && line.includes(runtime.busName))).toBe(true);
    eventBridge.destroy();
  });
});
