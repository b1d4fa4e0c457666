/**
 * The Workflows view's read model: Step Functions executions with the path each took through its
 * drawn ASL (and the purchase and Stripe event behind it), and the callback tasks waiting for a token.
 */
import type { Runtime } from "../local/runtime.ts";
import type { ExecutionRecord } from "../local/stepfunctions/index.ts";
import { litEdges } from "./asl.ts";
import { machineName } from "./flow.ts";
import type { ExecutionView, Graph, TaskTokenView } from "./protocol.ts";

/** `arn:…:execution:paybus-engagement:purchase-pi_…` -> `purchase-pi_…`. */
const executionName = (arn: string) => arn.split(":").pop() ?? arn;

function executionView(execution: ExecutionRecord, prefix: string, graphs: Readonly<Record<string, Graph>>, purchaseEvents: ReadonlyMap<string, { eventId: string }>): ExecutionView {
  const machine = machineName(execution.stateMachineArn, prefix);
  const graph = graphs[machine];
  const purchaseId = (execution.input as { purchaseId?: unknown } | undefined)?.purchaseId;
  return {
    executionArn: execution.executionArn,
    name: execution.name,
    stateMachine: machine,
    status: execution.status,
    startDate: execution.startDate.toISOString(),
    stopDate: execution.stopDate?.toISOString(),
    path: execution.path,
    litEdges: graph ? litEdges(graph, execution.path) : [],
    error: execution.error,
    cause: execution.cause,
    ...(typeof purchaseId === "string" ? { purchaseId, stripeEventId: purchaseEvents.get(purchaseId)?.eventId } : {}),
  };
}

/** Executions newest first, and the task tokens waiting. */
export function workflowViews(
  runtime: Runtime,
  executions: readonly ExecutionRecord[],
  graphs: Readonly<Record<string, Graph>>,
  purchaseEvents: ReadonlyMap<string, { eventId: string }>,
): { executions: ExecutionView[]; tokens: TaskTokenView[] } {
  return {
    executions: executions.map((execution) => executionView(execution, runtime.prefix, graphs, purchaseEvents)).reverse(),
    tokens: runtime.sfn.pendingTaskTokens().map(
      (token): TaskTokenView => ({ token: token.token, executionArn: token.executionArn, executionName: executionName(token.executionArn), stateName: token.stateName }),
    ),
  };
}
