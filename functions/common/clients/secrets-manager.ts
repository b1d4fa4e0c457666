/** The functions' Secrets Manager client (see `../clients.ts` for how clients are built and why one module per service). */
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { cached, once, withoutSdkLogger } from "../clients.ts";

export const secretsManager = /* @__PURE__ */ once(() => withoutSdkLogger(new SecretsManagerClient(cached())));
