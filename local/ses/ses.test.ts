/**
 * The local SES against the real `@aws-sdk/client-ses` and `@aws-sdk/client-sesv2`, written from the
 * SES developer guide (verified identities, the sandbox, the mailbox simulator) and API references
 * (SendEmail, SendRawEmail, MessageTag, ListIdentities, GetIdentityVerificationAttributes,
 * GetSendQuota; SESv2 SendEmail, GetAccount, ListEmailIdentities, CreateEmailTemplate,
 * GetEmailTemplate), and SES's recorded error texts.
 */
import {
  GetIdentityVerificationAttributesCommand,
  GetSendQuotaCommand,
  ListIdentitiesCommand,
  SendEmailCommand,
  SendRawEmailCommand,
  SESClient,
  VerifyEmailIdentityCommand,
  CreateReceiptRuleSetCommand,
} from "@aws-sdk/client-ses";
import {
  CreateEmailIdentityCommand,
  CreateEmailTemplateCommand,
  GetAccountCommand,
  GetEmailIdentityCommand,
  GetEmailTemplateCommand,
  ListEmailIdentitiesCommand,
  SendEmailCommand as SendEmailV2Command,
  SESv2Client,
} from "@aws-sdk/client-sesv2";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { causeTags } from "../../functions/common/send-tags.ts";
import { CollectedAnswer } from "../answer-sink.ts";
import { Journal } from "../journal.ts";
import { declaredEmailIdentities, identityWarnings, LocalSes } from "../ses.ts";
import { ADMIN_CREDENTIALS } from "../function-credentials.ts";

const credentials = ADMIN_CREDENTIALS;
const engines: LocalSes[] = [];

async function start(options: ConstructorParameters<typeof LocalSes>[0]) {
  const ses = new LocalSes(options);
  await ses.start();
  engines.push(ses);
  return {
    ses,
    v1: new SESClient({ endpoint: ses.endpoint, region: "us-east-1", credentials, maxAttempts: 1 }),
    v2: new SESv2Client({ endpoint: ses.endpoint, region: "us-east-1", credentials, maxAttempts: 1 }),
  };
}

let production: Awaited<ReturnType<typeof start>>;
let sandbox: Awaited<ReturnType<typeof start>>;

beforeAll(async () => {
  production = await start({ identities: ["shop.example.net", "alerts@other.example.org"] });
  sandbox = await start({ identities: ["shop.example.net", "tester@mail.example.org"], sandbox: true });
});

afterAll(async () => {
  await Promise.all(engines.map((engine) => engine.stop()));
});

async function failure(promise: Promise<unknown>): Promise<{ name: string; message: string; status: number | undefined }> {
  try {
    await promise;
  } catch (error) {
    const e = error as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error("the command succeeded");
}

const message = { Subject: { Data: "Receipt" }, Body: { Text: { Data: "Thanks" } } };
const send = (client: SESClient, Source: string, to: string[], extra: Partial<ConstructorParameters<typeof SendEmailCommand>[0]> = {}) =>
  client.send(new SendEmailCommand({ Source, Destination: { ToAddresses: to }, Message: message, ...extra }));

describe("verified identities (SES v1)", () => {
  it("sends from an address at a verified domain, or at one of its subdomains, and keeps the email", async () => {
    const { MessageId } = await send(production.v1, "Billing <billing@shop.example.net>", ["anyone@customer.example"]);
    await send(production.v1, "news@eu.shop.example.net", ["anyone@customer.example"]);

    expect(MessageId).toBeTruthy();
    expect((await production.ses.emails()).map((email) => email.from)).toEqual(expect.arrayContaining(["Billing <billing@shop.example.net>", "news@eu.shop.example.net"]));
  });

  it("refuses an unverified sender with MessageRejected, worded as SES words it", async () => {
    const error = await failure(send(production.v1, "billing@example.com", ["anyone@customer.example"]));

    expect(error).toEqual({
      name: "MessageRejected",
      message: "Email address is not verified. The following identities failed the check in region US-EAST-1: billing@example.com",
      status: 400,
    });
  });

  it("checks the return path and the raw message's From as senders too", async () => {
    const returnPath = await failure(send(production.v1, "billing@shop.example.net", ["a@customer.example"], { ReturnPath: "bounces@elsewhere.example" }));
    const raw = Buffer.from("From: someone@elsewhere.example\r\nTo: a@customer.example\r\nSubject: Hi\r\n\r\nBody");
    const rawError = await failure(production.v1.send(new SendRawEmailCommand({ RawMessage: { Data: raw } })));

    expect(returnPath.message).toBe("Email address is not verified. The following identities failed the check in region US-EAST-1: bounces@elsewhere.example");
    expect(rawError.name).toBe("MessageRejected");
    expect(rawError.message).toContain("someone@elsewhere.example");
  });

  it("validates message tags: ASCII letters, digits, '_' and '-', 256 characters at most", async () => {
    const badName = await failure(send(production.v1, "billing@shop.example.net", ["a@customer.example"], { Tags: [{ Name: "event:id", Value: "abc" }] }));
    const badValue = await failure(send(production.v1, "billing@shop.example.net", ["a@customer.example"], { Tags: [{ Name: "campaign", Value: "spring sale" }] }));
    const tooLong = await failure(send(production.v1, "billing@shop.example.net", ["a@customer.example"], { Tags: [{ Name: "n".repeat(257), Value: "v" }] }));
    const fine = await send(production.v1, "billing@shop.example.net", ["a@customer.example"], { Tags: [{ Name: "campaign_2026-spring", Value: "A-b_9" }] });

    expect(badName).toEqual({ name: "InvalidParameterValue", message: "Invalid tag name <event:id>: only alphanumeric ASCII characters, '_', and '-' are allowed.", status: 400 });
    expect(badValue).toEqual({ name: "InvalidParameterValue", message: "Invalid tag value <spring sale>: only alphanumeric ASCII characters, '_', and '-' are allowed.", status: 400 });
    expect(tooLong.name).toBe("InvalidParameterValue");
    const crowd = Array.from({ length: 51 }, (_, i) => `c${i}@customer.example`);
    expect(await failure(send(production.v1, "billing@shop.example.net", crowd))).toEqual({ name: "InvalidParameterValue", message: "Recipient count exceeds 50.", status: 400 });
    expect(fine.MessageId).toBeTruthy();
  });
});

describe("the sandbox", () => {
  it("refuses unverified recipients, naming each, and accepts verified ones and the mailbox simulator", async () => {
    const refused = await failure(send(sandbox.v1, "billing@shop.example.net", ["tester@mail.example.org", "jenny@customer.example", "sam@customer.example"]));
    const accepted = await send(sandbox.v1, "billing@shop.example.net", ["tester@mail.example.org", "success@simulator.amazonses.com"]);

    expect(refused).toEqual({
      name: "MessageRejected",
      message: "Email address is not verified. The following identities failed the check in region US-EAST-1: jenny@customer.example, sam@customer.example",
      status: 400,
    });
    expect(accepted.MessageId).toBeTruthy();
  });

  it("lists the sender first when both the sender and a recipient fail", async () => {
    const error = await failure(send(sandbox.v1, "nobody@elsewhere.example", ["jenny@customer.example"]));

    expect(error.message).toBe("Email address is not verified. The following identities failed the check in region US-EAST-1: nobody@elsewhere.example, jenny@customer.example");
  });

  it("reports the sandbox quota (200 a day, 1 a second) and production access in GetAccount", async () => {
    const quota = await sandbox.v1.send(new GetSendQuotaCommand({}));
    const account = await sandbox.v2.send(new GetAccountCommand({}));
    const productionAccount = await production.v2.send(new GetAccountCommand({}));

    expect(quota).toMatchObject({ Max24HourSend: 200, MaxSendRate: 1 });
    expect(quota.SentLast24Hours).toBeGreaterThanOrEqual(1);
    expect(account).toMatchObject({ ProductionAccessEnabled: false, SendingEnabled: true, SendQuota: { Max24HourSend: 200, MaxSendRate: 1 } });
    expect(productionAccount.ProductionAccessEnabled).toBe(true);
  });
});

describe("read operations", () => {
  it("lists identities by type, with paging", async () => {
    const all = await production.v1.send(new ListIdentitiesCommand({}));
    const domains = await production.v1.send(new ListIdentitiesCommand({ IdentityType: "Domain" }));
    const first = await production.v1.send(new ListIdentitiesCommand({ MaxItems: 1 }));
    const second = await production.v1.send(new ListIdentitiesCommand({ MaxItems: 1, NextToken: first.NextToken }));

    expect(all.Identities).toEqual(["shop.example.net", "alerts@other.example.org"]);
    expect(domains.Identities).toEqual(["shop.example.net"]);
    expect([...first.Identities!, ...second.Identities!]).toEqual(all.Identities);
    expect(second.NextToken).toBeUndefined();
  });

  it("answers verification attributes for the account's identities and leaves others out", async () => {
    const { VerificationAttributes } = await production.v1.send(
      new GetIdentityVerificationAttributesCommand({ Identities: ["shop.example.net", "alerts@other.example.org", "stranger@nowhere.example"] }),
    );

    expect(Object.keys(VerificationAttributes ?? {})).toEqual(["shop.example.net", "alerts@other.example.org"]);
    expect(VerificationAttributes?.["shop.example.net"]?.VerificationStatus).toBe("Success");
    expect(VerificationAttributes?.["shop.example.net"]?.VerificationToken).toBeTruthy();
    expect(VerificationAttributes?.["alerts@other.example.org"]).toEqual({ VerificationStatus: "Success" });
  });

  it("lists and gets SESv2 email identities; an unknown one is NotFound", async () => {
    const { EmailIdentities } = await production.v2.send(new ListEmailIdentitiesCommand({}));
    const domain = await production.v2.send(new GetEmailIdentityCommand({ EmailIdentity: "shop.example.net" }));
    const missing = await failure(production.v2.send(new GetEmailIdentityCommand({ EmailIdentity: "nowhere.example" })));

    expect(EmailIdentities).toEqual([
      { IdentityType: "DOMAIN", IdentityName: "shop.example.net", SendingEnabled: true, VerificationStatus: "SUCCESS" },
      { IdentityType: "EMAIL_ADDRESS", IdentityName: "alerts@other.example.org", SendingEnabled: true, VerificationStatus: "SUCCESS" },
    ]);
    expect(domain).toMatchObject({ IdentityType: "DOMAIN", VerifiedForSendingStatus: true, VerificationStatus: "SUCCESS" });
    expect(missing).toMatchObject({ name: "NotFoundException", status: 404 });
  });
});

describe("SES v2 sends", () => {
  const v2Send = (client: SESv2Client, from: string, to: string[], tags?: Array<{ Name: string; Value: string }>) =>
    client.send(new SendEmailV2Command({ FromEmailAddress: from, Destination: { ToAddresses: to }, Content: { Simple: { Subject: { Data: "Hi" }, Body: { Text: { Data: "Body" } } } }, ...(tags ? { EmailTags: tags } : {}) }));

  it("sends from a verified identity and refuses an unverified one with MessageRejected", async () => {
    const ok = await v2Send(production.v2, "alerts@other.example.org", ["a@customer.example"]);
    const refused = await failure(v2Send(production.v2, "rewards@example.com", ["a@customer.example"]));

    expect(ok.MessageId).toBeTruthy();
    expect(refused).toEqual({
      name: "MessageRejected",
      message: "Email address is not verified. The following identities failed the check in region US-EAST-1: rewards@example.com",
      status: 400,
    });
  });

  it("refuses unverified recipients in the sandbox and invalid email tags", async () => {
    const recipient = await failure(v2Send(sandbox.v2, "billing@shop.example.net", ["jenny@customer.example"]));
    const tag = await failure(v2Send(production.v2, "billing@shop.example.net", ["a@customer.example"], [{ Name: "order", Value: "ORD/1" }]));

    expect(recipient.message).toBe("Email address is not verified. The following identities failed the check in region US-EAST-1: jenny@customer.example");
    expect(tag).toMatchObject({ name: "BadRequestException", message: "Invalid tag value <ORD/1>: only alphanumeric ASCII characters, '_', and '-' are allowed." });
  });
});

describe("SES v2 templates (passed on to aws-ses-v2-local's server, started by the first of them)", () => {
  it("creates and gets a template, sends with it, and answers NotFoundException for an unknown one", async () => {
    const TemplateName = `receipt-${Date.now()}`;
    await production.v2.send(new CreateEmailTemplateCommand({ TemplateName, TemplateContent: { Subject: "Receipt {{number}}", Text: "Paid {{amount}}" } }));

    const got = await production.v2.send(new GetEmailTemplateCommand({ TemplateName }));
    const sent = await production.v2.send(
      new SendEmailV2Command({
        FromEmailAddress: "billing@shop.example.net",
        Destination: { ToAddresses: ["templated@customer.example"] },
        Content: { Template: { TemplateName, TemplateData: JSON.stringify({ number: "INV-7", amount: "$12.00" }) } },
      }),
    );
    const unknown = await failure(production.v2.send(new GetEmailTemplateCommand({ TemplateName: `${TemplateName}-missing` })));

    expect(got).toMatchObject({ TemplateName, TemplateContent: { Subject: "Receipt {{number}}", Text: "Paid {{amount}}" } });
    expect(sent.MessageId).toBeTruthy();
    const email = (await production.ses.emails()).find((e) => e.messageId === sent.MessageId);
    expect(email).toMatchObject({ subject: "Receipt INV-7", body: { text: "Paid $12.00" } });
    expect(unknown).toMatchObject({ name: "NotFoundException", status: 404 });
  });
  it("answers a template request that arrives as it stops with an error, and starts no server nothing would close", async () => {
    const ses = new LocalSes({ identities: ["shop.example.net"] });
    await ses.start();
    await ses.stop();
    const answer = new CollectedAnswer();

    // Arrange / Act: the gateway hands a request over in process, so one can still arrive after stop.
    await ses.answer({ method: "GET", url: "/v2/email/templates", headers: {} }, new URL("http://local/v2/email/templates"), Buffer.alloc(0), answer);

    expect(answer.statusCode).toBe(500);
    expect((ses as unknown as { upstream?: unknown }).upstream).toBeUndefined();
  });
});

describe("operations the local SES does not emulate", () => {
  it("answers them at once with an AWS-shaped error instead of hanging", async () => {
    const v1Verify = await failure(production.v1.send(new VerifyEmailIdentityCommand({ EmailAddress: "me@shop.example.net" })));
    const v1Receipt = await failure(production.v1.send(new CreateReceiptRuleSetCommand({ RuleSetName: "r" })));
    const v2Create = await failure(production.v2.send(new CreateEmailIdentityCommand({ EmailIdentity: "me@shop.example.net" })));

    expect(v1Verify).toMatchObject({ name: "InvalidAction", status: 400 });
    expect(v1Verify.message).toContain("stacks/stages.ts");
    expect(v1Receipt).toMatchObject({ name: "InvalidAction", status: 400 });
    expect(v2Create).toMatchObject({ name: "UnknownOperationException", status: 404 });
  });
});

describe("the one declaration of identities", () => {
  it("comes from stacks/stages.ts, covers paybus's default senders, and is flagged as unverifiable in AWS", async () => {
    const declared = declaredEmailIdentities();
    const local = await start({});

    expect(declared).toEqual(["example.com"]);
    expect(local.ses.identities.isVerified("billing@example.com")).toBe(true);
    expect(local.ses.identities.isVerified("rewards@example.com")).toBe(true);
    await expect(send(local.v1, "rewards@example.com", ["jenny.rosen@example.com"])).resolves.toMatchObject({ MessageId: expect.any(String) });
    const warnings = identityWarnings(declared);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('"example.com"');
    expect(warnings[0]).toContain("docs/deploy.md");
    expect(identityWarnings(["mail.shop.io"], "production")).toEqual([
      'SES: "mail.shop.io" (stacks/stages.ts, stage "production") is treated as verified here; in AWS it sends only once verified (its DKIM records published, or the link in AWS\'s email opened): docs/deploy.md, "SES identities and the sandbox".',
    ]);
  });
});

describe("the journal's record of each send", () => {
  it("records SES's message id and the cause the sender tagged, for v1 and v2 sends, and no cause for an untagged send", async () => {
    const journal = new Journal();
    const { v1, v2 } = await start({ identities: ["shop.example.net"], journal });

    const tagged = await send(v1, "billing@shop.example.net", ["jenny@example.com"], { Tags: causeTags({ stripeEventId: "evt_1Paid" }) });
    const untagged = await send(v1, "billing@shop.example.net", ["jenny@example.com"]);
    const viaV2 = await v2.send(
      new SendEmailV2Command({
        FromEmailAddress: "hello@shop.example.net",
        Destination: { ToAddresses: ["alex@example.com"] },
        Content: { Simple: { Subject: { Data: "Welcome" }, Body: { Text: { Data: "Hi" } } } },
        EmailTags: causeTags({ executionName: "purchase-pi_123" }),
      }),
    );

    const sends = journal.list("effect.email").map(({ messageId, cause, subject }) => ({ messageId, cause, subject }));
    expect(sends).toEqual([
      { messageId: tagged.MessageId, cause: { stripeEventId: "evt_1Paid", executionName: undefined }, subject: "Receipt" },
      { messageId: untagged.MessageId, cause: undefined, subject: "Receipt" },
      { messageId: viaV2.MessageId, cause: { stripeEventId: undefined, executionName: "purchase-pi_123" }, subject: "Welcome" },
    ]);
    expect(new Set(sends.map((s) => s.messageId)).size).toBe(3);
    expect(tagged.MessageId).toMatch(/\S/);
  });

  it("stores every kind of send (v1 and v2, simple and raw) in the outbox before answering, and answers in SES's content types", async () => {
    const stateFile = join(mkdtempSync(join(tmpdir(), "paybus-ses-")), "outbox.jsonl");
    const { ses, v1, v2 } = await start({ identities: ["shop.example.net"], stateFile });
    const raw = (subject: string) =>
      Buffer.from(`From: billing@shop.example.net\r\nTo: kim@example.com\r\nSubject: ${subject}\r\nContent-Type: text/plain\r\n\r\nRaw body\r\n`);
    const simpleV1 = await send(v1, "billing@shop.example.net", ["jenny@example.com"]);
    const rawV1 = await v1.send(new SendRawEmailCommand({ RawMessage: { Data: raw("Raw v1") } }));
    const simpleV2 = await v2.send(new SendEmailV2Command({ FromEmailAddress: "hello@shop.example.net", Destination: { ToAddresses: ["alex@example.com"] }, Content: { Simple: { Subject: { Data: "Welcome" }, Body: { Html: { Data: "<p>Hi</p>" } } } } }));
    const rawV2 = await v2.send(new SendEmailV2Command({ Content: { Raw: { Data: raw("Raw v2") } } }));
    // SES answers the query protocol in XML and v2 in JSON (aws-ses-v2-local's server said text/html for XML).
    const form = new URLSearchParams({ Action: "SendEmail", Source: "billing@shop.example.net", "Destination.ToAddresses.member.1": "lee@example.com", "Message.Subject.Data": "Plain", "Message.Body.Text.Data": "Hello" });
    const authorization = "AWS4-HMAC-SHA256 Credential=local/20261206/us-east-1/ses/aws4_request, SignedHeaders=host, Signature=0";
    const xml = await fetch(ses.endpoint, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", authorization }, body: form });
    const json = await fetch(`${ses.endpoint}/v2/email/outbound-emails`, { method: "POST", headers: { "content-type": "application/json", authorization }, body: JSON.stringify({ FromEmailAddress: "hello@shop.example.net", Destination: { ToAddresses: ["lee@example.com"] }, Content: { Simple: { Subject: { Data: "Plain v2" }, Body: { Text: { Data: "Hello" } } } } }) });

    expect([xml.status, xml.headers.get("content-type"), await xml.text()]).toEqual([200, "text/xml", expect.stringMatching(/^<\?xml .*<MessageId>ses-\d+<\/MessageId>/)]);
    expect([json.status, json.headers.get("content-type"), await json.json()]).toEqual([200, "application/json", { MessageId: expect.stringMatching(/^ses-\d+$/) }]);
    const ids = [simpleV1, rawV1, simpleV2, rawV2].map((answer) => answer.MessageId);
    const stored = (await ses.emails()).filter((email) => ids.includes(email.messageId));
    expect(stored.map((email) => [email.messageId, email.from, email.destination.to, email.subject, email.body])).toEqual([
      [ids[0], "billing@shop.example.net", ["jenny@example.com"], "Receipt", { text: "Thanks" }],
      [ids[1], "billing@shop.example.net", ["kim@example.com"], "Raw v1", { text: "Raw body\n" }],
      [ids[2], "hello@shop.example.net", ["alex@example.com"], "Welcome", { html: "<p>Hi</p>" }],
      [ids[3], "billing@shop.example.net", ["kim@example.com"], "Raw v2", { text: "Raw body\n" }],
    ]);
    // Each was in the outbox file before its answer: a restart finds all six.
    const outbox = new LocalSes({ identities: ["shop.example.net"], stateFile });
    const saved = (await outbox.emails()).map((email) => email.subject);
    expect(saved).toEqual(expect.arrayContaining(["Receipt", "Raw v1", "Welcome", "Raw v2", "Plain", "Plain v2"]));
  });

  it("leaves out a cause SES would refuse as a tag value, so that the send still goes", () => {
    expect(causeTags({ stripeEventId: "evt_ok", executionName: "name with spaces" })).toEqual([{ Name: "paybus-stripe-event", Value: "evt_ok" }]);
    expect(causeTags({ stripeEventId: "x".repeat(257) })).toEqual([]);
  });
});
