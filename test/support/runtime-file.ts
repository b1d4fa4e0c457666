/**
 * Setup file of the `e2e` test files, which start the local runtime and share one module graph
 * per worker (vitest.config.ts, test/support/isolation.ts). A process holds one aws-ses-v2-local
 * email store, whatever runtimes it starts (local/ses.ts): emptied here before each file, a file's
 * runtime sees only its own emails, as it would in a process of its own.
 */
import { emptyEmailStore } from "../../local/ses.ts";

emptyEmailStore();
