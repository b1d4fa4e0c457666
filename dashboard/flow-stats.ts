/**
 * The Flow view's read model: the routing declaration drawn once (`flow.ts`), with live figures on
 * it — counts and rates per edge from the journal, depth and in-flight messages per queue, effects
 * and workflow executions.
 */
import { queues, ruleList } from "../declarations/rules.ts";
import type { Recorded } from "../local/journal.ts";
import { queueStatus, type Runtime } from "../local/runtime.ts";
import { stateMachines } from "../workflows/index.ts";
import { effectEdges, FlowCounters, flowGraph, machineName, type FlowDeclarations } from "./flow.ts";
import type { DashboardState, FlowStats, Graph } from "./protocol.ts";

/** The declarations the flow view draws, for this runtime's rules. */
export function flowDeclarations(runtime: Runtime): FlowDeclarations {
  return {
    busName: runtime.busName,
    rules: runtime.options.rules ?? ruleList,
    queues,
    stateMachines: Object.fromEntries(
      Object.entries(stateMachines).map(([name, machine]) => [name, { email: Object.values(machine.functions).some((fn) => "email" in fn.access && fn.access.email) }]),
    ),
  };
}

export class FlowModel {
  readonly declarations: FlowDeclarations;
  readonly graph: Graph;
  private readonly counters: FlowCounters;

  constructor(private readonly runtime: Runtime) {
    this.declarations = flowDeclarations(runtime);
    this.graph = flowGraph(this.declarations);
    this.counters = new FlowCounters(this.declarations, runtime.prefix);
  }

  /** Counts one journal entry on its edges. */
  apply(entry: Recorded): void {
    this.counters.apply(entry);
  }

  /** The figures now; effect edges need the outbox of the last state snapshot (null before the first). */
  stats(state: DashboardState | null): FlowStats {
    const workflows: FlowStats["workflows"] = {};
    for (const execution of this.runtime.sfn.executions()) {
      const name = machineName(execution.stateMachineArn, this.runtime.prefix);
      const counts = (workflows[name] ??= { running: 0, succeeded: 0, failed: 0 }) as { running: number; succeeded: number; failed: number };
      if (execution.status === "RUNNING") counts.running++;
      else if (execution.status === "SUCCEEDED") counts.succeeded++;
      else counts.failed++;
    }
    const now = Date.now();
    const edges = { ...this.counters.edges(now), ...effectEdges(this.declarations, { emails: state?.emails ?? [], pushes: state?.pushes ?? [] }, now) };
    return { edges, queues: queueStatus(this.runtime), bus: { ...this.counters.bus }, effects: { ...this.counters.effects }, workflows };
  }
}
