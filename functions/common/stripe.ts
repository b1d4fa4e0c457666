/**
 * The Stripe API client of the functions that act on a customer's Stripe account (tier rewards).
 *
 * The secret key comes from Secrets Manager (`PAYBUS_STRIPE_API_KEY_SECRET_ID`, the deployed way:
 * never in the function's environment, which `lambda:GetFunctionConfiguration` shows in clear),
 * cached per execution environment like the webhook secret; or from `PAYBUS_STRIPE_API_KEY` (the
 * local runtime's test-mode key for its local Stripe endpoints). `PAYBUS_STRIPE_API_BASE` points the
 * SDK's `host`/`port`/`protocol` elsewhere (the local gateway); unset, the SDK calls api.stripe.com.
 */
import { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import Stripe from "stripe";
import { secretsManager } from "./clients/secrets-manager.ts";
import { STRIPE_API_BASE_ENV, STRIPE_API_KEY_ENV, STRIPE_API_KEY_SECRET_ID_ENV } from "./environment.ts";
import { RetryableError, stripeErrorClass } from "./errors.ts";

export { STRIPE_API_BASE_ENV, STRIPE_API_KEY_ENV, STRIPE_API_KEY_SECRET_ID_ENV };


/** How long a fetched key is used before it is read again (a rolled key reaches warm instances within it). */
export const STRIPE_KEY_MAX_AGE_SECONDS = 300;

/** No key is configured, or the one configured is not a Stripe secret/restricted key. */
export class StripeKeyConfigError extends Error {
  override name = "StripeKeyConfigError";
}

let provider: { readonly client: SecretsManagerClient; readonly secrets: SecretsProvider } | undefined;

/** The Stripe secret key, from Secrets Manager or (locally) the environment. */
export async function stripeApiKey(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const secretId = env[STRIPE_API_KEY_SECRET_ID_ENV];
  let key = env[STRIPE_API_KEY_ENV];
  if (secretId) {
    const client = secretsManager();
    if (provider?.client !== client) provider = { client, secrets: new SecretsProvider({ awsSdkV3Client: client }) };
    try {
      const value = await provider.secrets.get(secretId, { maxAge: STRIPE_KEY_MAX_AGE_SECONDS });
      key = typeof value === "string" ? value.trim() : undefined;
    } catch (error) {
      const cause = (error as Error).cause as Error | undefined;
      // Only the error's name: never a value.
      throw new RetryableError(`the Stripe API key could not be read: ${cause?.name ?? (error as Error).name}`, { cause: error });
    }
  }
  if (!key) throw new StripeKeyConfigError(`set ${STRIPE_API_KEY_SECRET_ID_ENV} (or ${STRIPE_API_KEY_ENV} locally) to call Stripe`);
  if (!/^(sk|rk)_(test|live)_/.test(key)) throw new StripeKeyConfigError("the Stripe API key is not a secret (sk_…) or restricted (rk_…) key");
  return key;
}

let cachedClient: { readonly key: string; readonly base: string | undefined; readonly client: Stripe } | undefined;

/** A Stripe client for the key (rebuilt only when the key or the base URL changes). */
export async function stripeClient(env: NodeJS.ProcessEnv = process.env): Promise<Stripe> {
  const key = await stripeApiKey(env);
  const base = env[STRIPE_API_BASE_ENV];
  if (cachedClient?.key === key && cachedClient.base === base) return cachedClient.client;
  const url = base ? new URL(base) : undefined;
  const client = new Stripe(key, {
    // The SDK retries connection errors and 409/429/5xx itself, with the same Idempotency-Key.
    maxNetworkRetries: 2,
    timeout: 8_000,
    ...(url ? { host: url.hostname, port: Number(url.port || (url.protocol === "https:" ? 443 : 80)), protocol: url.protocol.replace(":", "") as "http" | "https" } : {}),
  });
  cachedClient = { key, base, client };
  return client;
}

/**
 * Stripe failures worth retrying (network, rate limit, Stripe's 5xx, a concurrent request with the
 * same idempotency key) as {@link RetryableError}; the rest (invalid request, authentication,
 * permission, idempotency misuse) as they are, which `classifyError` counts as poison: both
 * decided by `stripeErrorClass` (`errors.ts`).
 */
export function classifyStripeError(error: unknown): unknown {
  if (!(error instanceof Stripe.errors.StripeError)) return error;
  const status = error.statusCode ?? 0;
  const retryable = stripeErrorClass(error) === "retryable";
  return retryable ? new RetryableError(`Stripe: ${error.type} (${status || "no answer"})`, { cause: error }) : error;
}
