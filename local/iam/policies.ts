/**
 * The plan's grants as the local runtime's IAM policies: each function's linked {@link GrantPlan}
 * statements with their resource templates resolved to the local ARNs. {@link resolveTemplate} is the
 * one place a plan template becomes a local string; everything that checks a local request uses it.
 */
import type { FunctionPlan, InfraPlan, Part, ResourceRef, Template } from "../../stacks/plan.ts";
import { validateStatements, type Statement } from "./policy.ts";

/** The local runtime's names for the plan's resources. */
export interface LocalResourceNames {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  /** Physical table name of a declared table. */
  readonly tableName: (table: string) => string;
  /** ARN of a declared state machine. */
  readonly stateMachineArn: (stateMachine: string) => string;
  readonly busName: string;
  /** The push application of the plan's platform (undefined: push is not served). */
  readonly pushApplication?: { readonly name: string; readonly arn: string };
  /** The webhook bridge's Secrets Manager secret, when one is served. */
  readonly webhookSecretArn?: string;
  /** The SES identity the stack creates. */
  readonly emailIdentity?: string;
}

/** A template names a resource the local runtime does not have. */
export class UnresolvedTemplateError extends Error {
  override name = "UnresolvedTemplateError";
}

function nameOf(ref: ResourceRef, names: LocalResourceNames): string {
  switch (ref.kind) {
    case "table":
      return names.tableName(ref.table);
    case "stateMachine":
    case "taskTokens":
      return names.stateMachineArn(ref.stateMachine).split(":").at(-1)!;
    case "pushApplication":
    case "deviceEndpoints":
      if (!names.pushApplication) throw new UnresolvedTemplateError("the plan links a push application the local runtime does not serve");
      return names.pushApplication.name;
    case "bus":
      return names.busName;
    case "emailIdentity":
      return names.emailIdentity ?? "*";
    case "webhookSecret":
      return (names.webhookSecretArn ?? "").split(":").at(-1) ?? "";
    case "stripeApiKey":
      // Secrets Manager is not served locally (the runtime hands functions the local test key).
      return "";
    case "queue":
      return ref.queue;
  }
}

function arnOf(ref: ResourceRef, names: LocalResourceNames): string {
  const prefix = (service: string) => `arn:${names.partition}:${service}:${names.region}:${names.accountId}`;
  switch (ref.kind) {
    case "table":
      return `${prefix("dynamodb")}:table/${names.tableName(ref.table)}`;
    case "stateMachine":
    case "taskTokens":
      return names.stateMachineArn(ref.stateMachine);
    case "pushApplication":
    case "deviceEndpoints":
      if (!names.pushApplication) throw new UnresolvedTemplateError("the plan links a push application the local runtime does not serve");
      return names.pushApplication.arn;
    case "bus":
      return `${prefix("events")}:event-bus/${names.busName}`;
    case "emailIdentity":
      return `${prefix("ses")}:identity/${names.emailIdentity ?? "*"}`;
    case "webhookSecret":
      // Not served locally unless the caller names one: an ARN no request can carry.
      return names.webhookSecretArn ?? `${prefix("secretsmanager")}:secret:(not served locally)`;
    case "stripeApiKey":
      return `${prefix("secretsmanager")}:secret:(not served locally)`;
    case "queue":
      return `${prefix("sqs")}:${ref.queue}`;
  }
}

/** A plan template as the local string (an ARN, a name). */
export function resolveTemplate(template: Template, names: LocalResourceNames): string {
  return template
    .map((part: Part) => {
      if (typeof part === "string") return part;
      if ("nameOf" in part) return nameOf(part.nameOf, names);
      if ("arnOf" in part) return arnOf(part.arnOf, names);
      if ("pseudo" in part) return part.pseudo === "partition" ? names.partition : part.pseudo === "region" ? names.region : names.accountId;
      throw new UnresolvedTemplateError(`secret ${part.secret} has no local value in a policy`);
    })
    .join("");
}

/** The resolved statements the plan grants `fn` (its linked grants, in order). */
export function statementsOf(plan: InfraPlan, fn: FunctionPlan, names: LocalResourceNames): Statement[] {
  const grants = new Map(plan.grants.map((grant) => [grant.logicalName, grant]));
  const statements = fn.links.flatMap((link) => {
    const grant = grants.get(link);
    if (!grant) throw new UnresolvedTemplateError(`${fn.logicalName} links ${link}, which the plan does not define`);
    return grant.statements.map(
      (statement): Statement => ({
        effect: "Allow",
        actions: statement.actions,
        resources: statement.resources.map((template) => resolveTemplate(template, names)),
        ...(statement.conditions ? { conditions: statement.conditions } : {}),
      }),
    );
  });
  validateStatements(statements);
  return statements;
}
