/**
 * Test support: every engine the notifications consumer talks to, on loopback with random ports —
 * dynalite with the `notifications` and `profiles` tables, aws-ses-v2-local behind a fault proxy, and
 * the recording SNS stand-in — plus real SDK clients and the environment a Lambda would get.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SESClient } from "@aws-sdk/client-ses";
import { SNSClient } from "@aws-sdk/client-sns";
import { LOCAL_AWS, startDynalite, type LocalDynamo } from "./dynalite.ts";
import { startFaultProxy, startSnsStandIn, type QueryFault, type SnsStandIn } from "./query-server.ts";

/** An email as aws-ses-v2-local stored it. */
export interface StoredEmail {
  readonly messageId: string;
  readonly from: string;
  readonly destination: { readonly to: readonly string[] };
  readonly subject: string;
  readonly body: { readonly html?: string; readonly text?: string };
}

export interface NotificationEngines {
  readonly dynamo: LocalDynamo;
  readonly notificationsTable: string;
  readonly profilesTable: string;
  /** SES as the consumer sees it (through the fault proxy). */
  readonly ses: {
    readonly client: SESClient;
    readonly endpoint: string;
    failNext(count: number, fault: QueryFault): void;
    /** Every email SES accepted since the last {@link NotificationEngines.reset}. */
    emails(): Promise<StoredEmail[]>;
  };
  readonly sns: SnsStandIn & { readonly client: SNSClient };
  /** What a Lambda running against these engines finds in its environment. */
  readonly env: Readonly<Record<string, string>>;
  /** Forgets sent emails, publishes and disabled endpoints (tables keep their items: tests use their own invoice ids). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

type SesServerFactory = (config: { host: string; port: number }) => Promise<Server>;

async function startSesLocal(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const module = (await import("aws-ses-v2-local")) as unknown as { default: SesServerFactory | { default: SesServerFactory } };
  // CommonJS interop differs between loaders: the factory is `default` or `default.default`.
  const start = typeof module.default === "function" ? module.default : module.default.default;
  const server = await start({ host: "127.0.0.1", port: 0 });
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

export async function startNotificationEngines(): Promise<NotificationEngines> {
  const dynamo = await startDynalite();
  const names = await dynamo.createTables(["notifications", "profiles"]);
  const sesLocal = await startSesLocal();
  const sesProxy = await startFaultProxy(sesLocal.endpoint);
  const sns = await startSnsStandIn();
  // No SDK retries: a fault injected once must reach the code under test.
  const sesClient = new SESClient({ ...LOCAL_AWS, endpoint: sesProxy.endpoint, maxAttempts: 1 });
  const snsClient = new SNSClient({ ...LOCAL_AWS, endpoint: sns.endpoint, maxAttempts: 1 });

  return {
    dynamo,
    notificationsTable: names.notifications,
    profilesTable: names.profiles,
    ses: {
      client: sesClient,
      endpoint: sesProxy.endpoint,
      failNext: sesProxy.failNext,
      async emails() {
        const response = await fetch(`${sesLocal.endpoint}/store`);
        return ((await response.json()) as { emails: StoredEmail[] }).emails;
      },
    },
    sns: { ...sns, client: snsClient },
    env: {
      AWS_REGION: LOCAL_AWS.region,
      AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
      AWS_MAX_ATTEMPTS: "1",
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SES: sesProxy.endpoint,
      AWS_ENDPOINT_URL_SNS: sns.endpoint,
      PAYBUS_NOTIFICATIONS_TABLE: names.notifications,
      PAYBUS_PROFILES_TABLE: names.profiles,
    },
    async reset() {
      await fetch(`${sesLocal.endpoint}/clear-store`, { method: "POST" });
      sns.reset();
    },
    async close() {
      sesClient.destroy();
      snsClient.destroy();
      await Promise.all([sns.close(), sesProxy.close(), sesLocal.close(), dynamo.close()]);
    },
  };
}
