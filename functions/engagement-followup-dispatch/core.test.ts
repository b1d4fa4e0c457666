import { SESClient } from "@aws-sdk/client-ses";
import { SFNClient, StartExecutionCommand, StopExecutionCommand } from "@aws-sdk/client-sfn";
import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import { EventEmitter, once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FaultInjector } from "../../local/dynamodb/faults.ts";
import { LocalSes } from "../../local/ses.ts";
import { startLocalStepFunctions, type LocalStepFunctions } from "../../local/stepfunctions/index.ts";
import { closedExecution } from "../../test/support/stepfunctions.ts";
import { LOCAL_AWS, startLocalTables, type LocalTables } from "../../test/support/loyalty-engines.ts";
import { quietLogger } from "../../test/support/quiet-logger.ts";
import { putProfile } from "../common/profiles.ts";
import { FOLLOWUP_PARTITION, followupRequest, scheduleFollowup } from "../engagement-followup-schedule/core.ts";
import { dispatchDueFollowups, type DispatchDeps } from "./core.ts";


const DAY = 86_400;
const T0 = 1_786_000_000;
let tables: LocalTables<"loyalty" | "profiles">;
let ses: LocalSes;
let brokenSes: LocalSes;
let sfn: LocalStepFunctions;
let sfnClient: SFNClient;
const scheduled = new EventEmitter();
const sesDown: FaultInjector = { decide: () => ({ code: "ServiceUnavailable", message: "Service unavailable", status: 503 }) };

beforeAll(async () => {
  tables = await startLocalTables(["loyalty", "profiles"], "dispatch");
  // The tests send as rewards@paybus.example: that domain is this SES's verified identity.
  ses = new LocalSes({ identities: ["paybus.example"] });
  brokenSes = new LocalSes({ faults: sesDown, identities: ["paybus.example"] });
  await Promise.all([ses.start(), brokenSes.start()]);
  await putProfile({ customerId: "cus_1", email: "follow@example.com" }, { client: tables.client, tableName: tables.tableNames.profiles });
  // A workflow that only waits for the follow-up, scheduled by the real schedule core at T0.
  sfn = await startLocalStepFunctions({
    stateMachines: [
      {
        name: "followup",
        definition: {
          StartAt: "ScheduleFollowUp",
          States: {
            ScheduleFollowUp: {
              Type: "Task",
              Resource: "arn:aws:states:::lambda:invoke.waitForTaskToken",
              Parameters: { FunctionName: "FollowupSchedule", Payload: { "taskToken.$": "$$.Task.Token", "request.$": "$" } },
              End: true,
            },
          },
        },
      },
    ],
    invokeLambda: async (_, payload) => {
      const { taskToken, request } = payload as { taskToken: string; request: object };
      const result = await scheduleFollowup(followupRequest.parse({ ...request, taskToken }), T0, { client: tables.client, tableName: tables.tableNames.loyalty });
      scheduled.emit("stored");
      return result;
    },
  });
  sfnClient = new SFNClient({ ...LOCAL_AWS, endpoint: sfn.endpoint });
});
afterAll(async () => {
  sfnClient?.destroy();
  await sfn?.close();
  await Promise.all([ses?.stop(), brokenSes?.stop()]);
  await tables?.close();
});

function deps(via: LocalSes = ses): DispatchDeps {
  const table = { client: tables.client, tableName: tables.tableNames.loyalty };
  return {
    table,
    sfn: sfnClient,
    email: { ses: new SESClient({ ...LOCAL_AWS, endpoint: via.endpoint, maxAttempts: 1 }), profiles: { client: tables.client, tableName: tables.tableNames.profiles }, claims: table, from: "rewards@paybus.example", leaseSeconds: 60 },
    logger: quietLogger("dispatch-test"),
  };
}

async function pendingFollowups(): Promise<number> {
  const { Count } = await tables.client.send(
    new QueryCommand({ TableName: tables.tableNames.loyalty, KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": FOLLOWUP_PARTITION } }),
  );
  return Count ?? 0;
}

async function startWaitingWorkflow(name: string, stripeCustomerId = "cus_1"): Promise<string> {
  const stored = once(scheduled, "stored");
  const { executionArn } = await sfnClient.send(
    new StartExecutionCommand({
      stateMachineArn: "arn:aws:states:us-east-1:000000000000:stateMachine:followup",
      name,
      input: JSON.stringify({
        executionName: name,
        purchaseId: `pi_${name}`,
        customerId: "C-1",
        stripeCustomerId,
        pointsEarned: 1200,
        amount: 60_000,
        currency: "usd",
        newTier: "silver",
        delaySeconds: 3 * DAY,
      }),
    }),
  );
  await stored;
  return executionArn!;
}

describe("dispatching follow-ups", () => {
  it("leaves a follow-up alone before it is due, then sends it and completes the workflow's task", async () => {
    const executionArn = await startWaitingWorkflow("due-later");

    const early = await dispatchDueFollowups(T0 + 3 * DAY - 1, deps());
    const due = await dispatchDueFollowups(T0 + 3 * DAY, deps());
    const execution = await closedExecution(sfn, executionArn);

    expect(early).toEqual({ completed: 0, expired: 0, failed: 0 });
    expect(due).toEqual({ completed: 1, expired: 0, failed: 0 });
    expect(execution.status).toBe("SUCCEEDED");
    expect(execution.output).toMatchObject({ email: { sent: true } });
    expect((await ses.emails()).filter((e) => e.destination.to.includes("follow@example.com")).map((e) => e.subject)).toEqual([
      "Making the most of Silver",
    ]);
    expect(await pendingFollowups()).toBe(0);
  });

  it("keeps a follow-up whose email failed for the next run", async () => {
    const executionArn = await startWaitingWorkflow("ses-down");

    const failed = await dispatchDueFollowups(T0 + 3 * DAY, deps(brokenSes));
    const pendingAfterFailure = await pendingFollowups();
    const retried = await dispatchDueFollowups(T0 + 3 * DAY + 300, deps());

    expect(failed).toEqual({ completed: 0, expired: 0, failed: 1 });
    expect(pendingAfterFailure).toBe(1);
    expect(retried).toEqual({ completed: 1, expired: 0, failed: 0 });
    expect((await closedExecution(sfn, executionArn)).status).toBe("SUCCEEDED");
  });

  it("drops a follow-up whose workflow no longer waits", async () => {
    const executionArn = await startWaitingWorkflow("stopped", "cus_without_profile");
    await sfnClient.send(new StopExecutionCommand({ executionArn }));

    const summary = await dispatchDueFollowups(T0 + 3 * DAY, deps());

    expect(summary).toEqual({ completed: 0, expired: 1, failed: 0 });
    expect(await pendingFollowups()).toBe(0);
  });
});
