/**
 * The one place an SDK client with the runtime's administrator credentials is built: for what
 * stands outside the functions (the runtime binding its own resources, seeding, the CLI, tests and
 * benchmarks). The gateway lets the administrator key through unchecked (`local/iam/`); functions
 * sign with keys of their own (`function-credentials.ts`).
 */
import { ADMIN_CREDENTIALS } from "./function-credentials.ts";

/** The configuration of an administrator client on a local endpoint. */
export interface AdminClientConfig {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** The configuration {@link adminClient} passes to a client, for code that builds its own (document clients, options). */
export function adminClientConfig(endpoint: string, region: string): AdminClientConfig {
  return { endpoint, region, credentials: ADMIN_CREDENTIALS };
}

/**
 * An AWS SDK v3 client on a local endpoint, signed with the administrator key, e.g.
 * `adminClient(SQSClient, runtime.endpoints.sqs, runtime.region, { maxAttempts: 1 })`.
 */
export function adminClient<Client, Extra extends object = object>(
  ClientClass: new (config: AdminClientConfig & Extra) => Client,
  endpoint: string,
  region: string,
  extra?: Extra,
): Client {
  return new ClientClass({ ...adminClientConfig(endpoint, region), ...(extra as Extra) });
}
