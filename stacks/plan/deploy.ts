/**
 * Deploy-time helpers the stacks call with values known only then: a rule-fed queue's policy and
 * a state machine's definition with its functions' ARNs.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { resolvePlaceholders } from "../../workflows/index.ts";
import { PlanError } from "./declarations.ts";
import type { StateMachinePlan } from "./shapes.ts";

/**
 * The policy of a queue EventBridge delivers to: `events.amazonaws.com` may send, and only on
 * behalf of the given rules (`aws:SourceArn`), so no other rule or account can inject messages.
 */
export function queuePolicy(queueArn: string, ruleArns: readonly string[]): object {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "EventBridgeRules",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: queueArn,
        Condition: { ArnEquals: { "aws:SourceArn": [...ruleArns] } },
      },
    ],
  };
}

/**
 * The ASL of a planned state machine, read from `root` (the repository root), with each
 * `${LogicalName}` replaced by `functionArns[LogicalName]`.
 *
 * Reads relative to an explicit root rather than through `workflows/index.ts`' own
 * `readDefinition`: SST runs the stacks from a bundle under `.sst/platform/`, where a path derived
 * from `import.meta.url` no longer points into the repository.
 */
export function renderDefinition(
  machine: StateMachinePlan,
  root: string,
  functionArns: Readonly<Record<string, string>>,
): string {
  const definition = JSON.parse(readFileSync(join(root, machine.definitionFile), "utf8")) as object;
  const declared = Object.fromEntries(machine.functions.map((name) => [name, true]));
  const resolved = resolvePlaceholders(
    definition,
    declared,
    (logicalName) => {
      const arn = functionArns[logicalName];
      if (arn === undefined) throw new PlanError(`${machine.definitionFile}: no ARN given for ${logicalName}`);
      return arn;
    },
    machine.definitionFile,
  );
  return JSON.stringify(resolved);
}
