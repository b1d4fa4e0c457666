/** When the local pipeline has nothing left to do: what `paybus run`, the demo and the tests wait for. */
import type { Runtime } from "./runtime.ts";

/** True when no event is being delivered, no message is queued or in flight, and no batch runs. */
export function isQuiet(runtime: Runtime): boolean {
  if (runtime.bus.busy) return false;
  for (const [name, mapping] of runtime.mappings) {
    if (mapping.busy) return false;
    mapping.syncDlq();
    const depth = runtime.sqs.depth(runtime.sqs.queue(name).physicalName);
    if (depth.ready + depth.inFlight + depth.delayed > 0) return false;
  }
  // An execution parked on a task token (the 72-hour follow-up) waits for the outside world.
  return runtime.sfn.onlyAwaitingTaskTokens();
}

/** Resolves once the pipeline has been quiet for `settleMs`; rejects after `timeoutMs`. */
export async function waitForQuiet(runtime: Runtime, timeoutMs = 60_000, settleMs = 300): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let quietSince: number | undefined;
  while (Date.now() < deadline) {
    if (isQuiet(runtime)) {
      quietSince ??= Date.now();
      if (Date.now() - quietSince >= settleMs) return;
    } else {
      quietSince = undefined;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the pipeline did not settle within ${timeoutMs} ms (a consumer keeps failing, or the load is too high)`);
}
