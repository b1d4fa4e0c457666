/**
 * Test and benchmark support for the loyalty suites: the local engines of the embedded runtime
 * (DynamoDB with transactions, Step Functions, SES) on random loopback ports, reached with the
 * real AWS SDK clients.
 */
import { SFNClient } from "@aws-sdk/client-sfn";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { TableName } from "../../declarations/rules.ts";
import { startLocalDynamo, type LocalDynamo } from "../../local/dynamodb/index.ts";
import { startLocalStepFunctions, type LocalStepFunctions } from "../../local/stepfunctions/index.ts";
import { tables } from "../../functions/common/tables.ts";
import { ADMIN_CREDENTIALS } from "../../local/function-credentials.ts";

/** Credentials and region the SDK needs to sign requests to a local engine. */
export const LOCAL_AWS = { region: "us-east-1", credentials: ADMIN_CREDENTIALS };

export interface LocalTables<Name extends TableName> {
  readonly engine: LocalDynamo;
  /** A document client marshalled like the shared `dynamo()` client. */
  readonly client: DynamoDBDocumentClient;
  readonly tableNames: Record<Name, string>;
  close(): Promise<void>;
}

/** The local DynamoDB engine with the named tables created from their declarations. */
export async function startLocalTables<Name extends TableName>(names: readonly Name[], prefix = "test"): Promise<LocalTables<Name>> {
  const engine = await startLocalDynamo({ port: 0, ttlSweepIntervalMs: 0 });
  const declarations = Object.fromEntries(names.map((name) => [name, tables[name]])) as Record<Name, (typeof tables)[Name]>;
  const tableNames = await engine.createTables(declarations, prefix);
  const raw = new DynamoDBClient({ ...LOCAL_AWS, endpoint: engine.endpoint });
  const client = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  return {
    engine,
    client,
    tableNames,
    async close() {
      raw.destroy();
      await engine.close();
    },
  };
}

/** A Step Functions endpoint whose `engagement` machine only records that it was started. */
export interface StartRecorder {
  readonly sfn: LocalStepFunctions;
  readonly client: SFNClient;
  readonly stateMachineArn: string;
  close(): Promise<void>;
}

/**
 * The local Step Functions engine serving an `engagement` machine that succeeds at once: for
 * tests of when and with what input the consumer starts the workflow, not of the workflow itself
 * (the engagement suites run the real definition).
 */
export async function startStartRecorder(): Promise<StartRecorder> {
  const sfn = await startLocalStepFunctions({
    stateMachines: [{ name: "engagement", definition: { StartAt: "Started", States: { Started: { Type: "Succeed" } } } }],
    invokeLambda: () => Promise.reject(new Error("this state machine invokes no function")),
  });
  const client = new SFNClient({ ...LOCAL_AWS, endpoint: sfn.endpoint });
  return {
    sfn,
    client,
    stateMachineArn: "arn:aws:states:us-east-1:000000000000:stateMachine:engagement",
    async close() {
      client.destroy();
      await sfn.close();
    },
  };
}
