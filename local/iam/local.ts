/**
 * The local runtime's IAM setup: the plan built for the local stage, each local function matched to
 * its plan function, its access keys ({@link functionCredentials}) and its resolved statements.
 */
import { buildPlan, type FunctionPlan, type InfraPlan } from "../../stacks/plan.ts";
import { emailIdentitiesOf, identityCovers, type PushPlatform, type StageConfig } from "../../stacks/stage-config.ts";
import { stages } from "../../stacks/stages.ts";
import { functionCredentials } from "../function-credentials.ts";
import type { Principal } from "./enforcer.ts";
import { localStateMachineArn, type LocalResourceNames } from "../plan-templates.ts";
import { statementsOf } from "./policies.ts";
import type { RequestContext } from "./requests.ts";

/** What the runtime tells IAM about itself (a narrow view of `Runtime`, so this module does not import it). */
export interface LocalIamSubject {
  readonly prefix: string;
  readonly region: string;
  readonly accountId: string;
  readonly busName: string;
  /** Local functions by local name. */
  readonly functions: ReadonlyMap<string, { readonly name: string; readonly handler: string }>;
  /** Physical table names by declared table. */
  readonly tableNames: Readonly<Record<string, string>>;
  /** Partition key attribute by declared table. */
  readonly partitionKeys: Readonly<Record<string, string>>;
  /** The local push application ARN of each platform. */
  readonly pushApplications: Readonly<Record<string, string>>;
  /** The sender functions are configured with (`PAYBUS_EMAIL_FROM`), when set. */
  readonly emailFrom?: string;
  /** Verified SES identities. */
  readonly sesIdentities: readonly string[];
  /** The state machine ARN of a pending task token. */
  readonly taskTokenStateMachine: (token: string) => string | undefined;
}

/** The stage the local runtime stands for: the `default` stage, with push on the given platform. */
export function localStage(platform: PushPlatform | undefined, emailFrom?: string): StageConfig {
  const base = stages.default!;
  return { ...base, ...(emailFrom ? { emailFrom } : {}), push: platform ? { platform } : false };
}

/** The local resource names for a plan of `platform`. */
export function localResourceNames(subject: LocalIamSubject, platform: PushPlatform | undefined, stage: StageConfig): LocalResourceNames {
  const application = platform ? subject.pushApplications[platform] : undefined;
  return {
    partition: "aws",
    region: subject.region,
    accountId: subject.accountId,
    tableName: (table) => {
      const name = subject.tableNames[table];
      if (name === undefined) throw new Error(`the plan names table ${table}, which the local runtime did not create`);
      return name;
    },
    stateMachineArn: (name) => localStateMachineArn(subject, name),
    busName: subject.busName,
    ...(application ? { pushApplication: { name: application.split("/").at(-1)!, arn: application } } : {}),
    emailIdentity: emailIdentitiesOf(stage)[0],
  };
}

/** The local function a plan function runs as: the one named `<prefix>-<LogicalName>`, else the one with its handler. */
export function localFunctionOf(subject: Pick<LocalIamSubject, "prefix" | "functions">, fn: FunctionPlan): string | undefined {
  if (subject.functions.has(`${subject.prefix}-${fn.logicalName}`)) return `${subject.prefix}-${fn.logicalName}`;
  for (const local of subject.functions.values()) if (local.handler === fn.handler) return local.name;
  return undefined;
}

/**
 * Principals by access key: one per plan function, reachable by the credentials of its local name
 * and of its plan logical name (the function host signs with one of them). Locally every push
 * platform has an application, so a function's push grants are the union of the plans of the three
 * platforms (in AWS a stage has one): the only deliberate widening.
 */
export function localPrincipals(subject: LocalIamSubject): Map<string, Principal> {
  const platforms = Object.keys(subject.pushApplications) as PushPlatform[];
  const plans: Array<{ plan: InfraPlan; names: LocalResourceNames }> = (platforms.length > 0 ? platforms : [undefined]).map((platform) => {
    const stage = localStage(platform, subject.emailFrom);
    return { plan: buildPlan(stage), names: localResourceNames(subject, platform, stage) };
  });
  const principals = new Map<string, Principal>();
  const byLogical = new Map<string, { fn: FunctionPlan; statements: Principal["statements"][number][] }>();
  for (const { plan, names } of plans) {
    for (const fn of plan.functions) {
      const entry = byLogical.get(fn.logicalName) ?? { fn, statements: [] };
      entry.statements.push(...statementsOf(plan, fn, names));
      byLogical.set(fn.logicalName, entry);
    }
  }
  for (const { fn, statements } of byLogical.values()) {
    const functionName = localFunctionOf(subject, fn) ?? `${subject.prefix}-${fn.logicalName}`;
    const principal: Principal = { functionName, logicalName: fn.logicalName, roleName: `${subject.prefix}-${fn.logicalName}Role`, statements };
    principals.set(functionCredentials(functionName).accessKeyId, principal);
    principals.set(functionCredentials(fn.logicalName).accessKeyId, principal);
  }
  return principals;
}

/** How requests are read in the local account. */
export function localRequestContext(subject: LocalIamSubject): RequestContext {
  const keyByPhysical = new Map(Object.entries(subject.tableNames).map(([table, physical]) => [physical, subject.partitionKeys[table]!]));
  return {
    region: subject.region,
    accountId: subject.accountId,
    partitionKeyOf: (tableName) => keyByPhysical.get(tableName),
    // SES authorizes a send on the identity that verifies the sender: the address itself, else its domain.
    sesIdentityOf: (address) =>
      subject.sesIdentities.find((identity) => identity.includes("@") && identityCovers(identity, address)) ??
      subject.sesIdentities.find((identity) => identityCovers(identity, address)),
    taskTokenStateMachine: subject.taskTokenStateMachine,
  };
}

/** Execution ARN `arn:aws:states:<r>:<a>:execution:<machine>:<name>` → its state machine's ARN. */
export function stateMachineOfExecution(executionArn: string): string {
  return executionArn.replace(/:execution:([^:]+):[^:]+$/, ":stateMachine:$1");
}
