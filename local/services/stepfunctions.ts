/**
 * Step Functions with the declared state machines, their Lambda tasks resolved to the local
 * functions; executions survive restarts (running ones resume once the runtime is ready).
 */
import { join } from "node:path";
import { loadDefinition, stateMachines } from "../../workflows/index.ts";
import { localFunctionName } from "../function-environment.ts";
import type { Journal } from "../journal.ts";
import { functionNameOf } from "../runtime-bindings.ts";
import { defineService } from "../service.ts";
import { startLocalStepFunctions, type LocalStepFunctions } from "../stepfunctions/index.ts";

export const stepFunctionsService = defineService({
  name: "stepfunctions",
  routing: { service: "states", targetPrefixes: ["AWSStepFunctions"], signingNames: ["states"] },
  async start({ runtime, host, region, accountId, prefix, timeScale, durableDir, journal, options }) {
    const sfn = await startLocalStepFunctions({
      host,
      port: 0,
      region,
      accountId,
      timeScale: options.workflowTimeScale ?? 1,
      retryIntervalScale: timeScale,
      stateMachines: Object.keys(stateMachines).map((name) => ({
        name: `${prefix}-${name}`,
        definition: loadDefinition(name as keyof typeof stateMachines, (logical) => runtime.lambda.functionArn(localFunctionName(prefix, logical))),
      })),
      invokeLambda: (arnOrName, payload) => runtime.invokeByArn(arnOrName, payload),
      functionTimeout: (arnOrName) => runtime.functions.get(functionNameOf(arnOrName))?.timeoutSeconds,
      // Executions, their history and task tokens survive a restart (running ones resume when ready);
      // in memory for one-shot runs, which never restart.
      ...(durableDir ? { dataDir: join(durableDir, "stepfunctions") } : {}),
    });
    journalWorkflows(sfn, journal);
    return {
      handle: sfn,
      // Answered in process by the gateway: one HTTP hop per StartExecution instead of two.
      api: { service: "states", inProcess: sfn.api },
      // Once the gateway serves the functions' calls: resumed tasks invoke them.
      ready: () => sfn.resume(),
      // Workflows stop before the functions: a task cut short by the stop must resume at the next
      // start, not be recorded as failed by an execution still running.
      stop: () => sfn.close(),
    };
  },
});

/** Journals each workflow execution when it starts and when it ends. */
function journalWorkflows(sfn: LocalStepFunctions, journal: Journal): void {
  // Executions read back from the data directory were journaled by the process that started them.
  const seen = new Map<string, string>(sfn.executions().map((execution) => [execution.executionArn, execution.status]));
  sfn.onChange((change) => {
    if (change.kind !== "execution") return;
    const { executionArn } = change;
    // Called at every state transition: the status alone, unless the journal has something to say
    // (a copy of the whole record, input included, per transition was most of this listener's cost).
    const status = sfn.executionStatus(executionArn);
    if (seen.get(executionArn) === status) return;
    if (!seen.has(executionArn)) {
      const execution = sfn.execution(executionArn);
      journal.record({ kind: "workflow.started", executionArn, stateMachine: execution.stateMachineArn, name: execution.name });
    }
    seen.set(executionArn, status);
    if (status !== "RUNNING") journal.record({ kind: "workflow.finished", executionArn, status });
  });
}
