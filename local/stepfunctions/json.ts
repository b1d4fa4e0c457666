/** Parses JSON text, throwing `invalid()` (an API error naming the member) when it is not JSON. */
export function parseJson(text: string, invalid: () => Error): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw invalid();
  }
}

/**
 * The value as it comes out of a JSON round trip, which every payload crossing a Step Functions
 * boundary makes on AWS: `undefined` becomes `null`, Dates become strings, functions disappear.
 */
export function toJson(value: unknown): unknown {
  return value === undefined ? null : JSON.parse(JSON.stringify(value));
}
