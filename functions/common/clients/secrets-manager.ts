/** The functions' Secrets Manager client (see `../clients.ts` for how clients are built and why one module per service). */
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { cached, once, prepared } from "../clients.ts";

export const secretsManager = /* @__PURE__ */ once(() => prepared(new SecretsManagerClient(cached())));
