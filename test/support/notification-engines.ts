/**
 * Test support: the engines the notifications consumer talks to, taken from the local runtime and
 * started on loopback with random ports — local DynamoDB with the `notifications` and `profiles`
 * tables, local SES (aws-ses-v2-local) and local SNS mobile push, each able to fail the next
 * requests on demand — plus real SDK clients and the environment a Lambda would get.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SESClient } from "@aws-sdk/client-ses";
import { SNSClient } from "@aws-sdk/client-sns";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { startLocalDynamo, type LocalDynamo } from "../../local/dynamodb/index.ts";
import type { FaultInjector, InjectedFault } from "../../local/faults.ts";
import { LocalSes } from "../../local/ses.ts";
import { LocalSns } from "../../local/sns.ts";
import { tables } from "../../functions/common/tables.ts";
import { ADMIN_CREDENTIALS } from "../../local/function-credentials.ts";

const REGION = "us-east-1";
const CREDENTIALS = ADMIN_CREDENTIALS;

/** Fails the next requests of one operation, then lets everything through. */
export class NextRequestFaults implements FaultInjector {
  private readonly queued: Array<{ operation: string; fault: InjectedFault }> = [];

  /** The next `count` requests of `operation` (e.g. `SendEmail`, `Publish`) fail with `fault`. */
  failNext(operation: string, count: number, fault: InjectedFault): void {
    for (let i = 0; i < count; i += 1) this.queued.push({ operation, fault });
  }

  decide(operation: string): InjectedFault | undefined {
    const index = this.queued.findIndex((entry) => entry.operation === operation);
    return index < 0 ? undefined : this.queued.splice(index, 1)[0]?.fault;
  }

  clear(): void {
    this.queued.length = 0;
  }
}

export interface NotificationEngines {
  readonly dynamo: LocalDynamo;
  /** A document client on the local DynamoDB, marshalled like the shared `dynamo()` client. */
  readonly documents: DynamoDBDocumentClient;
  readonly notificationsTable: string;
  readonly profilesTable: string;
  readonly ses: LocalSes;
  readonly sns: LocalSns;
  readonly sesClient: SESClient;
  readonly snsClient: SNSClient;
  /** Faults for SES (`SendEmail`) and SNS (`Publish`). */
  readonly faults: NextRequestFaults;
  /** What a Lambda running against these engines finds in its environment. */
  readonly env: Readonly<Record<string, string>>;
  /** Registers an enabled push endpoint in the local SNS and returns its ARN. */
  device(name: string): string;
  /** Forgets emails, publishes and pending faults (tables keep their items: tests use their own ids). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the engines; {@link NotificationEngines.close} stops them. */
export async function startNotificationEngines(): Promise<NotificationEngines> {
  const faults = new NextRequestFaults();
  const dynamo = await startLocalDynamo({ port: 0, ttlSweepIntervalMs: 0 });
  const names = await dynamo.createTables({ notifications: tables.notifications, profiles: tables.profiles }, "test");
  const ses = new LocalSes({ faults });
  const sns = new LocalSns({ region: REGION, accountId: "111122223333", faults });
  await Promise.all([ses.start(), sns.start()]);
  const raw = new DynamoDBClient({ region: REGION, credentials: CREDENTIALS, endpoint: dynamo.endpoint });
  // One attempt per call: an injected fault must reach the code under test, not the SDK's retries.
  const sesClient = new SESClient({ region: REGION, credentials: CREDENTIALS, endpoint: ses.endpoint, maxAttempts: 1 });
  const snsClient = new SNSClient({ region: REGION, credentials: CREDENTIALS, endpoint: sns.endpoint, maxAttempts: 1 });

  return {
    dynamo,
    documents: DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } }),
    notificationsTable: names.notifications,
    profilesTable: names.profiles,
    ses,
    sns,
    sesClient,
    snsClient,
    faults,
    env: {
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_MAX_ATTEMPTS: "1",
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SES: ses.endpoint,
      AWS_ENDPOINT_URL_SNS: sns.endpoint,
      PAYBUS_NOTIFICATIONS_TABLE: names.notifications,
      PAYBUS_PROFILES_TABLE: names.profiles,
    },
    device: (name) => sns.createEndpoint("paybus-app", `token-${name}`),
    async reset() {
      await ses.clear();
      sns.outbox.length = 0;
      faults.clear();
    },
    async close() {
      for (const client of [raw, sesClient, snsClient]) client.destroy();
      await Promise.all([ses.stop(), sns.stop(), dynamo.close()]);
    },
  };
}
