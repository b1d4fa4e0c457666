/**
 * Interpreting the plan against the running services: what a rule's target is locally (a queue or a
 * state machine, with its target DLQ), and the IAM grants the gateway enforces, resolved to this
 * runtime's names. Everything here reads the declarations and the plan; nothing restates them.
 */
import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import type { RuleDeclaration } from "../declarations/rules.ts";
import { EMAIL_FROM_ENV } from "../functions/common/environment.ts";
import { tables } from "../functions/common/tables.ts";
import { adminClient } from "./admin-client.ts";
import type { RuleTargetBinding } from "./eventbridge.ts";
import { localStateMachineArn } from "./plan-templates.ts";
import { localPrincipals, localRequestContext, stateMachineOfExecution } from "./iam/local.ts";
import type { Runtime } from "./runtime.ts";

/** A rule's target on the local services, with the target DLQ EventBridge sends to after its retries. */
export function bindTarget(runtime: Runtime, rule: RuleDeclaration): RuleTargetBinding {
  const sqs = runtime.sqs;
  const dlq = sqs.createPlainQueue(`${rule.name}-target-dlq`);
  const deadLetter: RuleTargetBinding["deadLetter"] = async (eventJson, error, ruleArn) => {
    await sqs.send(dlq.url, eventJson, {
      RULE_ARN: { DataType: "String", StringValue: ruleArn },
      ERROR_CODE: { DataType: "String", StringValue: error.name || "Error" },
      ERROR_MESSAGE: { DataType: "String", StringValue: error.message.slice(0, 256) || "(no message)" },
    });
  };
  if ("queue" in rule.target) {
    const queue = sqs.queue(rule.target.queue);
    return {
      arn: queue.arn,
      deliver: async (eventJson) => {
        await sqs.send(queue.url, eventJson);
      },
      deadLetter,
    };
  }
  const arn = localStateMachineArn(runtime, rule.target.stateMachine);
  const client = adminClient(SFNClient, runtime.sfn.endpoint, runtime.region);
  return {
    arn,
    deliver: async (eventJson) => {
      await client.send(new StartExecutionCommand({ stateMachineArn: arn, input: eventJson }));
    },
    deadLetter,
  };
}

/** Gives the gateway's IAM the plan's grants, resolved to this runtime's names. */
export function configureIam(runtime: Runtime): void {
  const subject = {
    prefix: runtime.prefix,
    region: runtime.region,
    accountId: runtime.accountId,
    busName: runtime.busName,
    functions: runtime.functions,
    tableNames: runtime.tableNames,
    partitionKeys: Object.fromEntries(Object.entries(tables).map(([name, table]) => [name, table.partitionKey.name])),
    pushApplications: runtime.pushApplications,
    emailFrom: runtime.options.env?.[EMAIL_FROM_ENV] ?? process.env[EMAIL_FROM_ENV],
    sesIdentities: runtime.ses.identities.identities,
    // Asked for every SendTask* call: looked up by token, not by copying every open token (a long
    // run parks thousands of 72-hour follow-ups).
    taskTokenStateMachine: (token: string) => {
      const executionArn = runtime.sfn.taskTokenExecution(token);
      return executionArn && stateMachineOfExecution(executionArn);
    },
  };
  runtime.iam.configure(localPrincipals(subject), localRequestContext(subject));
}

/** A function's name from `arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]` or the bare name. */
export function functionNameOf(arnOrName: string): string {
  return arnOrName.includes(":function:") ? arnOrName.split(":function:")[1]!.split(":")[0]! : arnOrName;
}
