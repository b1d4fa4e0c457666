/**
 * SNS mobile push resources as AWS keeps them: platform applications (validated like
 * `CreatePlatformApplication`), their endpoints (one per device token, `CreatePlatformEndpoint`
 * idempotent per token), with AWS's error codes and texts. The query-protocol server in `../sns.ts`
 * turns {@link SnsError}s into `<ErrorResponse>`s.
 *
 * Texts follow the SNS API reference and the answers recorded against AWS (e.g. "Invalid parameter:
 * Token Reason: Endpoint … already exists with the same Token, but different attributes.").
 */
import { AwsServiceError } from "../aws-error.ts";
import { randomUUID } from "node:crypto";

/** An SNS error as the query protocol returns it (`Code`, `Message`, HTTP status). */
export class SnsError extends AwsServiceError {}

/** The platforms `CreatePlatformApplication` accepts. */
export const PUSH_PLATFORMS = ["APNS", "APNS_SANDBOX", "GCM", "ADM", "BAIDU", "MPNS", "WNS"] as const;
export type PushPlatform = (typeof PUSH_PLATFORMS)[number];

const APPLICATION_NAME = /^[A-Za-z0-9._-]+$/;
/** Attributes an endpoint may carry (SetEndpointAttributes). */
const ENDPOINT_ATTRIBUTES = new Set(["CustomUserData", "Enabled", "Token"]);
const CUSTOM_USER_DATA_MAX_BYTES = 2048;
/** ListEndpointsByPlatformApplication pages hold up to 100 endpoints. */
export const ENDPOINTS_PAGE_SIZE = 100;

export interface PlatformApplication {
  readonly arn: string;
  readonly name: string;
  readonly platform: PushPlatform;
  /** What GetPlatformApplicationAttributes returns: never the credentials. */
  attributes: Record<string, string>;
}

export interface PlatformEndpoint {
  readonly arn: string;
  readonly applicationArn: string;
  /** `Token`, `Enabled` and, when set, `CustomUserData`. */
  attributes: Record<string, string>;
}

function missing(member: string): SnsError {
  return new SnsError("ValidationError", `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`);
}

function invalid(parameter: string, reason: string): SnsError {
  return new SnsError("InvalidParameter", `Invalid parameter: ${parameter} Reason: ${reason}`);
}

/** Why `attributes` cannot be an endpoint's (unknown name, `Enabled` not a boolean, user data too long). */
function checkEndpointAttributes(attributes: Record<string, string>): void {
  for (const [key, value] of Object.entries(attributes)) {
    if (!ENDPOINT_ATTRIBUTES.has(key)) throw invalid("Attributes", `Invalid attribute name: ${key}`);
    if (key === "Enabled" && value !== "true" && value !== "false") {
      throw invalid("Attributes", `Invalid value for attribute: Enabled: ${value} is not a valid boolean`);
    }
    if (key === "Token" && value === "") throw invalid("Attributes", "Invalid value for attribute: Token: cannot be empty");
    if (key === "CustomUserData" && Buffer.byteLength(value, "utf8") > CUSTOM_USER_DATA_MAX_BYTES) {
      throw invalid("Attributes", `Invalid value for attribute: CustomUserData: must be at most ${CUSTOM_USER_DATA_MAX_BYTES} bytes long in UTF-8 encoding`);
    }
  }
}

/** The credentials each platform needs (see CreatePlatformApplication). GCM has no principal. */
function checkCredentials(platform: PushPlatform, attributes: Record<string, string>): void {
  const credential = attributes.PlatformCredential;
  const principal = attributes.PlatformPrincipal;
  for (const [key, value] of [["PlatformCredential", credential], ["PlatformPrincipal", principal]] as const) {
    if (value === "") throw invalid("Attributes", `Invalid value for attribute: ${key}: cannot be empty`);
  }
  if (platform === "GCM") {
    if (credential === undefined) throw invalid("Attributes", "Invalid value for attribute: PlatformCredential: cannot be empty");
    return;
  }
  if (credential !== undefined && principal === undefined) throw invalid("Attributes", "PlatformCredential attribute provided without PlatformPrincipal");
  if (principal !== undefined && credential === undefined) throw invalid("Attributes", "PlatformPrincipal attribute provided without PlatformCredential");
  if (credential === undefined) throw invalid("Attributes", `Invalid value for attribute: PlatformCredential: cannot be empty (${platform} needs PlatformPrincipal and PlatformCredential)`);
}

/** Platform applications and endpoints of one account and region. */
export class PushRegistry {
  private readonly applications = new Map<string, PlatformApplication>();
  private readonly endpoints = new Map<string, PlatformEndpoint>();
  /** `<application ARN> <token>` → endpoint ARN: a token has one endpoint per application. */
  private readonly byToken = new Map<string, string>();

  constructor(
    private readonly region: string,
    private readonly accountId: string,
  ) {}

  /** Every application and endpoint, for the runtime to keep them across restarts. */
  snapshot(): { applications: PlatformApplication[]; endpoints: PlatformEndpoint[] } {
    return { applications: [...this.applications.values()], endpoints: [...this.endpoints.values()] };
  }

  /** Puts back what {@link snapshot} returned (at start-up, before any request). */
  restore(snapshot: { applications: readonly PlatformApplication[]; endpoints: readonly PlatformEndpoint[] }): void {
    for (const application of snapshot.applications) this.applications.set(application.arn, application);
    for (const endpoint of snapshot.endpoints) {
      this.endpoints.set(endpoint.arn, endpoint);
      if (endpoint.attributes.Token !== undefined) this.byToken.set(`${endpoint.applicationArn} ${endpoint.attributes.Token}`, endpoint.arn);
    }
  }

  applicationArn(platform: string, name: string): string {
    return `arn:aws:sns:${this.region}:${this.accountId}:app/${platform}/${name}`;
  }

  createApplication(name: string | undefined, platform: string | undefined, attributes: Record<string, string> | undefined): PlatformApplication {
    if (name === undefined) throw missing("name");
    if (platform === undefined) throw missing("platform");
    if (attributes === undefined) throw missing("attributes");
    if (name === "") throw invalid("", "cannot be empty");
    if (name.length > 256) throw invalid(name, "must be at most 256 characters long");
    if (!APPLICATION_NAME.test(name)) throw invalid(name, "must contain only characters 'a'-'z', 'A'-'Z', '0'-'9', '_', '-', and '.'");
    if (!(PUSH_PLATFORMS as readonly string[]).includes(platform)) throw invalid("Platform", `${platform} is not supported`);
    checkCredentials(platform as PushPlatform, attributes);
    const { PlatformCredential: _credential, PlatformPrincipal: _principal, ...rest } = attributes;
    const arn = this.applicationArn(platform, name);
    // Creating an application that exists updates it and answers its ARN, as AWS does.
    const application: PlatformApplication = { arn, name, platform: platform as PushPlatform, attributes: { Enabled: "true", ...rest } };
    this.applications.set(arn, application);
    return application;
  }

  application(arn: string | undefined): PlatformApplication {
    if (arn === undefined) throw missing("platformApplicationArn");
    const application = this.applications.get(arn);
    if (!application) throw new SnsError("NotFound", "PlatformApplication does not exist", 404);
    return application;
  }

  listApplications(): PlatformApplication[] {
    return [...this.applications.values()];
  }

  deleteApplication(arn: string | undefined): void {
    if (arn === undefined) throw missing("platformApplicationArn");
    this.applications.delete(arn);
    for (const endpoint of [...this.endpoints.values()]) if (endpoint.applicationArn === arn) this.deleteEndpoint(endpoint.arn);
  }

  /**
   * CreatePlatformEndpoint: idempotent per token within an application — the same token with the
   * same attributes answers the existing ARN, with other attributes an `InvalidParameter` naming it.
   */
  createEndpoint(
    applicationArn: string | undefined,
    token: string | undefined,
    customUserData: string | undefined,
    attributes: Record<string, string> = {},
    /** The ARN a new endpoint gets: one registered before a restart (the demo's devices); random otherwise. */
    knownArn?: string,
  ): PlatformEndpoint {
    if (token === undefined) throw missing("token");
    const application = this.application(applicationArn);
    if (token === "") throw invalid("Token", "cannot be empty");
    checkEndpointAttributes(attributes);
    const wanted: Record<string, string> = {
      Enabled: "true",
      ...(customUserData !== undefined ? { CustomUserData: customUserData } : {}),
      ...attributes,
      Token: token,
    };
    checkEndpointAttributes(wanted);
    const existing = this.findByToken(application.arn, token);
    if (existing) {
      if (sameAttributes(existing.attributes, wanted)) return existing;
      throw invalid("Token", `Endpoint ${existing.arn} already exists with the same Token, but different attributes.`);
    }
    const arn = knownArn ?? `arn:aws:sns:${this.region}:${this.accountId}:endpoint/${application.platform}/${application.name}/${randomUUID()}`;
    const endpoint: PlatformEndpoint = { arn, applicationArn: application.arn, attributes: wanted };
    this.endpoints.set(arn, endpoint);
    this.byToken.set(`${application.arn} ${token}`, arn);
    return endpoint;
  }

  /** The endpoint of `token` in an application, if one is registered. */
  findByToken(applicationArn: string, token: string): PlatformEndpoint | undefined {
    const arn = this.byToken.get(`${applicationArn} ${token}`);
    return arn === undefined ? undefined : this.endpoints.get(arn);
  }

  endpoint(arn: string | undefined): PlatformEndpoint {
    if (arn === undefined) throw missing("endpointArn");
    const endpoint = this.endpoints.get(arn);
    if (!endpoint) throw new SnsError("NotFound", "Endpoint does not exist", 404);
    return endpoint;
  }

  /** The endpoint a `Publish` targets, or undefined (AWS then answers `InvalidParameter`). */
  findEndpoint(arn: string): PlatformEndpoint | undefined {
    return this.endpoints.get(arn);
  }

  setEndpointAttributes(arn: string | undefined, attributes: Record<string, string> | undefined): void {
    if (attributes === undefined) throw missing("attributes");
    const endpoint = this.endpoint(arn);
    checkEndpointAttributes(attributes);
    const token = attributes.Token;
    if (token !== undefined && token !== endpoint.attributes.Token) {
      this.byToken.delete(`${endpoint.applicationArn} ${endpoint.attributes.Token}`);
      this.byToken.set(`${endpoint.applicationArn} ${token}`, endpoint.arn);
    }
    endpoint.attributes = { ...endpoint.attributes, ...attributes };
  }

  /** DeleteEndpoint is idempotent: deleting an endpoint that does not exist succeeds. */
  deleteEndpoint(arn: string | undefined): void {
    if (arn === undefined) throw missing("endpointArn");
    const endpoint = this.endpoints.get(arn);
    if (!endpoint) return;
    this.endpoints.delete(arn);
    if (this.byToken.get(`${endpoint.applicationArn} ${endpoint.attributes.Token}`) === arn) this.byToken.delete(`${endpoint.applicationArn} ${endpoint.attributes.Token}`);
  }

  /** One page of an application's endpoints; `nextToken` continues after the previous page. */
  listEndpoints(applicationArn: string | undefined, nextToken?: string): { endpoints: PlatformEndpoint[]; nextToken?: string } {
    const application = this.application(applicationArn);
    const all = [...this.endpoints.values()].filter((endpoint) => endpoint.applicationArn === application.arn);
    let start = 0;
    if (nextToken !== undefined) {
      const after = Buffer.from(nextToken, "base64url").toString("utf8");
      start = all.findIndex((endpoint) => endpoint.arn === after) + 1;
      if (start === 0) throw invalid("NextToken", "the token does not continue a listing of this application");
    }
    const page = all.slice(start, start + ENDPOINTS_PAGE_SIZE);
    const last = page.at(-1);
    return start + ENDPOINTS_PAGE_SIZE < all.length && last ? { endpoints: page, nextToken: Buffer.from(last.arn).toString("base64url") } : { endpoints: page };
  }
}

function sameAttributes(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((key) => a[key] === b[key]);
}
