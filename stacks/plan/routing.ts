/**
 * Routing: the declared rules and queues as planned rules (with their targets and retry policy)
 * and queues (with their dead-letter queue, consumer and senders).
 */
import { DLQ_RETENTION_SECONDS } from "./constants.ts";
import { PlanError, type Declarations } from "./declarations.ts";
import { consumerLogicalName, deadLetterLogicalName, queueLogicalName, ROUTING_DLQ, stateMachineLogicalName } from "./names.ts";
import type { QueuePlan, RulePlan, TargetPlan } from "./shapes.ts";

/**
 * Every declared rule, its target resolved to a component name.
 *
 * @throws PlanError when a rule targets an undeclared queue or state machine.
 */
export function planRules(decl: Declarations): RulePlan[] {
  const queues = new Set(Object.keys(decl.queues));
  const stateMachines = new Set<string>(Object.keys(decl.stateMachines));
  return decl.rules.map((rule) => {
    const target = rule.target;
    let targetPlan: TargetPlan;
    if ("queue" in target) {
      if (!queues.has(target.queue)) throw new PlanError(`rule ${rule.name} targets undeclared queue "${target.queue}"`);
      targetPlan = { kind: "queue", queue: queueLogicalName(target.queue) };
    } else {
      if (!stateMachines.has(target.stateMachine)) {
        throw new PlanError(`rule ${rule.name} targets undeclared state machine "${target.stateMachine}"`);
      }
      targetPlan = { kind: "stateMachine", stateMachine: stateMachineLogicalName(target.stateMachine) };
    }
    return {
      name: rule.name,
      description: rule.description,
      eventPattern: JSON.stringify(rule.pattern),
      target: targetPlan,
      retryPolicy: {
        maximumRetryAttempts: rule.retryPolicy.maximumRetryAttempts,
        maximumEventAgeInSeconds: rule.retryPolicy.maximumEventAgeSeconds,
      },
      deadLetterQueue: ROUTING_DLQ,
    };
  });
}

/** Every declared queue with its DLQ, its consumer function and the rules allowed to send to it. */
export function planQueues(decl: Declarations, rules: readonly RulePlan[]): QueuePlan[] {
  return Object.entries(decl.queues).map(([name, queue]) => {
    const logicalName = queueLogicalName(name);
    return {
      queue: name,
      logicalName,
      context: queue.context,
      description: queue.description,
      visibilityTimeoutSeconds: queue.visibilityTimeoutSeconds,
      retentionSeconds: queue.retentionSeconds,
      encryption: "SQS_MANAGED",
      deadLetter: {
        logicalName: deadLetterLogicalName(name),
        maxReceiveCount: queue.maxReceiveCount,
        retentionSeconds: DLQ_RETENTION_SECONDS,
      },
      consumer: consumerLogicalName(name),
      senders: rules.filter((rule) => rule.target.kind === "queue" && rule.target.queue === logicalName).map((rule) => rule.name),
    };
  });
}
