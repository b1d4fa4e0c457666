/** Test support: real AWS SDK clients pointed at a local endpoint. */
import { DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { adminClient } from "../../local/admin-client.ts";

/** A low-level client (wire-shaped attribute values) and a document client over it. */
export interface Clients {
  readonly client: DynamoDBClient;
  readonly documents: DynamoDBDocumentClient;
}

/** SDK clients for a local endpoint, with the fake credentials and region local endpoints need. */
export function clientsFor(endpoint: string, config: DynamoDBClientConfig = {}): Clients {
  const client = adminClient(DynamoDBClient, endpoint, "us-east-1", config);
  return { client, documents: DynamoDBDocumentClient.from(client) };
}
