/**
 * A narrow IAM policy evaluator: exactly the statement forms `stacks/plan.ts` generates, evaluated
 * the way AWS documents it, so that a function reaching for something it was not granted fails
 * locally as it would after deploy.
 *
 * Why not a library: `@cloud-copilot/iam-simulate` is AGPL-3.0 (cannot ship with an MIT project), and
 * a general evaluator would accept policy forms the plan never produces without us having tested
 * them. This one refuses (throws {@link UnsupportedPolicyError}) any operator it does not implement,
 * so a new plan statement cannot be silently mis-evaluated.
 *
 * Semantics relied on (IAM User Guide):
 * - "Policy evaluation logic" (reference_policies_evaluation-logic): an explicit Deny wins; otherwise
 *   any matching Allow allows; otherwise the request is implicitly denied.
 * - "IAM JSON policy elements: Action": action names are case-insensitive, `*` and `?` are wildcards.
 * - "IAM JSON policy elements: Resource": ARN segments are matched one by one; within the resource
 *   segment `*` matches any run of characters (including `/` and `:`), `?` one character; case-sensitive.
 * - "Condition" (reference_policies_elements_condition, ..._condition-logic-multiple-context-keys-or-values):
 *   several operators in one statement are ANDed, several keys under one operator are ANDed, several
 *   values for one key are ORed; a missing key makes a positive operator false and a negated one true.
 * - "Single-valued vs. multivalued context keys": `ForAllValues` is true when every value in the
 *   request matches at least one policy value, *and also when the key is absent or empty*;
 *   `ForAnyValue` is true when at least one request value matches, false when the key is absent.
 */

/** One policy statement as the plan resolves it (templates already turned into ARNs). */
export interface Statement {
  /** Absent means Allow: the plan only grants. */
  readonly effect?: "Allow" | "Deny";
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly conditions?: readonly Condition[];
}

export interface Condition {
  /** `StringEquals`, `ForAllValues:StringLike`, … */
  readonly test: string;
  /** The context key, e.g. `dynamodb:LeadingKeys`. */
  readonly variable: string;
  readonly values: readonly string[];
}

/** A context key's value in the request: one string, several (multivalued keys), or absent. */
export type ContextValue = string | readonly string[] | undefined;

/** One authorization AWS makes: one action on one resource, with the request's context keys. */
export interface AuthorizationRequest {
  readonly action: string;
  /** The resource ARN; `undefined` when the request names none the local runtime can resolve (see {@link evaluate}). */
  readonly resource: string | undefined;
  readonly context?: Readonly<Record<string, ContextValue>>;
}

export type Decision =
  | { readonly allowed: true; readonly statement: number }
  | { readonly allowed: false; readonly reason: "implicit-deny" | "explicit-deny"; readonly statement?: number };

/** The policy uses a form this evaluator does not implement. */
export class UnsupportedPolicyError extends Error {
  override name = "UnsupportedPolicyError";
}

const BASE_OPERATORS = ["StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike"] as const;
type BaseOperator = (typeof BASE_OPERATORS)[number];

interface ParsedOperator {
  readonly set: "ForAllValues" | "ForAnyValue" | undefined;
  readonly base: BaseOperator;
}

function parseOperator(test: string): ParsedOperator {
  const [first, second] = test.split(":") as [string, string | undefined];
  const set = second === undefined ? undefined : first;
  const base = second ?? first;
  if (set !== undefined && set !== "ForAllValues" && set !== "ForAnyValue") throw new UnsupportedPolicyError(`condition set operator ${set} is not supported`);
  if (!(BASE_OPERATORS as readonly string[]).includes(base)) throw new UnsupportedPolicyError(`condition operator ${base} is not supported (the plan uses ${BASE_OPERATORS.join(", ")})`);
  return { set, base: base as BaseOperator };
}

/** Checks every condition operator of `statements` once, so a bad plan fails at start, not on a request. */
export function validateStatements(statements: readonly Statement[]): void {
  for (const statement of statements) for (const condition of statement.conditions ?? []) parseOperator(condition.test);
}

const globCache = new Map<string, RegExp>();

/** `*` → any run of characters, `?` → one character, everything else literal. */
function glob(pattern: string, ignoreCase: boolean): RegExp {
  const key = `${ignoreCase ? "i" : "s"}${pattern}`;
  let regex = globCache.get(key);
  if (!regex) {
    const body = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
    regex = new RegExp(`^${body}$`, ignoreCase ? "is" : "s");
    if (globCache.size > 10_000) globCache.clear();
    globCache.set(key, regex);
  }
  return regex;
}

/** Action names are case-insensitive (`dynamodb:getitem` matches `dynamodb:GetItem`). */
export function actionMatches(pattern: string, action: string): boolean {
  return glob(pattern, true).test(action);
}

/**
 * ARN matching: `arn:partition:service:region:account:resource`, segment by segment (a wildcard in
 * the region does not reach into the resource); the resource segment keeps its own colons.
 */
export function resourceMatches(pattern: string, arn: string): boolean {
  if (pattern === "*") return true;
  const split = (value: string) => {
    const parts = value.split(":");
    return parts.length < 6 ? undefined : [...parts.slice(0, 5), parts.slice(5).join(":")];
  };
  const want = split(pattern);
  const have = split(arn);
  // Not an ARN on either side (a malformed policy resource, or a request on `*` such as ListTables): no match.
  if (!want || !have) return false;
  return want.every((segment, i) => glob(segment, false).test(have[i]!));
}

function valueMatches(base: BaseOperator, policyValue: string, requestValue: string): boolean {
  switch (base) {
    case "StringEquals":
    case "StringNotEquals":
      return policyValue === requestValue;
    case "StringEqualsIgnoreCase":
    case "StringNotEqualsIgnoreCase":
      return policyValue.toLowerCase() === requestValue.toLowerCase();
    case "StringLike":
    case "StringNotLike":
      return glob(policyValue, false).test(requestValue);
  }
}

const isNegated = (base: BaseOperator) => base.includes("Not");

/** One condition against the request context, as the IAM User Guide describes each operator. */
export function conditionHolds(condition: Condition, context: Readonly<Record<string, ContextValue>>): boolean {
  return holds(condition, parseOperator(condition.test), context);
}

function holds(condition: Condition, { set, base }: ParsedOperator, context: Readonly<Record<string, ContextValue>>): boolean {
  const raw = context[condition.variable];
  const values = raw === undefined ? [] : typeof raw === "string" ? [raw] : raw;
  const negated = isNegated(base);
  // A value "matches" a positive operator when it equals/is like one policy value; a negated
  // operator holds for a value that matches none of them.
  const holdsFor = (value: string) => {
    const any = condition.values.some((policyValue) => valueMatches(base, policyValue, value));
    return negated ? !any : any;
  };
  if (set === "ForAllValues") return values.every(holdsFor); // true for an absent or empty key
  if (set === "ForAnyValue") return values.some(holdsFor); // false for an absent key
  // Single-valued operators: an absent key fails a positive operator and satisfies a negated one.
  if (values.length === 0) return negated;
  return values.some(holdsFor);
}

function statementApplies(statement: Statement, request: AuthorizationRequest): boolean {
  if (!statement.actions.some((pattern) => actionMatches(pattern, request.action))) return false;
  // A request whose resource the runtime cannot name (a task token it no longer knows) is judged on
  // the action alone: the engine then answers as AWS does for that token (TaskDoesNotExist).
  if (request.resource !== undefined && !statement.resources.some((pattern) => resourceMatches(pattern, request.resource!))) return false;
  return (statement.conditions ?? []).every((condition) => conditionHolds(condition, request.context ?? {}));
}

/** AWS's evaluation of identity-based policies: explicit deny, then allow, else implicit deny. */
export function evaluate(statements: readonly Statement[], request: AuthorizationRequest): Decision {
  let allowedBy: number | undefined;
  for (const [index, statement] of statements.entries()) {
    if (!statementApplies(statement, request)) continue;
    if ((statement.effect ?? "Allow") === "Deny") return { allowed: false, reason: "explicit-deny", statement: index };
    allowedBy ??= index;
  }
  return allowedBy === undefined ? { allowed: false, reason: "implicit-deny" } : { allowed: true, statement: allowedBy };
}

/** Which statements' actions and resources match a request, cached: most requests repeat both. */
const CANDIDATES_LIMIT = 10_000;

/**
 * `statements` prepared for many requests: the same decisions as {@link evaluate}, but which
 * statements match a request's action and resource is worked out once per (action, resource) —
 * a function makes the same few calls over and over — so a request whose context is new (a
 * partition key never seen) costs only its conditions. Statements are read once: build another
 * when they change.
 */
export class CompiledPolicy {
  readonly #statements: readonly Statement[];
  readonly #parsed: ReadonlyArray<ReadonlyArray<{ readonly condition: Condition; readonly operator: ParsedOperator }>>;
  /** By action, then resource (`undefined`: the request names none). */
  readonly #candidates = new Map<string, Map<string | undefined, readonly number[]>>();
  #cached = 0;

  constructor(statements: readonly Statement[]) {
    this.#statements = statements;
    this.#parsed = statements.map((statement) => (statement.conditions ?? []).map((condition) => ({ condition, operator: parseOperator(condition.test) })));
  }

  /** AWS's evaluation of identity-based policies, as {@link evaluate}. */
  evaluate(request: AuthorizationRequest): Decision {
    let byResource = this.#candidates.get(request.action);
    let candidates = byResource?.get(request.resource);
    if (!candidates) {
      const matching: number[] = [];
      for (const [index, statement] of this.#statements.entries()) {
        if (!statement.actions.some((pattern) => actionMatches(pattern, request.action))) continue;
        if (request.resource !== undefined && !statement.resources.some((pattern) => resourceMatches(pattern, request.resource!))) continue;
        matching.push(index);
      }
      candidates = matching;
      // Bounded: resources such as push endpoints are ever new.
      if (++this.#cached > CANDIDATES_LIMIT) {
        this.#candidates.clear();
        this.#cached = 1;
        byResource = undefined;
      }
      if (!byResource) this.#candidates.set(request.action, (byResource = new Map()));
      byResource.set(request.resource, candidates);
    }
    let allowedBy: number | undefined;
    const context = request.context ?? {};
    for (const index of candidates) {
      if (!this.#parsed[index]!.every(({ condition, operator }) => holds(condition, operator, context))) continue;
      if ((this.#statements[index]!.effect ?? "Allow") === "Deny") return { allowed: false, reason: "explicit-deny", statement: index };
      allowedBy ??= index;
    }
    return allowedBy === undefined ? { allowed: false, reason: "implicit-deny" } : { allowed: true, statement: allowedBy };
  }
}
