/**
 * Test support for the loyalty suites: the local DynamoDB engine (with transactions) holding the
 * `loyalty` table, and a loopback Step Functions endpoint that records `StartExecution` calls and,
 * like AWS, refuses a second execution with the same name and a different input.
 */
import { SFNClient } from "@aws-sdk/client-sfn";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { AwsServiceError, serveAwsJson } from "../../../local/aws-json.ts";
import { startLocalDynamo, type LocalDynamo } from "../../../local/dynamodb/index.ts";
import { tables } from "../../shared/tables.ts";

/** Credentials and region the SDK needs to sign requests to a local engine. */
export const LOCAL_AWS = { region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } };

export interface LoyaltyTable {
  readonly engine: LocalDynamo;
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  close(): Promise<void>;
}

/** The local DynamoDB engine on a random loopback port with the `loyalty` table created. */
export async function startLoyaltyTable(prefix = "test"): Promise<LoyaltyTable> {
  const engine = await startLocalDynamo({ port: 0, ttlSweepIntervalMs: 0 });
  const { loyalty } = await engine.createTables({ loyalty: tables.loyalty }, prefix);
  const raw = new DynamoDBClient({ ...LOCAL_AWS, endpoint: engine.endpoint, maxAttempts: 1 });
  const client = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  return {
    engine,
    client,
    tableName: loyalty,
    async close() {
      raw.destroy();
      await engine.close();
    },
  };
}

/** One recorded `StartExecution`. */
export interface RecordedStart {
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: unknown;
}

export interface RecordingStepFunctions {
  readonly client: SFNClient;
  /** Executions started, in order (a refused duplicate is not recorded). */
  readonly started: RecordedStart[];
  /** Every StartExecution call received, including refused ones. */
  calls: number;
  close(): Promise<void>;
}

/** A Step Functions endpoint that only starts (records) executions. */
export async function startRecordingStepFunctions(): Promise<RecordingStepFunctions> {
  const byName = new Map<string, string>();
  const recorder = {
    started: [] as RecordedStart[],
    calls: 0,
  };
  const service = await serveAwsJson(
    "AWSStepFunctions",
    {
      StartExecution(request: { stateMachineArn: string; name: string; input: string }) {
        recorder.calls++;
        const executionArn = `${request.stateMachineArn.replace(":stateMachine:", ":execution:")}:${request.name}`;
        const previous = byName.get(request.name);
        if (previous !== undefined && previous !== request.input) {
          throw new AwsServiceError("ExecutionAlreadyExists", `Execution Already Exists: '${executionArn}'`);
        }
        if (previous === undefined) {
          byName.set(request.name, request.input);
          recorder.started.push({ stateMachineArn: request.stateMachineArn, name: request.name, input: JSON.parse(request.input) });
        }
        return { executionArn, startDate: 0 };
      },
    },
    { contentType: "application/x-amz-json-1.0" },
  );
  const client = new SFNClient({ ...LOCAL_AWS, endpoint: service.endpoint, maxAttempts: 1 });
  return Object.assign(recorder, {
    client,
    async close() {
      client.destroy();
      await service.close();
    },
  });
}
