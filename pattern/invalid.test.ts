/**
 * Patterns EventBridge rejects, with the engine's reasons.
 */
import { describe, expect, it } from "vitest";
import { compilePattern, InvalidEventPatternError } from "./index.ts";

/** Arrange + act: the error compiling `pattern` raises (fails the test if it compiles). */
function rejection(pattern: unknown, options?: Parameters<typeof compilePattern>[1]): InvalidEventPatternError {
  try {
    compilePattern(typeof pattern === "string" ? pattern : JSON.stringify(pattern), options);
  } catch (error) {
    if (error instanceof InvalidEventPatternError) return error;
    throw error;
  }
  throw new Error(`pattern was accepted: ${JSON.stringify(pattern)}`);
}

describe("structure", () => {
  it.each([
    ["[1, 2, 3]", "Filter is not an object"],
    ["{}", "Empty objects are not allowed"],
    ['{"a": {}}', "Empty objects are not allowed"],
    ['{"a": []}', "Empty arrays are not allowed"],
    ['{"source": "aws.ec2"}', '"source" must be an object or an array'],
    ['{"a": [[1]]}', "Match value must be String, number, true, false, or null"],
    ['{"a": [{}]}', "Match expression name not found"],
    ['{"a": [{"NUMERIC": [">", 1]}]}', "Unrecognized match type NUMERIC"],
    ['{"a": [{"prefix": "x", "suffix": "y"}]}', "Only one key allowed in match expression"],
  ])("rejects %s", (pattern, reason) => {
    expect(rejection(pattern).message).toBe(reason);
  });

  it("gives the full AWS sentence too", () => {
    const error = rejection('{"a": []}');

    expect(error.awsMessage).toBe("Event pattern is not valid. Reason: Empty arrays are not allowed");
  });

  it("reports JSON syntax errors as Jackson words them", () => {
    const error = rejection('{"a": [{"anything-but": ["x", "y" "z"]}]}');

    expect(error.message).toBe(
      "Unexpected character ('\"' (code 34)): was expecting comma to separate Array entries",
    );
  });
});

describe("syntax", () => {
  it("quotes the pattern and the opening bracket's position for a mismatched close marker", () => {
    const pattern = '{"a": [ { "anything-but": { "equals-ignore-case": ["1", "2" } } ] }';

    const error = rejection(pattern);

    expect(error.message).toBe(
      `Unexpected close marker '}': expected ']' (for Array starting at [Source: (String)"${pattern}"; line: 1, column: 51])`,
    );
  });

  it("ignores anything after the pattern's closing brace, as event-ruler stops reading there", () => {
    expect(() => compilePattern('{"a": ["x"]} trailing')).not.toThrow();
  });
});

describe("operators", () => {
  it.each([
    ['{"a": [{"prefix": 3}]}', "prefix match pattern must be a string"],
    ['{"a": [{"suffix": ["x"]}]}', "suffix match pattern must be a string"],
    ['{"a": [{"equals-ignore-case": 5}]}', "equals-ignore-case match pattern must be a string"],
    ['{"a": [{"prefix": {"bogus": "x"}}]}', "Unsupported prefix pattern: bogus"],
    ['{"a": [{"wildcard": 5}]}', "wildcard match pattern must be a string"],
    ['{"a": [{"exists": "yes"}]}', "exists match pattern must be either true or false."],
    ['{"a": [{"anything-but": ["x", 1]}]}', "Inside anything but list, either all values are number or string, mixed type is not supported"],
    ['{"a": [{"anything-but": [null]}]}', "Inside anything but list, start|null|boolean is not supported."],
    ['{"a": [{"anything-but": {"prefix": ""}}]}', "Null prefix/suffix not allowed"],
    ['{"a": [{"anything-but": {"regex": "x"}}]}', "Unsupported anything-but pattern: regex"],
  ])("rejects %s", (pattern, reason) => {
    expect(rejection(pattern).message).toBe(reason);
  });

  it.each([
    ['{"a": [{"numeric": ["=", "5"]}]}', "Value of equals must be numeric"],
    ['{"a": [{"numeric": ["<>", 1]}]}', "Unrecognized numeric range operator: <>"],
    ['{"a": [{"numeric": [">", 5, "<", 1]}]}', "Bottom must be less than top"],
    ['{"a": [{"numeric": ["<", 1, ">", 0]}]}', "Too many elements in numeric expression"],
    ['{"a": [{"numeric": [">", 1, "<", 3, 4]}]}', "Too many terms in numeric range expression"],
    ['{"a": [{"numeric": ["<", 1E309]}]}', "Cannot compare number : 1E309"],
  ])("rejects numeric %s", (pattern, reason) => {
    expect(rejection(pattern).message).toBe(reason);
  });

  it.each([
    ['{"ip": [{"cidr": "10.0.0.0"}]}', "Malformed CIDR, one '/' required"],
    ['{"ip": [{"cidr": "10.0.0.0/x"}]}', "Malformed CIDR, mask bits must be an integer"],
    ['{"ip": [{"cidr": "10.0.0.0/32"}]}', "IPv4 mask bits must be < 32"],
    ['{"ip": [{"cidr": "::1/128"}]}', "IPv6 mask bits must be < 128"],
    ['{"ip": [{"cidr": "host/8"}]}', "Nonstandard IP address: host"],
  ])("rejects cidr %s", (pattern, reason) => {
    expect(rejection(pattern).message).toBe(reason);
  });

  it.each([
    ['{"a": [{"wildcard": "a**b"}]}', "Consecutive wildcard characters at pos 2"],
    ['{"a": [{"wildcard": "a\\\\nb"}]}', "Invalid escape character at pos 2"],
  ])("rejects wildcard %s", (pattern, reason) => {
    expect(rejection(pattern).message).toBe(reason);
  });

  it("rejects wildcards that are too complex, as EventBridge caps them", () => {
    const error = rejection({ a: [{ wildcard: "*a*a*a*a*a*" }] });

    expect(error.message).toBe(
      "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character",
    );
    expect(() => compilePattern(JSON.stringify({ a: [{ wildcard: "*a*a*" }] }))).not.toThrow();
  });

  it("reads $or as a field name when a branch uses a reserved word, then rejects its branches", () => {
    const error = rejection({ $or: [{ a: ["1"] }, { numeric: ["2"] }] });

    expect(error.message).toBe("Unrecognized match type a");
  });
});

describe("size", () => {
  const longPattern = JSON.stringify({ a: ["x".repeat(2100)] });

  it("rejects patterns over 2048 bytes by default", () => {
    expect(rejection(longPattern).message).toMatch(/over the limit of 2048/);
  });

  it("accepts a larger limit when configured", () => {
    expect(() => compilePattern(longPattern, { maxPatternBytes: 4096 })).not.toThrow();
  });
});
