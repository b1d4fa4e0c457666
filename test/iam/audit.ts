/**
 * Least privilege, checked against what the code really does: every AWS request the functions make
 * in the end-to-end run is recorded where AWS would see it — at the local gateway (and the test's
 * Secrets Manager) — attributed to the function by the access key it signed with (each local
 * function has its own, see local/function-credentials.ts), and compared with the IAM statements the
 * plan grants that function.
 */
import { tables, type TableDeclaration } from "../../functions/common/tables.ts";
import type { FunctionPlan, GrantPlan, InfraPlan, ResourceRef } from "../../stacks/plan.ts";
import { ADMIN_CREDENTIALS, functionCredentials } from "../../local/function-credentials.ts";

/** One IAM action one function performed on one resource (and, for tables, the partition key). */
export interface Use {
  /** The function's folder under `functions/` (`engagement-offer`). */
  readonly fn: string;
  /** `dynamodb:GetItem`, `ses:SendEmail`, … */
  readonly action: string;
  /** As {@link describeRef} writes it: `table:loyalty`, `emailIdentity`, `bus`, … */
  readonly resource: string;
  /** The partition key the request touched (DynamoDB item actions). */
  readonly partitionKey?: string;
}

export function describeRef(ref: ResourceRef): string {
  switch (ref.kind) {
    case "table":
      return `table:${ref.table}`;
    case "stateMachine":
      return `stateMachine:${ref.stateMachine}`;
    case "taskTokens":
      return `taskTokens:${ref.stateMachine}`;
    case "queue":
      return `queue:${ref.queue}`;
    default:
      return ref.kind;
  }
}

/** `functions/engagement-offer/handler.handler` → `engagement-offer`. */
export const functionFolder = (fn: FunctionPlan) => fn.handler.split("/")[1]!;

// ---------------------------------------------------------------------------------------------
// Recording.

type Input = Record<string, any>;
const NON_TABLE_RESOURCE: Record<string, string> = {
  "ses:SendEmail": "emailIdentity",
  "ses:SendRawEmail": "emailIdentity",
  "sns:Publish": "pushApplication",
  "states:StartExecution": "stateMachine:engagement",
  "states:SendTaskSuccess": "taskTokens:engagement",
  "states:SendTaskFailure": "taskTokens:engagement",
  "states:SendTaskHeartbeat": "taskTokens:engagement",
  // The device API manages endpoints (CreatePlatformEndpoint is authorised on the application,
  // the rest on its endpoints, both in the one deviceEndpoints grant); the profile sync deletes them.
  "sns:CreatePlatformEndpoint": "deviceEndpoints",
  "sns:GetEndpointAttributes": "deviceEndpoints",
  "sns:SetEndpointAttributes": "deviceEndpoints",
  "sns:DeleteEndpoint": "deviceEndpoints",
  "events:PutEvents": "bus",
  "secretsmanager:GetSecretValue": "webhookSecret",
};
const TRANSACT_ACTIONS: Record<string, string> = { Put: "PutItem", Update: "UpdateItem", Delete: "DeleteItem", ConditionCheck: "ConditionCheckItem" };

/** A key attribute as the document client or the marshalled low-level input holds it. */
const plain = (value: unknown): string | undefined =>
  typeof value === "string" ? value : typeof (value as { S?: unknown })?.S === "string" ? (value as { S: string }).S : undefined;

function declarationOf(physical: string | undefined, env: NodeJS.ProcessEnv): [string, TableDeclaration] | undefined {
  return (Object.entries(tables) as [string, TableDeclaration][]).find(([, t]) => env[t.envVar] === physical);
}

function tableOf(physical: string | undefined, env: NodeJS.ProcessEnv): string {
  return `table:${declarationOf(physical, env)?.[0] ?? `unknown(${physical})`}`;
}

/** The request's partition key, by the table's declared key attribute (`pk`, Powertools' `id`). */
function partitionKeyOf(input: Input, env: NodeJS.ProcessEnv): string | undefined {
  const name = declarationOf(input.TableName, env)?.[1].partitionKey.name ?? "pk";
  const key = input.Key ?? input.Item;
  if (key) return plain(key[name]);
  const attribute = Object.entries(input.ExpressionAttributeNames ?? {}).find(([, value]) => value === name)?.[0];
  const names = [name, ...(attribute ? [attribute] : [])].map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|");
  const condition = new RegExp(`(?:^|[^\\w#])(?:${names})\\s*=\\s*(:[A-Za-z0-9_]+)`).exec(input.KeyConditionExpression ?? "");
  return condition ? plain(input.ExpressionAttributeValues?.[condition[1]!]) : undefined;
}

/**
 * The IAM actions one request is authorised as (a transaction: one per item); `service` is the
 * IAM service prefix (the SigV4 signing name: `dynamodb`, `states`, …), `input` the request as sent.
 */
export function usesOf(fn: string, service: string, operation: string, input: Input, env: NodeJS.ProcessEnv): Use[] {
  if (service === "dynamodb" && /^Transact(Write|Get)Items$/.test(operation)) {
    return (input.TransactItems as Input[]).flatMap((item) =>
      Object.entries(item).map(([kind, request]: [string, Input]) => ({
        fn,
        action: `dynamodb:${kind === "Get" ? "GetItem" : TRANSACT_ACTIONS[kind] ?? kind}`,
        resource: tableOf(request.TableName, env),
        ...(partitionKeyOf(request, env) === undefined ? {} : { partitionKey: partitionKeyOf(request, env)! }),
      })),
    );
  }
  const action = `${service}:${operation}`;
  if (service === "dynamodb") {
    const partitionKey = partitionKeyOf(input, env);
    return [{ fn, action, resource: tableOf(input.TableName, env), ...(partitionKey === undefined ? {} : { partitionKey }) }];
  }
  // One action, two secrets: which one the request named decides the grant it needs.
  if (action === "secretsmanager:GetSecretValue" && input.SecretId !== undefined && input.SecretId === env.PAYBUS_STRIPE_API_KEY_SECRET_ID) {
    return [{ fn, action, resource: "stripeApiKey" }];
  }
  return [{ fn, action, resource: NON_TABLE_RESOURCE[action] ?? `unknown(${action})` }];
}

/** A local function as the recorder needs it: its name (its credentials) and its handler (its folder). */
interface RecordedFunction {
  readonly name: string;
  readonly handler: string;
}

/**
 * A recorder of the functions' requests: `record` each request seen (by the gateway's observer, or a
 * test double of a service the runtime lacks); calls signed with the administrator's key (the test
 * itself, the runtime) are not the functions' and are skipped; `unattributed` lists calls signed
 * with a key that is neither.
 *
 * @param env the functions' table variables (`PAYBUS_LOYALTY_TABLE` → physical name), to name tables.
 */
export function recordUses(functions: Iterable<RecordedFunction>, env: NodeJS.ProcessEnv) {
  const folders = new Map<string, string>();
  for (const fn of functions) folders.set(functionCredentials(fn.name).accessKeyId, fn.handler.split("/")[1]!);
  const uses: Use[] = [];
  const unattributed: string[] = [];
  const record = (service: string, operation: string, input: Input, accessKeyId: string | undefined) => {
    if (accessKeyId === ADMIN_CREDENTIALS.accessKeyId) return;
    const fn = accessKeyId === undefined ? undefined : folders.get(accessKeyId);
    if (fn) uses.push(...usesOf(fn, service, operation, input, env));
    else unattributed.push(`${service}:${operation} signed by ${accessKeyId ?? "nobody"}`);
  };
  return { uses, unattributed, record };
}

// ---------------------------------------------------------------------------------------------
// Comparison.

/** `StringLike`: `*` any run, `?` one character, everything else literal. */
export function stringLike(pattern: string, value: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${source}$`, "s").test(value);
}

const grantsOf = (plan: InfraPlan, fn: FunctionPlan): GrantPlan[] =>
  fn.links.map((link) => plan.grants.find((grant) => grant.logicalName === link)!);

/**
 * Every difference between what the plan grants and what the functions did: a granted action never
 * used, a used action not granted, a `dynamodb:LeadingKeys` pattern no request matched, a request
 * whose key no pattern allows. Empty when the grants are exactly what the code needs.
 */
export function auditGrants(plan: InfraPlan, uses: readonly Use[]): string[] {
  const problems: string[] = [];
  for (const fn of plan.functions) {
    const folder = functionFolder(fn);
    const mine = uses.filter((use) => use.fn === folder);
    // Per permission, the LeadingKeys of each statement granting it (undefined: any key).
    const granted = new Map<string, (readonly string[] | undefined)[]>();
    for (const grant of grantsOf(plan, fn)) {
      for (const statement of grant.statements) {
        const leading = statement.conditions?.find((condition) => condition.variable === "dynamodb:LeadingKeys")?.values;
        for (const action of statement.actions) {
          const permission = `${action} on ${describeRef(grant.ref)}`;
          granted.set(permission, [...(granted.get(permission) ?? []), leading]);
        }
      }
    }
    const used = new Map<string, Use[]>();
    for (const use of mine) used.set(`${use.action} on ${use.resource}`, [...(used.get(`${use.action} on ${use.resource}`) ?? []), use]);
    for (const [permission, statements] of granted) {
      const calls = used.get(permission);
      if (!calls) {
        problems.push(`${fn.logicalName}: ${permission} is granted but never used`);
        continue;
      }
      for (const pattern of statements.flatMap((leading) => leading ?? [])) {
        if (!calls.some((call) => call.partitionKey !== undefined && stringLike(pattern, call.partitionKey))) {
          problems.push(`${fn.logicalName}: ${permission} allows partition keys "${pattern}", which no request used`);
        }
      }
      const allows = (key: string | undefined) =>
        statements.some((leading) => leading === undefined || (key !== undefined && leading.some((pattern) => stringLike(pattern, key))));
      for (const call of calls) {
        if (!allows(call.partitionKey)) {
          problems.push(`${fn.logicalName}: ${permission} on partition key "${call.partitionKey}" is outside the granted LeadingKeys`);
        }
      }
    }
    for (const permission of used.keys()) {
      if (!granted.has(permission)) problems.push(`${fn.logicalName}: ${permission} is used but not granted`);
    }
  }
  return [...new Set(problems)];
}

