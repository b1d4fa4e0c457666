/**
 * AWS SDK clients, built once per execution environment and only when first used. Endpoints come
 * from the standard `AWS_ENDPOINT_URL_<SERVICE>` variables, which is how the local runtime points
 * the very same handlers at its engines.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SESClient } from "@aws-sdk/client-ses";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SFNClient } from "@aws-sdk/client-sfn";
import { SNSClient } from "@aws-sdk/client-sns";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/**
 * A client built on first use and kept while its endpoint variable is unchanged. In Lambda the
 * environment never changes, so this is "once"; a local runtime restarted in the same process
 * (tests) gets clients for its new endpoints.
 */
function cached<T extends { destroy(): void }>(endpointVariable: string, create: () => T): () => T {
  let value: T | undefined;
  let builtFor: string | undefined;
  return () => {
    const endpoint = process.env[endpointVariable] ?? process.env.AWS_ENDPOINT_URL;
    if (value === undefined || builtFor !== endpoint) {
      value?.destroy();
      value = create();
      builtFor = endpoint;
    }
    return value;
  };
}

export const dynamo = /* @__PURE__ */ cached("AWS_ENDPOINT_URL_DYNAMODB", () =>
  DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }),
);
/**
 * A plain DynamoDB client (marshalled attribute values), for libraries that send their own
 * low-level commands: Powertools' idempotency persistence layer.
 */
export const dynamoClient = /* @__PURE__ */ cached("AWS_ENDPOINT_URL_DYNAMODB", () => new DynamoDBClient({}));
export const ses = /* @__PURE__ */ cached("AWS_ENDPOINT_URL_SES", () => new SESClient({}));
export const sns = /* @__PURE__ */ cached("AWS_ENDPOINT_URL_SNS", () => new SNSClient({}));
export const sfn = /* @__PURE__ */ cached("AWS_ENDPOINT_URL_SFN", () => new SFNClient({}));
export const eventBridge = /* @__PURE__ */ cached("AWS_ENDPOINT_URL_EVENTBRIDGE", () => new EventBridgeClient({}));
export const secretsManager = /* @__PURE__ */ cached("AWS_ENDPOINT_URL_SECRETS_MANAGER", () => new SecretsManagerClient({}));
