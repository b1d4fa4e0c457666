/**
 * IP addresses and CIDR blocks as event-ruler reads them (`CIDR.java`).
 *
 * An address is kept as the upper-case hex string of its bytes (8 digits for IPv4, 32 for IPv6),
 * so ranges compare as strings of equal length. Like Java's `InetAddress`, an IPv4-mapped IPv6
 * address (`::ffff:a00:1`) is read as the IPv4 address it maps.
 */

/** The regular expressions event-ruler uses to decide that a string "looks like" an address. */
const IPV4_SHAPE = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/;
const IPV6_SHAPE = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/;

/** An inclusive range of addresses of one family, as hex strings of equal length. */
export interface IpRange {
  readonly bottom: string;
  readonly top: string;
}

/** Thrown for a malformed `cidr` value; carries event-ruler's message. */
export class CidrError extends Error {
  override readonly name = "CidrError";
}

function toHex(bytes: readonly number[]): string {
  return bytes.map((byte) => byte.toString(16).padStart(2, "0")).join("").toUpperCase();
}

function parseIpv4(text: string): number[] | undefined {
  const parts = text.split(".");
  // Modern JDKs reject leading zeros as ambiguous (octal-looking) literals.
  if (parts.some((part) => part.length > 3 || (part.length > 1 && part.startsWith("0")))) return undefined;
  const bytes = parts.map(Number);
  return bytes.every((byte) => byte <= 255) ? bytes : undefined;
}

function parseGroups(text: string): number[] | undefined {
  if (text === "") return [];
  const groups = text.split(":");
  if (groups.some((group) => group.length === 0 || group.length > 4)) return undefined;
  return groups.map((group) => parseInt(group, 16));
}

function parseIpv6(text: string): number[] | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0] ?? "");
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? "") : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const bytes = groups.flatMap((group) => [group >> 8, group & 0xff]);
  const mapped = bytes.slice(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? bytes.slice(12) : bytes;
}

/** The bytes of an IPv4 or IPv6 literal, or `undefined` when the text is not one. */
function parseIp(text: string): number[] | undefined {
  if (IPV4_SHAPE.test(text)) return parseIpv4(text);
  if (IPV6_SHAPE.test(text)) return parseIpv6(text);
  return undefined;
}

/** The address as a hex string, or `undefined` when the text is not an IP literal. */
export function ipToHex(text: string): string | undefined {
  const bytes = parseIp(text);
  return bytes && toHex(bytes);
}

/** The single-address range an exact-match string denotes, when it is an IP literal. */
export function ipExactRange(text: string): IpRange | undefined {
  const hex = ipToHex(text);
  return hex === undefined ? undefined : { bottom: hex, top: hex };
}

export function ipInRange(hex: string, range: IpRange): boolean {
  return hex.length === range.bottom.length && hex >= range.bottom && hex <= range.top;
}

/**
 * The range of a `cidr` pattern: host bits of the address are ignored (`10.0.0.5/24` covers
 * 10.0.0.0 to 10.0.0.255), and, as in event-ruler, `/32` and `/128` are rejected.
 */
export function cidrRange(cidr: string): IpRange {
  // Java's String.split drops trailing empty strings: "10.0.0.0/" has one part.
  const parts = cidr.split("/");
  while (parts.length > 1 && parts.at(-1) === "") parts.pop();
  if (parts.length !== 2) throw new CidrError("Malformed CIDR, one '/' required");
  const [address = "", maskText = ""] = parts;
  if (!/^[+-]?\d+$/.test(maskText) || !Number.isSafeInteger(Number(maskText))) {
    throw new CidrError("Malformed CIDR, mask bits must be an integer");
  }
  const maskBits = Number(maskText);
  if (maskBits < 0) throw new CidrError("Malformed CIDR, mask bits must not be negative");
  const bytes = cidrAddress(address);
  const totalBits = bytes.length * 8;
  if (maskBits >= totalBits) {
    throw new CidrError(`IPv${bytes.length === 4 ? 4 : 6} mask bits must be < ${totalBits}`);
  }
  const hostMasks = bytes.map((_, index) => {
    const hostBits = Math.min(8, Math.max(0, totalBits - maskBits - (bytes.length - 1 - index) * 8));
    return (1 << hostBits) - 1;
  });
  return {
    bottom: toHex(bytes.map((byte, index) => byte & ~(hostMasks[index] as number))),
    top: toHex(bytes.map((byte, index) => byte | (hostMasks[index] as number))),
  };
}

function cidrAddress(address: string): number[] {
  const looksLikeIp = IPV4_SHAPE.test(address) || IPV6_SHAPE.test(address);
  if (!looksLikeIp) throw new CidrError(`Nonstandard IP address: ${address}`);
  const bytes = parseIp(address);
  if (!bytes) throw new CidrError(`Invalid IP address: ${address}`);
  return bytes;
}
