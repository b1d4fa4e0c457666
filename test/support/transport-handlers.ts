/**
 * Handlers for the tests of the functions' transport to the gateway (local/lambda-transport.test.ts)
 * and of what their SDK reads from their environment (local/function-environment.test.ts): real SDK
 * clients built as the functions build theirs, from the environment the host gives them.
 */
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";

/** One GetItem of `table` through a client configured by the environment (`AWS_ENDPOINT_URL_DYNAMODB`…). */
export async function getItem(event: { table: string }): Promise<unknown> {
  const client = new DynamoDBClient({ maxAttempts: 1 });
  try {
    const answer = await client.send(new GetItemCommand({ TableName: event.table, Key: { pk: { S: "k" } } }));
    return { item: answer.Item, status: answer.$metadata.httpStatusCode };
  } catch (error) {
    const failure = error as Error & { $metadata?: { httpStatusCode?: number } };
    return { error: failure.name, message: failure.message, status: failure.$metadata?.httpStatusCode };
  } finally {
    client.destroy();
  }
}

/** The attempts a client built from the environment makes: a shared config file's `max_attempts` if it reads one, else the SDK's default. */
export async function maxAttempts(): Promise<number> {
  const client = new DynamoDBClient({});
  try {
    return await client.config.maxAttempts();
  } finally {
    client.destroy();
  }
}
