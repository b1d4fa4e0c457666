import "./polyfill.ts";
import { StateMachine, type StateMachineDefinition } from "aws-local-stepfunctions";
import { assertValidName, defaultRoleArn, stateMachineArn, type AwsScope } from "./arn.ts";
import { indexStates, nestedDefinitions, planLocalWork, prepareForEngine, type AslDefinition, type LocalWork, type TimeScales } from "./definition.ts";
import { InvalidDefinitionError } from "./errors.ts";
import type { StateCatalog } from "./history.ts";
import { knownValid, rememberValid } from "./validation-cache.ts";

/** A state machine as declared to `startLocalStepFunctions`. */
export interface StateMachineDeclaration {
  /** The state machine name (the last part of its ARN). */
  name: string;
  /** The Amazon States Language definition, as parsed JSON. */
  definition: object;
  /** Reported by `DescribeStateMachine` and `$$.Execution.RoleArn`; never assumed locally. */
  roleArn?: string;
}

/** A validated state machine, ready to start executions. */
export interface RegisteredStateMachine {
  readonly arn: string;
  readonly name: string;
  readonly roleArn: string;
  /** The definition as declared, for `DescribeStateMachine`. */
  readonly definitionText: string;
  readonly creationDate: Date;
  /** Runs the definition rewritten by `prepareForEngine`. */
  readonly engine: StateMachine;
  /** The local handler of each Task (and rewritten Wait) state, by state name. */
  readonly plan: ReadonlyMap<string, LocalWork>;
  readonly states: StateCatalog;
}

/**
 * Validates a declaration and prepares it for the engine. Throws `InvalidNameError`,
 * {@link InvalidDefinitionError} or `UnsupportedResourceError`, so that a bad definition fails at
 * start-up as `CreateStateMachine` would.
 */
export function registerStateMachine(declaration: StateMachineDeclaration, scope: AwsScope, scales: TimeScales): RegisteredStateMachine {
  assertValidName(declaration.name);
  const definition = structuredClone(declaration.definition) as AslDefinition;
  assertValidDefinition(declaration.name, definition);
  const original = indexStates(definition);
  const threads = branchThreads(definition);
  const prepared = prepareForEngine(definition, scales);
  const roleArn = declaration.roleArn ?? defaultRoleArn(scope);
  return {
    arn: stateMachineArn(scope, declaration.name),
    name: declaration.name,
    roleArn,
    definitionText: JSON.stringify(definition),
    creationDate: new Date(),
    engine: new StateMachine(prepared as unknown as StateMachineDefinition, { validationOptions: { noValidate: true } }),
    plan: planLocalWork(indexStates(prepared)),
    states: {
      roleArn,
      threadOf: (stateName) => threads.get(stateName) ?? "",
      typeOf: (stateName) => original.get(stateName)?.Type ?? "Unknown",
      resourceOf: (stateName) => {
        const resource = original.get(stateName)?.Resource;
        return typeof resource === "string" ? resource : undefined;
      },
    },
  };
}

// The engine's constructor runs asl-validator (ARNs and JSONPaths included) on the original
// definition; the prepared one is not valid ASL (it is only meant for the engine). The validator
// fills in defaults such as `QueryLanguage` in place, hence the copy. A definition it accepted
// before is not validated again (validation-cache.ts: the verdict only depends on the text).
function assertValidDefinition(name: string, definition: AslDefinition): void {
  const text = JSON.stringify(definition);
  if (knownValid(text)) return;
  try {
    new StateMachine(structuredClone(definition) as unknown as StateMachineDefinition);
  } catch (error) {
    throw new InvalidDefinitionError(`State machine '${name}': ${(error as Error).message}`);
  }
  rememberValid(text);
}

/** The Parallel branch (`<Parallel>[<index>]`) of every state nested in one; Map item states count as branch 0. */
function branchThreads(definition: AslDefinition): Map<string, string> {
  const threads = new Map<string, string>();
  const visit = (current: AslDefinition, thread: string) => {
    for (const [name, state] of Object.entries(current.States)) {
      if (thread) threads.set(name, thread);
      nestedDefinitions(state).forEach((nested, index) => visit(nested, `${name}[${index}]`));
    }
  };
  visit(definition, "");
  return threads;
}
