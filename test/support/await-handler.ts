/**
 * A handler whose module awaits at its top level, as an ES module handler in Lambda may for its init
 * work (local/lambda.test.ts): a module that cannot be made a script (local/function-bundles.ts).
 */
const ready = await Promise.resolve("initialised");

/** What the init phase awaited, and the script this runs from (none: an ES module). */
export async function handler(): Promise<{ ready: string; script: string | undefined }> {
  return { ready, script: typeof __filename === "string" ? __filename : undefined };
}
