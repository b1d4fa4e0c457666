/**
 * SES v2 (REST-JSON, `/v2/email/…`): sends are checked as SES checks them (email tags, verified
 * sender, sandbox recipients) before aws-ses-v2-local stores them; `GetAccount`,
 * `ListEmailIdentities` and `GetEmailIdentity` reflect the declared identities and the sandbox
 * switch; templates are aws-ses-v2-local's; every other route gets an immediate error.
 */
import { sendQuota, rawHeaders, tagMap, type SesAnswer, type SesContext } from "./context.ts";
import { addressOf, checkTags, SesError } from "./identities.ts";

const JSON_TYPE = "application/json";
const PAGE_SIZE = 1000;

interface Destination {
  ToAddresses?: string[];
  CcAddresses?: string[];
  BccAddresses?: string[];
}

function json(body: unknown): SesAnswer {
  return { kind: "reply", status: 200, contentType: JSON_TYPE, body: JSON.stringify(body) };
}

function recipientsOf(destination: Destination | undefined): string[] {
  return [...(destination?.ToAddresses ?? []), ...(destination?.CcAddresses ?? []), ...(destination?.BccAddresses ?? [])];
}

type Tags = Array<{ Name?: string; Value?: string }> | undefined;
function checkEmailTags(...lists: Tags[]): void {
  checkTags(lists.flatMap((list) => (list ?? []).map((tag) => ({ name: tag.Name, value: tag.Value }))), "BadRequestException");
}

function identityOf(name: string) {
  return { IdentityType: name.includes("@") ? "EMAIL_ADDRESS" : "DOMAIN", IdentityName: name, SendingEnabled: true, VerificationStatus: "SUCCESS" };
}

/** Answers one SES v2 request. @throws SesError for what SES refuses. */
export function handleV2(method: string, path: string, query: URLSearchParams, body: unknown, context: SesContext): SesAnswer {
  const identities = context.identities;
  const input = (body ?? {}) as Record<string, any>;
  if (method === "POST" && path === "/v2/email/outbound-emails") {
    checkEmailTags(input.EmailTags);
    const raw = typeof input.Content?.Raw?.Data === "string" ? rawHeaders(input.Content.Raw.Data) : undefined;
    const from: string | undefined = input.FromEmailAddress ?? raw?.from;
    if (from === undefined) throw new SesError("BadRequestException", "Missing required parameter: FromEmailAddress.");
    const recipients = input.Destination ? recipientsOf(input.Destination) : (raw?.recipients ?? []);
    identities.checkSend(from, recipients);
    const subject = input.Content?.Simple?.Subject?.Data ?? raw?.subject ?? input.Content?.Template?.TemplateName ?? "";
    const tags = tagMap(((input.EmailTags ?? []) as NonNullable<Tags>).map((tag) => ({ name: tag.Name, value: tag.Value })));
    return { kind: "forward", email: { to: (input.Destination?.ToAddresses ?? raw?.recipients ?? []).map(addressOf), subject, tags } };
  }
  if (method === "POST" && path === "/v2/email/outbound-bulk-emails") {
    const entries = (input.BulkEmailEntries ?? []) as Array<{ Destination?: Destination; ReplacementTags?: Tags }>;
    checkEmailTags(input.DefaultEmailTags, ...entries.map((entry) => entry.ReplacementTags));
    if (input.FromEmailAddress === undefined) throw new SesError("BadRequestException", "Missing required parameter: FromEmailAddress.");
    identities.checkSend(input.FromEmailAddress, entries.flatMap((entry) => recipientsOf(entry.Destination)));
    return { kind: "forward" };
  }
  if (method === "GET" && path === "/v2/email/account") {
    const quota = sendQuota(context);
    return json({
      DedicatedIpAutoWarmupEnabled: false,
      EnforcementStatus: "HEALTHY",
      ProductionAccessEnabled: !identities.sandbox,
      SendingEnabled: true,
      SendQuota: { Max24HourSend: quota.max24HourSend, MaxSendRate: quota.maxSendRate, SentLast24Hours: quota.sentLast24Hours },
    });
  }
  // ListEmailIdentities: `POST /v2/email/list-identities` in the current API, `GET /v2/email/identities` before.
  const listing = method === "POST" && path === "/v2/email/list-identities" ? "body" : method === "GET" && path === "/v2/email/identities" ? "query" : undefined;
  if (listing) {
    const all = identities.list();
    const read = (name: string): string | undefined => (listing === "query" ? (query.get(name) ?? undefined) : input[name] === undefined ? undefined : String(input[name]));
    const size = Number(read("PageSize") ?? PAGE_SIZE);
    const token = read("NextToken");
    const start = token !== undefined ? Number(Buffer.from(token, "base64url").toString("utf8")) : 0;
    if (!Number.isInteger(start) || start < 0 || start > all.length) throw new SesError("BadRequestException", "Invalid NextToken.");
    const page = all.slice(start, start + size).map((name) => identityOf(name));
    return json({ EmailIdentities: page, ...(start + size < all.length ? { NextToken: Buffer.from(String(start + size)).toString("base64url") } : {}) });
  }
  const identity = /^\/v2\/email\/identities\/([^/]+)$/.exec(path);
  if (method === "GET" && identity) {
    const name = decodeURIComponent(identity[1]!);
    if (!identities.has(name)) throw new SesError("NotFoundException", `Email identity ${name} does not exist.`, 404);
    const summary = identityOf(name);
    return json({ IdentityType: summary.IdentityType, FeedbackForwardingStatus: true, VerifiedForSendingStatus: true, VerificationStatus: "SUCCESS", Policies: {}, Tags: [] });
  }
  if (path === "/v2/email/templates" || path.startsWith("/v2/email/templates/")) return { kind: "forward" };
  throw new SesError(
    "UnknownOperationException",
    `${method} ${path} is not emulated by the local SES. Identities are declared in stacks/stages.ts (emailFrom, emailIdentity); see the README's local differences.`,
    404,
  );
}
