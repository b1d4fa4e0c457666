/**
 * How many execution environments per function the suite's runtimes and Lambda hosts start (see
 * `runtime.ts` beside this file for why one). Apart from `runtime.ts` so that a test building a
 * `LambdaHost` of its own need not load the whole runtime.
 */
import { DEFAULT_MAX_ENVIRONMENTS_PER_FUNCTION } from "../../local/lambda.ts";

/** The cap tests run with unless they exercise overlapping invocations of one function. */
export const TEST_ENVIRONMENTS_PER_FUNCTION = 1;

/** The runtime's own default, for tests whose assertions need invocations of one function to overlap. */
export const CONCURRENT_ENVIRONMENTS = DEFAULT_MAX_ENVIRONMENTS_PER_FUNCTION;
