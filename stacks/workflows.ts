/**
 * Step Functions state machines from `workflows/*.asl.json`, with the `${LogicalName}`
 * placeholders replaced by the ARNs of the functions deployed for them, and the scheduled functions
 * that serve the workflows.
 */
import { renderDefinition } from "./plan.ts";
import type { Registry } from "./registry.ts";

/** Creates every workflow function, state machine and scheduled function of the plan. */
export function createWorkflows(registry: Registry): void {
  const { plan } = registry;
  // The Stripe API key of the tier rewards (`EngagementOffer`), from the `StripeApiKey` SST secret: a
  // restricted key with write access to Customers and, for promotion codes, Coupons/Promotion codes is enough.
  registry.storeSecret(plan.stripeApiKey, "Stripe API key (sk_… or rk_…) with which paybus applies tier rewards in the customers' Stripe accounts.");
  for (const machine of plan.stateMachines) {
    const functions = plan.functions.filter(
      (fn) => fn.trigger.kind === "stateMachine" && fn.trigger.stateMachine === machine.logicalName,
    );
    const arns: Record<string, $util.Output<string>> = {};
    for (const fn of functions) arns[fn.logicalName] = registry.function(fn).arn;

    const role = new aws.iam.Role(`${machine.logicalName}Role`, {
      assumeRolePolicy: aws.iam.assumeRolePolicyForPrincipal({ Service: "states.amazonaws.com" }),
    });
    new aws.iam.RolePolicy(`${machine.logicalName}Invoke`, {
      role: role.id,
      policy: $jsonStringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: ["lambda:InvokeFunction"],
            // Qualified ARNs too: Step Functions may invoke a version or alias.
            Resource: Object.values(arns).flatMap((arn) => [arn, $interpolate`${arn}:*`]),
          },
        ],
      }),
    });

    const created = new aws.sfn.StateMachine(machine.logicalName, {
      type: machine.type,
      roleArn: role.arn,
      definition: $util.all(arns).apply((resolved) => renderDefinition(machine, $cli.paths.root, resolved)),
    });
    registry.add(machine.logicalName, { name: created.name, arn: created.arn });
  }

  for (const fn of plan.functions) {
    if (fn.trigger.kind !== "schedule") continue;
    new sst.aws.Cron(`${fn.logicalName}Schedule`, {
      schedule: fn.trigger.scheduleExpression,
      function: registry.function(fn),
    });
  }
}
