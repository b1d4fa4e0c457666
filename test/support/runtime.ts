/**
 * The local runtime as most tests start it: one execution environment per function.
 *
 * Every execution environment is a worker thread whose cold start compiles the function's bundle
 * (the AWS SDK included) again: about 0.4 s of CPU. With the runtime's default cap (three per
 * function, a second one started for an invocation that waited 100 ms for the first), a test that
 * sends a handful of events through a busy machine grows most functions to three environments and
 * pays their cold starts, although nothing it asserts depends on two invocations of one function
 * running side by side. Handlers still run each batch's records concurrently in their one
 * environment; consumers see batches one at a time, as with reserved concurrency 1.
 *
 * A test that asserts what happens when invocations of one function overlap (concurrent
 * redemptions on one balance, two expiry runs at once) gives that function the runtime's default
 * cap, `maxEnvironmentsByFunction: { LoyaltyApi: CONCURRENT_ENVIRONMENTS }`, and says so; one that
 * needs every function's invocations to overlap (the reliability suite's load run),
 * `maxEnvironmentsPerFunction: CONCURRENT_ENVIRONMENTS`.
 */
import { Runtime, type RuntimeOptions } from "../../local/runtime.ts";
import { TEST_ENVIRONMENTS_PER_FUNCTION } from "./environments.ts";

export { CONCURRENT_ENVIRONMENTS, TEST_ENVIRONMENTS_PER_FUNCTION } from "./environments.ts";

/** `Runtime.start` with {@link TEST_ENVIRONMENTS_PER_FUNCTION} unless `options` says otherwise. */
export function startTestRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  return Runtime.start({ maxEnvironmentsPerFunction: TEST_ENVIRONMENTS_PER_FUNCTION, ...options });
}
