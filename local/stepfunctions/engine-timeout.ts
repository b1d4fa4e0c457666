/**
 * The engine's own `States.Timeout` error. aws-local-stepfunctions does not export its class, yet
 * only an instance of it is exempt from `States.TaskFailed` in `Retry`/`Catch` (as on AWS, where
 * `States.TaskFailed` matches every task error except `States.Timeout`). A resumed execution must
 * raise it itself (a callback task's `TimeoutSeconds` keeps running across a restart), so the class
 * is taken once from a one-state probe machine that times out at once.
 */
import "./polyfill.ts";
import { StateMachine, type StateMachineDefinition } from "aws-local-stepfunctions";

let probed: Promise<new () => Error> | undefined;

/** Resolves with a factory of the engine's `States.Timeout` errors. */
export async function engineTimeoutError(): Promise<() => Error> {
  probed ??= probe();
  const Timeout = await probed;
  return () => new Timeout();
}

async function probe(): Promise<new () => Error> {
  const definition = {
    StartAt: "Probe",
    States: { Probe: { Type: "Task", Resource: "arn:aws:lambda:us-east-1:000000000000:function:probe", TimeoutSeconds: 0.001, End: true } },
  };
  const machine = new StateMachine(definition as unknown as StateMachineDefinition, { validationOptions: { noValidate: true } });
  const never = new Promise<never>(() => undefined);
  const run = machine.run({}, { overrides: { taskResourceLocalHandlers: { Probe: () => never } } });
  try {
    await run.result;
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof Error && cause.name === "States.Timeout") return cause.constructor as new () => Error;
  }
  throw new Error("aws-local-stepfunctions no longer reports task timeouts as expected: update engine-timeout.ts");
}
