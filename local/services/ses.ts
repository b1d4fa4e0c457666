/** SES (v1 and v2) with the identities `stacks/stages.ts` declares; the outbox survives a restart. */
import { join } from "node:path";
import { EMAIL_FROM_ENV } from "../../functions/common/environment.ts";
import { serviceFaults } from "../faults.ts";
import type { ServeHandler } from "../gateway.ts";
import { defineService } from "../service.ts";
import { declaredEmailIdentities, identityWarnings, LocalSes } from "../ses.ts";

export const sesService = defineService({
  name: "ses",
  // Its clients sign as "ses" or "email"; SES v2 is REST under /v2/email/.
  routing: {
    service: "ses",
    signingNames: ["ses", "email"],
    restPaths: ["/v2/email/"],
    queryActions: [
      "CreateTemplate", "DeleteIdentity", "DeleteTemplate", "GetAccount", "GetIdentityVerificationAttributes", "GetSendQuota",
      "GetSendStatistics", "GetTemplate", "ListIdentities", "ListTemplates", "ListVerifiedEmailAddresses", "SendBulkTemplatedEmail",
      "SendEmail", "SendRawEmail", "SendTemplatedEmail", "VerifyDomainIdentity", "VerifyEmailAddress", "VerifyEmailIdentity",
    ],
  },
  async start({ host, region, durableDir, journal, options, warn }) {
    const faults = serviceFaults();
    const identities = options.sesIdentities ?? declaredEmailIdentities();
    const ses = new LocalSes({
      journal,
      faults,
      host,
      region,
      identities,
      sandbox: options.sesSandbox ?? process.env.PAYBUS_SES_SANDBOX === "true",
      // In memory for one-shot runs (`inMemory`): nothing reads the outbox file after them.
      ...(durableDir ? { stateFile: join(durableDir, "ses", "outbox.jsonl") } : {}),
    });
    for (const warning of identityWarnings(identities)) warn(warning);
    const emailFrom = options.env?.[EMAIL_FROM_ENV] ?? process.env[EMAIL_FROM_ENV];
    if (emailFrom && !ses.identities.isVerified(emailFrom)) {
      warn(`SES: ${EMAIL_FROM_ENV}=${emailFrom} is not a declared identity (${identities.join(", ")}): every send will fail with MessageRejected, as in AWS. Declare it in stacks/stages.ts (emailFrom, emailIdentity).`);
    }
    await ses.start();
    // The gateway hands requests over with their body read: no hop to the front port.
    const serve: ServeHandler = ({ req, url, body }, res) => ses.answer(req, url, body, res);
    return { handle: ses, api: { service: "ses", upstream: ses.endpoint, serve }, faults, stop: () => ses.stop() };
  },
});
