/**
 * Setup file of the `e2e` test files, which start the local runtime and share one module graph
 * per worker (vitest.config.ts, test/support/isolation.ts). A process holds one aws-ses-v2-local
 * email store, whatever runtimes it starts (local/ses.ts): emptied here before each file, a file's
 * runtime sees only its own emails, as it would in a process of its own.
 */
import { createRequire } from "node:module";

/** Empties aws-ses-v2-local's store (emails and templates) in this thread. */
export function emptyEmailStore(): void {
  // The same module instance local/ses.ts loads: Node's CommonJS cache is one per thread.
  (createRequire(import.meta.url)("aws-ses-v2-local/dist/store.js") as { clearStore(): void }).clearStore();
}

emptyEmailStore();
