/**
 * The event bus and everything on it: the Stripe partner bus (referenced by name) or a custom bus
 * for webhook-bridge-only stages, an archive for replays, and one EventBridge rule per declaration
 * with its target, retry policy and dead-letter queue.
 *
 * Rules and targets are plain `aws.cloudwatch.EventRule`/`EventTarget`: the patterns go to AWS
 * exactly as declared, and SST's static `Bus.subscribe*` helpers would mis-parse a partner bus ARN.
 */
import { createQueue } from "./consumers.ts";
import { eventArchiveName, queuePolicy } from "./plan.ts";
import { MissingResourceError, type Registry } from "./registry.ts";

/** Creates (or references) the bus and its archive. */
export function createBus(registry: Registry): sst.aws.Bus {
  const { bus: busPlan } = registry.plan;
  const bus =
    busPlan.existingName === undefined ? new sst.aws.Bus("EventBus") : sst.aws.Bus.get("EventBus", busPlan.existingName);
  registry.add("EventBus", { name: bus.name, arn: bus.arn });
  new aws.cloudwatch.EventArchive(busPlan.archive.logicalName, {
    name: eventArchiveName(`${$app.name}-${$app.stage}`),
    description: "Every event on the paybus bus, kept for replay after a fix.",
    eventSourceArn: bus.arn,
    retentionDays: busPlan.archive.retentionDays,
  });
  return bus;
}

/** Creates every rule and target; queues are the ones `createConsumers` returned. */
export function createRules(registry: Registry, bus: sst.aws.Bus, queues: ReadonlyMap<string, aws.sqs.Queue>): void {
  const { plan } = registry;
  const dlqPlan = plan.routingDeadLetterQueue;
  const dlq = createQueue(dlqPlan.logicalName, { retentionSeconds: dlqPlan.retentionSeconds }, registry);

  const ruleArns = new Map<string, $util.Output<string>>();
  for (const rule of plan.rules) {
    const created = new aws.cloudwatch.EventRule(rule.name, {
      eventBusName: bus.name,
      description: rule.description,
      eventPattern: rule.eventPattern,
    });
    ruleArns.set(rule.name, created.arn);

    const target = rule.target;
    let targetArgs: { arn: $util.Input<string>; roleArn?: $util.Input<string> };
    if (target.kind === "queue") {
      targetArgs = { arn: registry.get(target.queue).arn };
    } else {
      const stateMachineArn = registry.get(target.stateMachine).arn;
      const role = new aws.iam.Role(`${rule.name}TargetRole`, {
        assumeRolePolicy: aws.iam.assumeRolePolicyForPrincipal({ Service: "events.amazonaws.com" }),
        inlinePolicies: [
          {
            name: "start-execution",
            policy: $jsonStringify({
              Version: "2012-10-17",
              Statement: [{ Effect: "Allow", Action: ["states:StartExecution"], Resource: [stateMachineArn] }],
            }),
          },
        ],
      });
      targetArgs = { arn: stateMachineArn, roleArn: role.arn };
    }
    new aws.cloudwatch.EventTarget(`${rule.name}Target`, {
      eventBusName: bus.name,
      rule: created.name,
      ...targetArgs,
      retryPolicy: rule.retryPolicy,
      deadLetterConfig: { arn: dlq.arn },
    });
  }

  // One policy per queue: SQS keeps a single policy, so per-rule policies would overwrite each other.
  const allow = (queue: aws.sqs.Queue, logicalName: string, ruleNames: readonly string[]) =>
    new aws.sqs.QueuePolicy(`${logicalName}Policy`, {
      queueUrl: queue.url,
      policy: $util
        .all([queue.arn, $util.all(ruleNames.map((name) => ruleArns.get(name)!))])
        .apply(([queueArn, arns]) => JSON.stringify(queuePolicy(queueArn, arns))),
    });
  for (const queuePlan of plan.queues) {
    const queue = queues.get(queuePlan.logicalName);
    if (!queue) throw new MissingResourceError(`${queuePlan.logicalName} is needed before it was created`);
    allow(queue, queuePlan.logicalName, queuePlan.senders);
  }
  allow(dlq, dlqPlan.logicalName, plan.rules.map((rule) => rule.name));
}
