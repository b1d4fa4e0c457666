/**
 * AWS SDK clients, built once per execution environment and only when first used. Endpoints come
 * from the standard `AWS_ENDPOINT_URL_<SERVICE>` variables, which is how the local runtime points
 * the very same handlers at its engines.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SESClient } from "@aws-sdk/client-ses";
import { SFNClient } from "@aws-sdk/client-sfn";
import { SNSClient } from "@aws-sdk/client-sns";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

function once<T>(create: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= create());
}

export const dynamo = once(() =>
  DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }),
);
export const ses = once(() => new SESClient({}));
export const sns = once(() => new SNSClient({}));
export const sfn = once(() => new SFNClient({}));
export const eventBridge = once(() => new EventBridgeClient({}));
