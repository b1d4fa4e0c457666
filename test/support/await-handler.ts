/**
 * A handler whose module awaits at its top level, as an ES module handler in Lambda may for its init
 * work (local/lambda.test.ts).
 */
const ready = await Promise.resolve("initialised");

/** What the init phase awaited. */
export async function handler(): Promise<{ ready: string }> {
  return { ready };
}
