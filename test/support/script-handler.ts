/**
 * A handler for the test of the function scripts' code cache (local/lambda.test.ts), used by no other
 * test, so that no other environment writes its cache while that test watches it.
 */

/** The file this environment runs: a script's path on Node 20 (local/function-script.ts), none for an ES module. */
export async function handler(): Promise<{ script: string | undefined }> {
  return { script: typeof __filename === "string" ? __filename : undefined };
}
