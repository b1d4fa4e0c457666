/**
 * SES identities as the local SES checks them: verified email addresses and domains (a domain
 * verifies every address at it and at its subdomains), the sandbox rule that every recipient must be
 * verified too (the mailbox simulator excepted), and message-tag validation — with AWS's error codes
 * and texts ("Email address is not verified. The following identities failed the check in region
 * US-EAST-1: …", "Invalid tag name <…>: only alphanumeric ASCII characters, '_', and '-' are allowed.").
 */
import { AwsServiceError } from "../aws-error.ts";
import { identityCovers } from "../../stacks/stage-config.ts";

/** Why SES refuses a send, as its error code (`MessageRejected`, `InvalidParameterValue`…) and message. */
export class SesError extends AwsServiceError {}

/** Test inboxes of the SES mailbox simulator: allowed as recipients even in the sandbox. */
const SIMULATOR_DOMAIN = "simulator.amazonses.com";
/** Domains reserved for documentation and testing (RFC 2606, RFC 6761): nobody can verify them. */
const RESERVED = [/(^|\.)example\.(com|net|org)$/, /\.(example|test|invalid|localhost)$/, /^(example|test|invalid|localhost)$/];
const TAG = /^[A-Za-z0-9_-]+$/;
const TAG_MAX = 256;

/** The address in `"Name" <a@b>` (or the text itself). */
export function addressOf(text: string): string {
  const bracket = /<([^<>]*)>\s*$/.exec(text);
  return (bracket ? bracket[1]! : text).trim();
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf("@") + 1).toLowerCase();
}

/** True when nobody can verify `identity` in SES (it is, or is under, a reserved domain). */
export function isUnverifiable(identity: string): boolean {
  const domain = identity.includes("@") ? domainOf(identity) : identity.toLowerCase();
  return RESERVED.some((pattern) => pattern.test(domain));
}

/**
 * Validates message tags as SES does: names and values of ASCII letters, digits, `_` and `-`, 256
 * characters at most (names starting with `ses:` are SES's own, e.g. `ses:feedback-id-a`).
 *
 * @throws SesError `InvalidParameterValue` (SES v1) or `BadRequestException` (v2) naming the tag.
 */
export function checkTags(tags: ReadonlyArray<{ name: string | undefined; value: string | undefined }>, code = "InvalidParameterValue"): void {
  for (const { name, value } of tags) {
    if (name === undefined || name === "") throw new SesError(code, "Invalid tag name <>: the name must not be empty.");
    if (!name.startsWith("ses:")) {
      if (!TAG.test(name)) throw new SesError(code, `Invalid tag name <${name}>: only alphanumeric ASCII characters, '_', and '-' are allowed.`);
      if (name.length > TAG_MAX) throw new SesError(code, `Invalid tag name <${name}>: must be ${TAG_MAX} characters or fewer.`);
    }
    if (value === undefined) throw new SesError(code, `Invalid tag value <>: a value is required for tag <${name}>.`);
    if (!TAG.test(value) && !(name.startsWith("ses:") && value !== "")) {
      throw new SesError(code, `Invalid tag value <${value}>: only alphanumeric ASCII characters, '_', and '-' are allowed.`);
    }
    if (value.length > TAG_MAX) throw new SesError(code, `Invalid tag value <${value}>: must be ${TAG_MAX} characters or fewer.`);
  }
}

export interface SesIdentityOptions {
  /** Verified identities: email addresses and domains. */
  readonly identities: readonly string[];
  /** In the sandbox every recipient must be verified too. */
  readonly sandbox: boolean;
  readonly region: string;
}

/** The verified identities of one account and region, and the checks SES makes before sending. */
export class SesIdentities {
  readonly identities: readonly string[];

  constructor(private readonly options: SesIdentityOptions) {
    this.identities = [...new Set(options.identities.map((identity) => (identity.includes("@") ? identity : identity.toLowerCase())))];
  }

  get sandbox(): boolean {
    return this.options.sandbox;
  }

  /** True when `address` is a verified address, or at a verified domain or one of its subdomains. */
  isVerified(address: string): boolean {
    const email = addressOf(address);
    // The same rule the stage configuration applies to emailFrom: one notion of "covered".
    return this.identities.some((identity) => identityCovers(identity, email));
  }

  /**
   * Throws SES's `MessageRejected` when the sender (and the return path) is not verified or, in the
   * sandbox, a recipient is neither verified nor a mailbox-simulator address; lists every identity at fault.
   */
  checkSend(from: string | undefined, recipients: readonly string[], returnPath?: string): void {
    const failed: string[] = [];
    for (const sender of [from, returnPath]) {
      if (sender !== undefined && !this.isVerified(sender)) failed.push(addressOf(sender));
    }
    if (this.options.sandbox) {
      for (const recipient of recipients) {
        const address = addressOf(recipient);
        if (domainOf(address) !== SIMULATOR_DOMAIN && !this.isVerified(address)) failed.push(address);
      }
    }
    if (failed.length > 0) {
      throw new SesError(
        "MessageRejected",
        `Email address is not verified. The following identities failed the check in region ${this.options.region.toUpperCase()}: ${[...new Set(failed)].join(", ")}`,
      );
    }
  }

  /** Identities of one type (`EmailAddress` / `Domain`), or all. */
  list(type?: "EmailAddress" | "Domain"): string[] {
    return this.identities.filter((identity) => type === undefined || (type === "EmailAddress") === identity.includes("@"));
  }

  /** Whether `identity` is one of the account's identities (as SES lists them, not via its domain). */
  has(identity: string): boolean {
    const lower = identity.toLowerCase();
    return this.identities.some((candidate) => candidate.toLowerCase() === lower);
  }
}
