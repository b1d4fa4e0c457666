/** The handler `bench/invoke.ts` invokes: does nothing, so what is measured is the Lambda host's own work. */
export const handler = async (event: { Records?: unknown[] }) => ({ batchItemFailures: [], records: event.Records?.length ?? 0 });
