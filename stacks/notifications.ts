/**
 * The notifications context's own resources: the SES identity emails are sent from and, where the
 * stage enables push, the SNS platform application. Its queue and consumer come from the routing
 * declaration (see `consumers.ts`).
 */
import type { Registry } from "./registry.ts";
import { resourceLogicalName } from "./plan.ts";

/** Creates the email identity and the push application, with push credentials from `sst.Secret`s. */
export function createChannels(registry: Registry): { emailIdentity: aws.sesv2.EmailIdentity } {
  const { email, push } = registry.plan;
  const emailIdentity = new aws.sesv2.EmailIdentity(resourceLogicalName({ kind: "emailIdentity" }), {
    emailIdentity: email.identity,
  });
  registry.add(resourceLogicalName({ kind: "emailIdentity" }), { name: emailIdentity.emailIdentity, arn: emailIdentity.arn });

  if (push) {
    const application = new aws.sns.PlatformApplication(push.logicalName, {
      name: `${$app.name}-${$app.stage}-push`,
      platform: push.platform,
      platformCredential: registry.secret("PushPlatformCredential").value,
      ...(push.platform === "GCM" ? {} : { platformPrincipal: registry.secret("PushPlatformPrincipal").value }),
    });
    registry.add(push.logicalName, { name: application.name, arn: application.arn });
  }
  return { emailIdentity };
}
