/**
 * PII redaction for logs: emails and people's names never reach a log line in clear.
 */

const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;

/** Keys whose values are personal data wherever they appear in a logged object. */
const PII_KEYS = new Set([
  "email", "customer_email", "receipt_email", "name", "customer_name", "firstName", "lastName", "phone",
  "customer_phone", "address", "customer_address", "shipping", "customer_shipping", "billing_details",
]);

/** `jenny.rosen@example.com` -> `j***@example.com`; keeps the domain for troubleshooting. */
export function redactEmail(value: string): string {
  return value.replace(EMAIL, "$1***@$2");
}

/** A deep copy of `value` with PII keys masked and email addresses redacted in every string. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redactEmail(value);
  if (depth > 12 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  if (value instanceof Error) {
    return { name: value.name, message: redactEmail(value.message), stack: value.stack && redactEmail(value.stack) };
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = PII_KEYS.has(key) && item !== null && item !== undefined ? "[redacted]" : redact(item, depth + 1);
  }
  return out;
}
