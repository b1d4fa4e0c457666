/** The gateway's IAM decisions: who is who by access key, what is recorded, what is refused and how. */
import { describe, expect, it } from "vitest";
import { ADMIN_CREDENTIALS, functionCredentials } from "../function-credentials.ts";
import { LocalIam, type Principal } from "./enforcer.ts";
import type { AwsRequest, RequestContext } from "./requests.ts";

const LOYALTY = "arn:aws:dynamodb:us-east-1:000000000000:table/paybus-loyalty";
const principal: Principal = {
  functionName: "paybus-loyalty",
  logicalName: "LoyaltyConsumer",
  roleName: "paybus-LoyaltyConsumerRole",
  statements: [{ actions: ["dynamodb:GetItem"], resources: [LOYALTY], conditions: [{ test: "ForAllValues:StringLike", variable: "dynamodb:LeadingKeys", values: ["CUSTOMER#*"] }] }],
};
const context: RequestContext = { region: "us-east-1", accountId: "000000000000", partitionKeyOf: () => "pk" };
const key = functionCredentials("paybus-loyalty").accessKeyId;
const authorization = (accessKeyId: string, service = "dynamodb") =>
  `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20261205/us-east-1/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=${"0".repeat(64)}`;

function getItem(table: string, pk: string, accessKeyId: string | undefined): AwsRequest & { authorization: string | undefined } {
  return {
    service: "dynamodb",
    protocol: "json",
    target: "DynamoDB_20120810.GetItem",
    method: "POST",
    url: new URL("http://127.0.0.1/"),
    body: Buffer.from(JSON.stringify({ TableName: table, Key: { pk: { S: pk } } })),
    authorization: accessKeyId === undefined ? undefined : authorization(accessKeyId),
  };
}

function iam(enabled = true): LocalIam {
  const local = new LocalIam({ enabled });
  local.configure(new Map([[key, principal]]), context);
  return local;
}

describe("LocalIam", () => {
  it("lets a function do what its statements allow, and records it", () => {
    const local = iam();
    expect(local.authorize(getItem("paybus-loyalty", "CUSTOMER#1", key))).toBeUndefined();
    expect(local.decisions).toEqual([
      expect.objectContaining({ caller: "paybus-loyalty", action: "dynamodb:GetItem", resource: LOYALTY, allowed: true, enforced: true, context: { "dynamodb:LeadingKeys": ["CUSTOMER#1"] } }),
    ]);
  });

  it("refuses another table with DynamoDB's AccessDeniedException (400) and AWS's message", () => {
    const refusal = iam().authorize(getItem("paybus-profiles", "cus_1", key));
    expect(refusal).toMatchObject({ status: 400, code: "AccessDeniedException", type: "com.amazon.coral.service#AccessDeniedException" });
    expect(refusal!.message).toBe(
      "User: arn:aws:sts::000000000000:assumed-role/paybus-LoyaltyConsumerRole/paybus-loyalty is not authorized to perform: dynamodb:GetItem " +
        "on resource: arn:aws:dynamodb:us-east-1:000000000000:table/paybus-profiles because no identity-based policy allows the dynamodb:GetItem action",
    );
  });

  it("refuses a partition key outside the grant's LeadingKeys", () => {
    expect(iam().authorize(getItem("paybus-loyalty", "ENGAGEMENT#1", key))?.code).toBe("AccessDeniedException");
  });

  it("refuses an unknown key as AWS does (UnrecognizedClientException on JSON, InvalidClientTokenId on query)", () => {
    const local = iam();
    expect(local.authorize(getItem("paybus-loyalty", "CUSTOMER#1", "ASIAINVENTEDKEY00001"))).toMatchObject({ status: 400, code: "UnrecognizedClientException" });
    const ses = { service: "ses", protocol: "query", method: "POST", url: new URL("http://127.0.0.1/"), body: Buffer.from("Action=SendEmail"), authorization: authorization("AKIAINVENTED", "ses") } as const;
    expect(local.authorize(ses)).toMatchObject({ status: 403, code: "InvalidClientTokenId" });
    expect(local.decisions.map((decision) => [decision.caller, decision.allowed])).toEqual([
      ["unknown", false],
      ["unknown", false],
    ]);
  });

  it("lets the administrator key do everything and unsigned requests through (raw HTTP from tests and tools)", () => {
    const local = iam();
    expect(local.authorize(getItem("paybus-profiles", "cus_1", ADMIN_CREDENTIALS.accessKeyId))).toBeUndefined();
    expect(local.authorize(getItem("paybus-profiles", "cus_1", undefined))).toBeUndefined();
    expect(local.decisions).toEqual([expect.objectContaining({ caller: "admin", action: "dynamodb:GetItem", allowed: true })]);
  });

  it("answers SNS with AuthorizationError and SES with AccessDenied, both 403", () => {
    const local = iam();
    const request = (service: "sns" | "ses", form: string) => ({ service, protocol: "query" as const, method: "POST", url: new URL("http://127.0.0.1/"), body: Buffer.from(form), authorization: authorization(key, service) });
    expect(local.authorize(request("sns", "Action=Publish&TargetArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3Aendpoint%2FGCM%2Fapp%2F1"))).toMatchObject({ status: 403, code: "AuthorizationError" });
    expect(local.authorize(request("ses", "Action=SendEmail&Source=billing%40example.com"))).toMatchObject({ status: 403, code: "AccessDenied" });
  });

  it("with enforcement off, records what would be denied and lets it through", () => {
    const local = iam(false);
    expect(local.authorize(getItem("paybus-profiles", "cus_1", key))).toBeUndefined();
    expect(local.authorize(getItem("paybus-profiles", "cus_1", "ASIAINVENTEDKEY00001"))).toBeUndefined();
    expect(local.decisions.map((decision) => [decision.caller, decision.allowed, decision.enforced])).toEqual([
      ["paybus-loyalty", false, false],
      ["unknown", false, false],
    ]);
  });

  it("tells once per caller, action and resource what it denied", () => {
    const told: string[] = [];
    const local = new LocalIam({ onDenied: (message) => told.push(message) });
    local.configure(new Map([[key, principal]]), context);
    local.authorize(getItem("paybus-profiles", "cus_1", key));
    local.authorize(getItem("paybus-profiles", "cus_2", key));
    local.authorize(getItem("paybus-loyalty", "CUSTOMER#1", key));

    expect(told).toEqual([
      "IAM: denied: paybus-loyalty (LoyaltyConsumer) dynamodb:GetItem on arn:aws:dynamodb:us-east-1:000000000000:table/paybus-profiles: not granted by its declared access (declarations/rules.ts, workflows/)",
    ]);
  });

  it("keeps only the most recent decisions", () => {
    const local = new LocalIam({ maxDecisions: 3 });
    local.configure(new Map([[key, principal]]), context);
    for (let i = 0; i < 10; i++) local.authorize(getItem("paybus-loyalty", `CUSTOMER#${i}`, key));
    expect(local.decisions.length).toBeGreaterThanOrEqual(3);
    expect(local.decisions.length).toBeLessThan(10);
    expect(local.decisions.at(-1)?.resource).toBe(LOYALTY);
  });

  it("evaluates a repeated authorization once, still records every request, and forgets its decisions when reconfigured", () => {
    const local = iam();
    expect(local.authorize(getItem("paybus-loyalty", "CUSTOMER#1", key))).toBeUndefined();
    expect(local.authorize(getItem("paybus-loyalty", "CUSTOMER#1", key))).toBeUndefined();
    // Another partition key is another context: decided on its own, and denied.
    expect(local.authorize(getItem("paybus-loyalty", "ENGAGEMENT#1", key))?.code).toBe("AccessDeniedException");
    expect(local.authorize(getItem("paybus-loyalty", "ENGAGEMENT#1", key))?.code).toBe("AccessDeniedException");
    expect(local.cacheHits).toBe(2);
    expect(local.decisions.map((decision) => [decision.context?.["dynamodb:LeadingKeys"], decision.allowed])).toEqual([
      [["CUSTOMER#1"], true],
      [["CUSTOMER#1"], true],
      [["ENGAGEMENT#1"], false],
      [["ENGAGEMENT#1"], false],
    ]);

    // New statements (no LeadingKeys condition) apply to the very next request.
    local.configure(new Map([[key, { ...principal, statements: [{ actions: ["dynamodb:GetItem"], resources: [LOYALTY] }] }]]), context);
    expect(local.authorize(getItem("paybus-loyalty", "ENGAGEMENT#1", key))).toBeUndefined();
    expect(local.decisions.at(-1)).toMatchObject({ allowed: true, context: { "dynamodb:LeadingKeys": ["ENGAGEMENT#1"] } });
  });
});
