import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startLocalDynamo, type LocalDynamo } from "../../local/dynamodb/index.ts";
import { classifyError } from "./errors.ts";
import { getProfile, InvalidProfileError, putProfile, type ProfileTable } from "./profiles.ts";
import { tables } from "./tables.ts";
import { adminClient } from "../../local/admin-client.ts";

const ENDPOINT = "arn:aws:sns:us-east-1:111122223333:endpoint/GCM/paybus-app/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";

let engine: LocalDynamo;
let raw: DynamoDBClient;
let table: ProfileTable;

beforeAll(async () => {
  engine = await startLocalDynamo({ port: 0, ttlSweepIntervalMs: 0 });
  const names = await engine.createTables({ profiles: tables.profiles }, "test");
  raw = adminClient(DynamoDBClient, engine.endpoint, "us-east-1");
  table = { client: DynamoDBDocumentClient.from(raw), tableName: names.profiles };
  // The default table comes from the environment, as in Lambda.
  vi.stubEnv("AWS_ENDPOINT_URL_DYNAMODB", engine.endpoint);
  vi.stubEnv("AWS_REGION", "us-east-1");
  vi.stubEnv("AWS_ACCESS_KEY_ID", "local");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "local");
  vi.stubEnv("PAYBUS_PROFILES_TABLE", names.profiles);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  raw?.destroy();
  await engine?.close();
});

describe("profiles", () => {
  it("stores a profile and reads it back with defaults applied", async () => {
    // Arrange
    const input = { customerId: "cus_round1", email: "jenny.rosen@example.com", name: "Jenny Rosen", locale: "fr-FR" };

    // Act
    const stored = await putProfile(input, table);
    const read = await getProfile("cus_round1", table);

    // Assert
    expect(stored).toEqual({ ...input, pushEndpoints: [] });
    expect(read).toEqual(stored);
  });

  it("reads through the shared client and the table named in the environment by default", async () => {
    // Arrange
    await putProfile({ customerId: "cus_default1", pushEndpoints: [ENDPOINT], loyaltyCustomerId: "C-1" });

    // Act
    const read = await getProfile("cus_default1");

    // Assert
    expect(read).toEqual({ customerId: "cus_default1", pushEndpoints: [ENDPOINT], loyaltyCustomerId: "C-1" });
  });

  it("returns undefined for a customer without a profile", async () => {
    // Act
    const read = await getProfile("cus_nobody", table);

    // Assert
    expect(read).toBeUndefined();
  });

  it.each([
    ["a non-Stripe customer id", { customerId: "C-100231" }],
    ["a topic ARN instead of an endpoint", { customerId: "cus_bad1", pushEndpoints: ["arn:aws:sns:us-east-1:111122223333:billing"] }],
    ["an invalid email", { customerId: "cus_bad2", email: "not-an-email" }],
    ["an invalid locale", { customerId: "cus_bad3", locale: "en_US!" }],
  ])("refuses %s and stores nothing", async (_case, input) => {
    // Act
    const write = putProfile(input as never, table);

    // Assert
    await expect(write).rejects.toThrow();
    await expect(getProfile(input.customerId, table)).resolves.toBeUndefined();
  });

  it("reports a corrupt stored profile as poison without echoing the email", async () => {
    // Arrange: written behind putProfile's back
    await table.client.send(
      new PutCommand({
        TableName: table.tableName,
        Item: { pk: "cus_corrupt", customerId: "cus_corrupt", email: "jenny.rosen@example.com", pushEndpoints: "one" },
      }),
    );

    // Act
    const error = await getProfile("cus_corrupt", table).catch((caught: unknown) => caught);

    // Assert
    expect(error).toBeInstanceOf(InvalidProfileError);
    expect(classifyError(error)).toBe("poison");
    expect((error as Error).message).toMatch(/^stored profile of cus_corrupt is invalid: pushEndpoints: /);
    expect((error as Error).message).not.toContain("jenny");
  });
});
