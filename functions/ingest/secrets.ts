/**
 * The webhook signing secrets, read from Secrets Manager at runtime and cached per execution
 * environment (Powertools Parameters), so the value never sits in the function's environment and a
 * rotated value reaches every warm instance within {@link SECRET_MAX_AGE_SECONDS}.
 */
import { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { secretsManager } from "../common/clients/secrets-manager.ts";
import { parseSecretValue, type SecretSource } from "./config.ts";

/**
 * How long a fetched value is used before it is read again. Stripe signs with both secrets while
 * one is rolled (for the overlap chosen when rolling, up to 24 h), so a few minutes of staleness
 * never refuses a genuine delivery; it bounds Secrets Manager calls to one per instance per period.
 */
export const SECRET_MAX_AGE_SECONDS = 300;

/** The secret could not be read (throttling, a network fault, a missing permission). */
export class SecretUnavailableError extends Error {
  override name = "SecretUnavailableError";
}

/**
 * Reads the signing secrets `source` names: from the environment as they are, or from Secrets
 * Manager through a cache of the reader's own.
 *
 * The returned function throws {@link SecretUnavailableError} when Secrets Manager cannot be read
 * (worth retrying) and `BridgeConfigError` when the value is not a list of `whsec_…` secrets.
 */
export function secretReader(source: SecretSource): () => Promise<readonly string[]> {
  if (source.kind === "environment") return async () => source.secrets;
  let provider: { readonly client: SecretsManagerClient; readonly secrets: SecretsProvider } | undefined;
  return async () => {
    const client = secretsManager();
    // A new client (another endpoint, in tests) gets a provider, and a cache, of its own.
    if (provider?.client !== client) provider = { client, secrets: new SecretsProvider({ awsSdkV3Client: client }) };
    let value: string | Uint8Array | undefined;
    try {
      value = await provider.secrets.get(source.secretId, { maxAge: SECRET_MAX_AGE_SECONDS });
    } catch (error) {
      // Powertools wraps the SDK's error; only its name is repeated, never a value.
      const cause = (error as Error).cause as Error | undefined;
      throw new SecretUnavailableError(`the webhook secret could not be read: ${cause?.name ?? (error as Error).name}`, { cause: error });
    }
    // A binary secret holds no list of whsec_ secrets: refused like any other wrong value.
    return parseSecretValue(typeof value === "string" ? value : undefined);
  };
}
