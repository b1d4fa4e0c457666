/**
 * A function's logger (`createLogger`, its redacting layout) that writes nothing: for tests that
 * drive a core with a logger and assert on outcomes, not on logs. Set on the logger rather than
 * through `POWERTOOLS_LOG_LEVEL`, which would outlive the file in a worker shared with other files
 * (test/support/isolation.ts).
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import { createLogger } from "../../functions/common/logger.ts";

/** `createLogger(serviceName)` at level SILENT. */
export function quietLogger(serviceName: string): Logger {
  const logger = createLogger(serviceName);
  logger.setLogLevel("SILENT");
  return logger;
}
