/**
 * The one place a deployment-plan {@link Template} becomes a local string. The plan leaves the
 * values known only at deploy time (names, ARNs, the region) as templates; the SST stacks resolve
 * them to AWS's, and the local runtime resolves them here to its own — for the functions'
 * environment (`function-environment.ts`) and for the IAM policies the gateway enforces
 * (`iam/policies.ts`) alike, so a function is told exactly the names its policy grants.
 */
import type { Part, ResourceRef, Template } from "../stacks/plan.ts";
import { stateMachineArn } from "./stepfunctions/arn.ts";

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

/** A template names a resource the local runtime does not have, or a secret (never resolved locally). */
export class UnresolvedTemplateError extends Error {
  override name = "UnresolvedTemplateError";
}

/** A declared state machine's local ARN: `arn:aws:states:<region>:<account>:stateMachine:<prefix>-<name>`. */
export function localStateMachineArn(scope: { readonly region: string; readonly accountId: string; readonly prefix: string }, name: string): string {
  return stateMachineArn(scope, `${scope.prefix}-${name}`);
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

/**
 * A plan template as the local string (an ARN, a name).
 *
 * @throws UnresolvedTemplateError for a secret's value (secrets reach neither an environment nor a
 *   policy) or a resource the local runtime does not serve.
 */
export function resolveTemplate(template: Template, names: LocalResourceNames): string {
  return template
    .map((part: Part) => {
      if (typeof part === "string") return part;
      if ("nameOf" in part) return nameOf(part.nameOf, names);
      if ("arnOf" in part) return arnOf(part.arnOf, names);
      if ("pseudo" in part) return part.pseudo === "partition" ? names.partition : part.pseudo === "region" ? names.region : names.accountId;
      throw new UnresolvedTemplateError(`secret ${part.secret} has no local value: secrets are never put in an environment or a policy`);
    })
    .join("");
}
