/**
 * The local SNS on a state directory: applications, endpoints (created through the real SDK) and
 * the pushes sent are there again when a new instance starts on the same directory.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreatePlatformApplicationCommand,
  CreatePlatformEndpointCommand,
  GetEndpointAttributesCommand,
  PublishCommand,
  SetEndpointAttributesCommand,
  SNSClient,
} from "@aws-sdk/client-sns";
import { afterEach, describe, expect, it } from "vitest";
import { LocalSns } from "../sns.ts";
import { adminClient } from "../admin-client.ts";

const dirs: string[] = [];
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true }));
});

async function start(stateDir: string): Promise<{ sns: LocalSns; client: SNSClient }> {
  const sns = new LocalSns({ region: "us-east-1", accountId: "000000000000", stateDir });
  await sns.start();
  const client = adminClient(SNSClient, sns.endpoint, "us-east-1", { maxAttempts: 1 });
  stops.push(async () => {
    client.destroy();
    await sns.stop();
  });
  return { sns, client };
}

describe("LocalSns with a state directory", () => {
  it("keeps applications, endpoints with their attributes, and the outbox across a restart", async () => {
    // Arrange
    const dir = mkdtempSync(join(tmpdir(), "paybus-sns-"));
    dirs.push(dir);
    const first = await start(dir);
    const { PlatformApplicationArn } = await first.client.send(
      new CreatePlatformApplicationCommand({ Name: "app", Platform: "GCM", Attributes: { PlatformCredential: "key" } }),
    );
    const { EndpointArn: phone } = await first.client.send(new CreatePlatformEndpointCommand({ PlatformApplicationArn, Token: "phone-token" }));
    const { EndpointArn: tablet } = await first.client.send(new CreatePlatformEndpointCommand({ PlatformApplicationArn, Token: "tablet-token" }));
    await first.client.send(new SetEndpointAttributesCommand({ EndpointArn: tablet, Attributes: { Enabled: "false" } }));
    const { MessageId } = await first.client.send(new PublishCommand({ TargetArn: phone, Message: "hello" }));

    // Act: a new instance on the same directory (as after a restart).
    const second = await start(dir);

    // Assert
    expect(second.sns.outbox.map((push) => push.messageId)).toEqual([MessageId]);
    const again = await second.client.send(new CreatePlatformEndpointCommand({ PlatformApplicationArn, Token: "phone-token" }));
    expect(again.EndpointArn).toBe(phone);
    const attributes = await second.client.send(new GetEndpointAttributesCommand({ EndpointArn: tablet }));
    expect(attributes.Attributes).toMatchObject({ Enabled: "false", Token: "tablet-token" });
    // The demo's direct registration finds it too: a restarted demo keeps its devices' endpoints.
    expect(second.sns.createEndpoint("app", "phone-token")).toBe(phone);
  });
});
