/**
 * The local SNS mobile push against the real `@aws-sdk/client-sns`, written from the SNS API
 * reference (CreatePlatformApplication, CreatePlatformEndpoint, SetEndpointAttributes,
 * DeleteEndpoint, ListEndpointsByPlatformApplication, Get*Attributes) and answers recorded against AWS.
 */
import {
  CreatePlatformApplicationCommand,
  CreatePlatformEndpointCommand,
  CreateTopicCommand,
  DeleteEndpointCommand,
  GetEndpointAttributesCommand,
  GetPlatformApplicationAttributesCommand,
  ListEndpointsByPlatformApplicationCommand,
  PublishCommand,
  SetEndpointAttributesCommand,
  SNSClient,
} from "@aws-sdk/client-sns";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalSns } from "../sns.ts";
import { adminClient } from "../admin-client.ts";

let sns: LocalSns;
let client: SNSClient;

beforeAll(async () => {
  sns = new LocalSns({ region: "us-east-1", accountId: "000000000000" });
  await sns.start();
  client = adminClient(SNSClient, sns.endpoint, "us-east-1", { maxAttempts: 1 });
});

afterAll(async () => {
  client.destroy();
  await sns.stop();
});

/** The error a command fails with (name, message), or a failure if it succeeds. */
async function failure(promise: Promise<unknown>): Promise<{ name: string; message: string; status: number | undefined }> {
  try {
    await promise;
  } catch (error) {
    const e = error as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error("the command succeeded");
}

async function gcmApplication(name: string): Promise<string> {
  const { PlatformApplicationArn } = await client.send(new CreatePlatformApplicationCommand({ Name: name, Platform: "GCM", Attributes: { PlatformCredential: "fcm-service-json" } }));
  return PlatformApplicationArn!;
}

describe("CreatePlatformApplication", () => {
  it("creates a GCM application with its credential and never returns the credential", async () => {
    const arn = await gcmApplication("paybus-android");

    expect(arn).toBe("arn:aws:sns:us-east-1:000000000000:app/GCM/paybus-android");
    const { Attributes } = await client.send(new GetPlatformApplicationAttributesCommand({ PlatformApplicationArn: arn }));
    expect(Attributes).toEqual({ Enabled: "true" });
  });

  it.each([
    ["a name with a space", { Name: "my app", Platform: "GCM", Attributes: { PlatformCredential: "k" } }, "Invalid parameter: my app Reason: must contain only characters 'a'-'z', 'A'-'Z', '0'-'9', '_', '-', and '.'"],
    ["a name over 256 characters", { Name: "a".repeat(257), Platform: "GCM", Attributes: { PlatformCredential: "k" } }, `Invalid parameter: ${"a".repeat(257)} Reason: must be at most 256 characters long`],
    ["an unknown platform", { Name: "app", Platform: "FCM", Attributes: { PlatformCredential: "k" } }, "Invalid parameter: Platform Reason: FCM is not supported"],
    ["APNS without its principal", { Name: "ios", Platform: "APNS", Attributes: { PlatformCredential: "private-key" } }, "Invalid parameter: Attributes Reason: PlatformCredential attribute provided without PlatformPrincipal"],
    ["ADM without its credential", { Name: "kindle", Platform: "ADM", Attributes: { PlatformPrincipal: "client-id" } }, "Invalid parameter: Attributes Reason: PlatformPrincipal attribute provided without PlatformCredential"],
    ["GCM with an empty credential", { Name: "android", Platform: "GCM", Attributes: { PlatformCredential: "" } }, "Invalid parameter: Attributes Reason: Invalid value for attribute: PlatformCredential: cannot be empty"],
  ])("refuses %s with InvalidParameter naming what is wrong", async (_case, input, message) => {
    const error = await failure(client.send(new CreatePlatformApplicationCommand(input)));

    expect(error).toEqual({ name: "InvalidParameterException", message, status: 400 });
  });

  it("refuses a request without Attributes as a validation error", async () => {
    const error = await failure(client.send(new CreatePlatformApplicationCommand({ Name: "app", Platform: "GCM", Attributes: undefined as never })));

    expect(error.name).toBe("ValidationError");
    expect(error.message).toBe("1 validation error detected: Value null at 'attributes' failed to satisfy constraint: Member must not be null");
  });

  it("accepts every platform SNS knows when its credentials are complete", async () => {
    for (const platform of ["APNS", "APNS_SANDBOX", "ADM", "BAIDU", "MPNS", "WNS"]) {
      const { PlatformApplicationArn } = await client.send(
        new CreatePlatformApplicationCommand({ Name: `app-${platform}`, Platform: platform, Attributes: { PlatformPrincipal: "principal", PlatformCredential: "credential" } }),
      );
      expect(PlatformApplicationArn).toBe(`arn:aws:sns:us-east-1:000000000000:app/${platform}/app-${platform}`);
    }
  });
});

describe("platform endpoints", () => {
  it("refuses an endpoint for an application that does not exist with NotFound", async () => {
    const error = await failure(
      client.send(new CreatePlatformEndpointCommand({ PlatformApplicationArn: "arn:aws:sns:us-east-1:000000000000:app/GCM/nope", Token: "t" })),
    );

    expect(error).toEqual({ name: "NotFoundException", message: "PlatformApplication does not exist", status: 404 });
  });

  it("is idempotent per token: same token and attributes, same ARN; other attributes, InvalidParameter", async () => {
    const app = await gcmApplication("idempotent-app");
    const register = (customUserData?: string) =>
      client.send(new CreatePlatformEndpointCommand({ PlatformApplicationArn: app, Token: "device-1", ...(customUserData ? { CustomUserData: customUserData } : {}) }));

    const first = (await register("user-1")).EndpointArn!;
    const again = (await register("user-1")).EndpointArn!;
    const conflict = await failure(register("user-2"));

    expect(first).toMatch(/^arn:aws:sns:us-east-1:000000000000:endpoint\/GCM\/idempotent-app\/[0-9a-f-]{36}$/);
    expect(again).toBe(first);
    expect(conflict).toEqual({
      name: "InvalidParameterException",
      message: `Invalid parameter: Token Reason: Endpoint ${first} already exists with the same Token, but different attributes.`,
      status: 400,
    });
    const { Endpoints } = await client.send(new ListEndpointsByPlatformApplicationCommand({ PlatformApplicationArn: app }));
    expect(Endpoints?.map((e) => e.EndpointArn)).toEqual([first]);
  });

  it("answers SetEndpointAttributes on a missing endpoint with NotFound instead of creating it", async () => {
    const missing = "arn:aws:sns:us-east-1:000000000000:endpoint/GCM/idempotent-app/00000000-0000-0000-0000-000000000000";

    const set = await failure(client.send(new SetEndpointAttributesCommand({ EndpointArn: missing, Attributes: { Enabled: "false" } })));
    const get = await failure(client.send(new GetEndpointAttributesCommand({ EndpointArn: missing })));

    expect(set).toEqual({ name: "NotFoundException", message: "Endpoint does not exist", status: 404 });
    expect(get).toEqual({ name: "NotFoundException", message: "Endpoint does not exist", status: 404 });
  });

  it("updates attributes, refuses unknown ones, deletes idempotently, and Publish then finds no endpoint", async () => {
    const app = await gcmApplication("lifecycle-app");
    const { EndpointArn } = await client.send(new CreatePlatformEndpointCommand({ PlatformApplicationArn: app, Token: "device-2" }));

    await client.send(new SetEndpointAttributesCommand({ EndpointArn, Attributes: { Enabled: "false", CustomUserData: "cus_1" } }));
    const { Attributes } = await client.send(new GetEndpointAttributesCommand({ EndpointArn }));
    const unknown = await failure(client.send(new SetEndpointAttributesCommand({ EndpointArn, Attributes: { Colour: "blue" } })));
    await client.send(new DeleteEndpointCommand({ EndpointArn }));
    await client.send(new DeleteEndpointCommand({ EndpointArn }));
    const publish = await failure(client.send(new PublishCommand({ TargetArn: EndpointArn, Message: "hi" })));

    expect(Attributes).toEqual({ Enabled: "false", Token: "device-2", CustomUserData: "cus_1" });
    expect(unknown).toEqual({ name: "InvalidParameterException", message: "Invalid parameter: Attributes Reason: Invalid attribute name: Colour", status: 400 });
    expect(publish.name).toBe("InvalidParameterException");
    expect(publish.message).toBe("Invalid parameter: TargetArn Reason: No endpoint found for the target arn specified");
  });

  it("lists an application's endpoints 100 at a time with NextToken", async () => {
    const app = await gcmApplication("many-devices");
    const created = [];
    for (let i = 0; i < 150; i++) created.push((await client.send(new CreatePlatformEndpointCommand({ PlatformApplicationArn: app, Token: `t-${i}` }))).EndpointArn);

    const first = await client.send(new ListEndpointsByPlatformApplicationCommand({ PlatformApplicationArn: app }));
    const second = await client.send(new ListEndpointsByPlatformApplicationCommand({ PlatformApplicationArn: app, NextToken: first.NextToken }));

    expect(first.Endpoints).toHaveLength(100);
    expect(first.NextToken).toBeTruthy();
    expect(second.NextToken).toBeUndefined();
    expect([...first.Endpoints!, ...second.Endpoints!].map((e) => e.EndpointArn)).toEqual(created);
    const missingApp = await failure(client.send(new ListEndpointsByPlatformApplicationCommand({ PlatformApplicationArn: `${app}-gone` })));
    expect(missingApp.name).toBe("NotFoundException");
  });
});

describe("Publish", () => {
  it("delivers to an enabled endpoint, refuses a disabled one, and names what a request lacks", async () => {
    const app = await gcmApplication("publish-app");
    const { EndpointArn } = await client.send(new CreatePlatformEndpointCommand({ PlatformApplicationArn: app, Token: "device-p" }));

    const { MessageId } = await client.send(new PublishCommand({ TargetArn: EndpointArn, Message: "hello" }));
    await client.send(new SetEndpointAttributesCommand({ EndpointArn, Attributes: { Enabled: "false" } }));
    const disabled = await failure(client.send(new PublishCommand({ TargetArn: EndpointArn, Message: "hello" })));
    const noTarget = await failure(client.send(new PublishCommand({ Message: "hello" })));
    const topic = await failure(client.send(new PublishCommand({ TopicArn: "arn:aws:sns:us-east-1:000000000000:alerts", Message: "hello" })));

    expect(sns.outbox.find((push) => push.messageId === MessageId)).toMatchObject({ targetArn: EndpointArn, message: "hello" });
    expect(disabled).toEqual({ name: "EndpointDisabledException", message: "Endpoint is disabled", status: 400 });
    expect(noTarget).toEqual({ name: "InvalidParameterException", message: "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter", status: 400 });
    expect(topic).toEqual({ name: "NotFoundException", message: "Topic does not exist", status: 404 });
  });
});

describe("what the local SNS does not emulate", () => {
  it("answers an unsupported action at once with an AWS-shaped InvalidAction", async () => {
    const error = await failure(client.send(new CreateTopicCommand({ Name: "alerts" })));

    expect(error.name).toBe("InvalidAction");
    expect(error.message).toMatch(/CreateTopic is not valid for the local SNS/);
    expect(error.status).toBe(400);
  });
});
