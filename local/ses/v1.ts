/**
 * SES v1 (the AWS Query protocol, `Action=…`): sends are checked as SES checks them (message tags,
 * verified sender and return path, sandbox recipients) before aws-ses-v2-local stores them; the read
 * operations clients call are answered here; every other action gets an immediate `InvalidAction`.
 */
import { randomUUID } from "node:crypto";
import { xmlEscape } from "../aws-query.ts";
import { sendQuota, rawHeaders, tagMap, type SesAnswer, type SesContext } from "./context.ts";
import { addressOf, checkTags, SesError } from "./identities.ts";

const NAMESPACE = "http://ses.amazonaws.com/doc/2010-12-01/";

function members(form: Map<string, string>, prefix: string): string[] {
  const out: string[] = [];
  for (let i = 1; form.has(`${prefix}.member.${i}`); i++) out.push(form.get(`${prefix}.member.${i}`)!);
  return out;
}

function tagsOf(form: Map<string, string>): Array<{ name: string | undefined; value: string | undefined }> {
  const tags = [];
  for (let i = 1; form.has(`Tags.member.${i}.Name`) || form.has(`Tags.member.${i}.Value`); i++) {
    tags.push({ name: form.get(`Tags.member.${i}.Name`), value: form.get(`Tags.member.${i}.Value`) });
  }
  return tags;
}

function result(action: string, xml: string): SesAnswer {
  const body =
    `<${action}Response xmlns="${NAMESPACE}"><${action}Result>${xml}</${action}Result>` +
    `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`;
  return { kind: "reply", status: 200, contentType: "text/xml", body };
}

function required(form: Map<string, string>, name: string): string {
  const value = form.get(name);
  if (value === undefined) throw new SesError("ValidationError", `1 validation error detected: Value null at '${name.charAt(0).toLowerCase()}${name.slice(1)}' failed to satisfy constraint: Member must not be null`);
  return value;
}

/** Answers one SES v1 request. @throws SesError for what SES refuses. */
export function handleV1(form: Map<string, string>, context: SesContext): SesAnswer {
  const action = form.get("Action") ?? "";
  const identities = context.identities;
  switch (action) {
    case "SendEmail": {
      checkTags(tagsOf(form));
      const recipients = ["ToAddresses", "CcAddresses", "BccAddresses"].flatMap((kind) => members(form, `Destination.${kind}`));
      // SendEmail takes at most 50 recipients (To, Cc and Bcc together).
      if (recipients.length > 50) throw new SesError("InvalidParameterValue", "Recipient count exceeds 50.");
      identities.checkSend(required(form, "Source"), recipients, form.get("ReturnPath"));
      return { kind: "forward", email: { to: members(form, "Destination.ToAddresses"), subject: form.get("Message.Subject.Data") ?? "", tags: tagMap(tagsOf(form)) } };
    }
    case "SendRawEmail": {
      checkTags(tagsOf(form));
      const raw = rawHeaders(required(form, "RawMessage.Data"));
      const destinations = members(form, "Destinations");
      const from = form.get("Source") ?? raw.from;
      if (from === undefined) throw new SesError("InvalidParameterValue", "Missing required header 'From'.");
      identities.checkSend(from, destinations.length > 0 ? destinations : raw.recipients);
      return { kind: "forward", email: { to: (destinations.length > 0 ? destinations : raw.recipients).map(addressOf), subject: raw.subject, tags: tagMap(tagsOf(form)) } };
    }
    case "ListIdentities": {
      const type = form.get("IdentityType");
      if (type !== undefined && type !== "EmailAddress" && type !== "Domain") {
        throw new SesError("ValidationError", `1 validation error detected: Value '${type}' at 'identityType' failed to satisfy constraint: Member must satisfy enum value set: [EmailAddress, Domain]`);
      }
      const all = identities.list(type as "EmailAddress" | "Domain" | undefined);
      const max = Number(form.get("MaxItems") ?? 1000);
      const start = form.has("NextToken") ? Number(Buffer.from(form.get("NextToken")!, "base64url").toString("utf8")) : 0;
      if (!Number.isInteger(start) || start < 0 || start > all.length) throw new SesError("InvalidParameterValue", "Invalid NextToken.");
      const page = all.slice(start, start + max);
      const next = start + max < all.length ? `<NextToken>${Buffer.from(String(start + max)).toString("base64url")}</NextToken>` : "";
      return result(action, `<Identities>${page.map((identity) => `<member>${xmlEscape(identity)}</member>`).join("")}</Identities>${next}`);
    }
    case "GetIdentityVerificationAttributes": {
      // Identities the account does not have are left out of the answer, as SES does.
      const entries = members(form, "Identities")
        .filter((identity) => identities.has(identity))
        .map((identity) => {
          const token = identity.includes("@") ? "" : `<VerificationToken>${Buffer.from(`paybus-local:${identity}`).toString("base64")}</VerificationToken>`;
          return `<entry><key>${xmlEscape(identity)}</key><value><VerificationStatus>Success</VerificationStatus>${token}</value></entry>`;
        });
      return result(action, `<VerificationAttributes>${entries.join("")}</VerificationAttributes>`);
    }
    case "GetSendQuota": {
      const quota = sendQuota(context);
      return result(action, `<Max24HourSend>${quota.max24HourSend.toFixed(1)}</Max24HourSend><MaxSendRate>${quota.maxSendRate.toFixed(1)}</MaxSendRate><SentLast24Hours>${quota.sentLast24Hours.toFixed(1)}</SentLast24Hours>`);
    }
    case "GetAccountSendingEnabled":
      return result(action, "<Enabled>true</Enabled>");
    default:
      throw new SesError(
        "InvalidAction",
        action === ""
          ? "The request names no Action."
          : `The action ${action} is not emulated by the local SES. Identities are declared in stacks/stages.ts (emailFrom, emailIdentity); see the README's local differences.`,
      );
  }
}
