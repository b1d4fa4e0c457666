/**
 * The TypeScript processes the tests start (engines killed with SIGKILL and started again) from one
 * esbuild bundle instead of `node --import tsx` (local/process-bundle.ts: the same code, loaded in
 * ~0.6 s of CPU instead of ~1.2 s for the Step Functions child), built once under
 * `node_modules/.cache/paybus-test-children/` and reused while no input changed. The reliability
 * suite's children are built the same way (test/reliability/child-bundle.ts).
 */
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { CachedBuild } from "../../local/build-cache.ts";
import { PROJECT_ROOT } from "../../local/project-root.ts";
import { bundleProcesses } from "../../local/process-bundle.ts";

/** The entry points, project-relative: every TypeScript process a test file outside test/reliability starts. */
export const TEST_CHILD_ENTRIES = [
  "test/support/stepfunctions-durable-child.ts",
  "test/support/sqs-crash-child.ts",
  "test/support/dynamodb-crash-child.ts",
] as const;

let building: Promise<CachedBuild> | undefined;

/**
 * The `node` arguments that start `entry` (its file URL or absolute path): its built file in the
 * bundle of {@link TEST_CHILD_ENTRIES}, built by the first call in this process (or reused).
 */
export async function testChildArgs(entry: string | URL): Promise<string[]> {
  const file = entry instanceof URL || entry.startsWith("file:") ? fileURLToPath(entry) : entry;
  const name = relative(PROJECT_ROOT, file);
  if (!(TEST_CHILD_ENTRIES as readonly string[]).includes(name)) throw new Error(`${name} is not one of the bundled test children (TEST_CHILD_ENTRIES)`);
  building ??= bundleProcesses(PROJECT_ROOT, "paybus-test-children", TEST_CHILD_ENTRIES).catch((error: unknown) => {
    building = undefined;
    throw error;
  });
  return [(await building).outputs.get(name)!];
}
