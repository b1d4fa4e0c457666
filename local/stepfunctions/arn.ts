import { InvalidArnError, InvalidNameError } from "./errors.ts";

/** Where the local endpoint pretends to live; it only shapes ARNs. */
export interface AwsScope {
  readonly region: string;
  readonly accountId: string;
}

/** `arn:aws:states:<region>:<account>:stateMachine:<name>`. */
export function stateMachineArn(scope: AwsScope, name: string): string {
  return `arn:aws:states:${scope.region}:${scope.accountId}:stateMachine:${name}`;
}

/** `arn:aws:states:<region>:<account>:execution:<stateMachineName>:<executionName>`. */
export function executionArn(scope: AwsScope, stateMachineName: string, executionName: string): string {
  return `arn:aws:states:${scope.region}:${scope.accountId}:execution:${stateMachineName}:${executionName}`;
}

/** The default role reported for state machines declared without `roleArn`. */
export function defaultRoleArn(scope: AwsScope): string {
  return `arn:aws:iam::${scope.accountId}:role/paybus-local-stepfunctions`;
}

const STATES_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:(stateMachine|execution):.+$/;

/**
 * Throws {@link InvalidArnError} unless `value` is a Step Functions ARN of `kind`. AWS tells a
 * malformed ARN (`InvalidArn`) apart from a well-formed one that names nothing (`...DoesNotExist`).
 */
export function assertStatesArn(value: string, kind: "stateMachine" | "execution"): void {
  if (STATES_ARN.exec(value)?.[1] !== kind) {
    throw new InvalidArnError(`Invalid Arn: 'Resource type not valid in this context: ${value}'`);
  }
}

const MAX_NAME_LENGTH = 80;

// AWS's list: whitespace, < > { } [ ], ? *, " # % \ ^ | ~ ` $ & , ; : /, and control characters
// U+0000-001F and U+007F-009F.
const FORBIDDEN_NAME_CHARACTER = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/u;

/** Throws {@link InvalidNameError} unless `name` is a valid execution or state machine name. */
export function assertValidName(name: string): void {
  if (name.length === 0 || name.length > MAX_NAME_LENGTH || FORBIDDEN_NAME_CHARACTER.test(name)) {
    throw new InvalidNameError(`Invalid Name: '${name}'`);
  }
}
