/**
 * The warning before a lot expires: one email per lot, exactly once (a leased send claim, as the
 * engagement emails have), then the index item marked so that later passes skip it.
 */
import { SendEmailCommand } from "@aws-sdk/client-ses";
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { InvocationEndingError } from "../common/invocation.ts";
import { getProfile } from "../common/profiles.ts";
import { warningClaimKey } from "../loyalty/entries.ts";
import { dynamoLeasedClaims, type Claim } from "../notifications/store.ts";
import type { ExpiryDeps } from "./core.ts";
import { readLot, type IndexItem } from "./lot.ts";

/** What became of a lot's warning (`deferred`: the next pass tries again). */
export type WarnOutcome = "sent" | "nothing-left" | "no-recipient" | "deferred";

/** Sends the lot's warning once (a leased claim, as the engagement emails do), then marks the index item. */
export async function warnLot(item: IndexItem, now: number, deps: Pick<ExpiryDeps, "client" | "tableName" | "email" | "invocation">): Promise<WarnOutcome> {
  const { client, tableName: TableName } = deps;
  const markWarned = (outcome: WarnOutcome) =>
    client
      .send(
        new UpdateCommand({
          TableName,
          Key: { pk: item.pk, sk: item.sk },
          UpdateExpression: "SET warnedAt = :now, warning = :outcome",
          // Never resurrect an index item a concurrent expiry removed.
          ConditionExpression: "attribute_exists(pk)",
          ExpressionAttributeValues: { ":now": now, ":outcome": outcome },
        }),
      )
      .catch((error: Error) => {
        if (error.name !== "ConditionalCheckFailedException") throw error;
      })
      .then(() => outcome);
  const { lot, remaining } = await readLot(item, deps);
  if (!lot || lot.expiredAt !== undefined || remaining === 0) return markWarned("nothing-left");
  const profile = item.stripeCustomerId ? await getProfile(item.stripeCustomerId, deps.email.profiles) : undefined;
  if (!profile?.email) return markWarned("no-recipient");
  const claims = dynamoLeasedClaims({ client, tableName: TableName, leaseSeconds: deps.email.leaseSeconds, now: () => now, invocation: deps.invocation });
  const key = warningClaimKey(item.customerId, item.lotKey);
  let claim: Claim;
  try {
    claim = await claims.claim(key, { customerId: item.customerId, lotKey: item.lotKey });
  } catch (error) {
    // Too little of this run is left to send and record the warning: the next run sends it.
    if (error instanceof InvocationEndingError) return "deferred";
    throw error;
  }
  if (claim.kind === "done") return markWarned("sent");
  if (claim.kind === "busy") return "deferred";
  const day = new Date(item.expiresAt).toISOString().slice(0, 10);
  let messageId: string;
  try {
    const { MessageId } = await deps.email.ses.send(
      new SendEmailCommand({
        Source: deps.email.from,
        Destination: { ToAddresses: [profile.email] },
        Message: {
          Subject: { Data: `${remaining} of your points expire on ${day}`, Charset: "UTF-8" },
          Body: {
            Text: {
              Data: `Hello${profile.name ? ` ${profile.name}` : ""},\n\n${remaining} of your reward points expire on ${day}. Redeem them before then to keep their value.\n`,
              Charset: "UTF-8",
            },
          },
        },
      }),
    );
    messageId = MessageId ?? "";
  } catch {
    await claims.release(key, claim.token);
    return "deferred";
  }
  await claims.complete(key, { customerId: item.customerId, lotKey: item.lotKey, status: "sent", messageId, sentAt: now, points: remaining });
  return markWarned("sent");
}

