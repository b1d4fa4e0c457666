/** SNS mobile push, with one platform application per platform as the stacks create them. */
import { CreatePlatformApplicationCommand, SNSClient } from "@aws-sdk/client-sns";
import { join } from "node:path";
import { adminClient } from "../admin-client.ts";
import { serviceFaults } from "../faults.ts";
import type { ServeHandler } from "../gateway.ts";
import { defineService } from "../service.ts";
import { LocalSns } from "../sns.ts";

export interface SnsService {
  readonly engine: LocalSns;
  /** The platform application ARNs the device API registers endpoints in, by platform. */
  readonly pushApplications: Record<string, string>;
}

export const snsService = defineService({
  name: "sns",
  routing: {
    service: "sns",
    signingNames: ["sns"],
    queryActions: [
      "CreatePlatformApplication", "CreatePlatformEndpoint", "CreateTopic", "DeleteEndpoint", "DeletePlatformApplication", "DeleteTopic",
      "GetEndpointAttributes", "GetPlatformApplicationAttributes", "GetSubscriptionAttributes", "GetTopicAttributes",
      "ListEndpointsByPlatformApplication", "ListPlatformApplications", "ListSubscriptions", "ListSubscriptionsByTopic", "ListTopics",
      "Publish", "PublishBatch", "SetEndpointAttributes", "SetPlatformApplicationAttributes", "Subscribe", "Unsubscribe",
    ],
  },
  async start({ host, region, accountId, prefix, durableDir, journal }) {
    const faults = serviceFaults();
    // Platform endpoints and the outbox survive a restart with the data directory (not in memory: one-shot runs).
    const sns = new LocalSns({ region, accountId, journal, faults, host, ...(durableDir ? { stateDir: join(durableDir, "sns") } : {}) });
    await sns.start();
    try {
      const handle: SnsService = { engine: sns, pushApplications: await createPushApplications(sns.endpoint, region, prefix) };
      // The gateway hands requests over with their body read: no hop to the engine's port.
      const serve: ServeHandler = async ({ body }, res) => sns.answer(body, res);
      return { handle, api: { service: "sns", upstream: sns.endpoint, serve }, faults, stop: () => sns.stop() };
    } catch (error) {
      await sns.stop();
      throw error;
    }
  },
});

/** One platform application per platform, created through the SNS API as the stacks create it in AWS. */
async function createPushApplications(endpoint: string, region: string, prefix: string): Promise<Record<string, string>> {
  const client = adminClient(SNSClient, endpoint, region);
  const applications: Record<string, string> = {};
  try {
    for (const platform of ["GCM", "APNS", "APNS_SANDBOX"]) {
      const credentials: Record<string, string> =
        platform === "GCM" ? { PlatformCredential: "local-fcm-key" } : { PlatformCredential: "local-apns-key", PlatformPrincipal: "local-apns-key-id" };
      const { PlatformApplicationArn } = await client.send(new CreatePlatformApplicationCommand({ Name: `${prefix}-app`, Platform: platform, Attributes: credentials }));
      applications[platform] = PlatformApplicationArn!;
    }
  } finally {
    client.destroy();
  }
  return applications;
}
