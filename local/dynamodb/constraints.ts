/**
 * Request-shape checks reported the way DynamoDB reports them: every violated constraint is
 * collected, then a single `ValidationException` lists them all
 * ("2 validation errors detected: Value null at 'transactItems' failed to satisfy constraint: ...").
 */
import { SerializationError, ValidationError, type JsonObject } from "./errors.ts";

/** Allowed values of `ReturnValuesOnConditionCheckFailure`, on single writes and transaction items. */
export const RETURN_VALUES_ON_CONDITION_CHECK_FAILURE = ["ALL_OLD", "NONE"] as const;

/** A collector of constraint violations for one request. */
export class Constraints {
  readonly #violations: string[] = [];

  /** `value` must be present. */
  notNull(value: unknown, path: string): void {
    if (value === undefined || value === null) this.#violate(null, path, "Member must not be null");
  }

  /** A present `value` (string or array) must have a length within `[min, max]`. */
  length(value: string | readonly unknown[] | undefined, path: string, min: number, max: number): void {
    if (value === undefined) return;
    const shown = typeof value === "string" ? value : `[${value.length} items]`;
    if (value.length < min) this.#violate(shown, path, `Member must have length greater than or equal to ${min}`);
    if (value.length > max) this.#violate(shown, path, `Member must have length less than or equal to ${max}`);
  }

  /** A present `value` must be one of `allowed`. */
  oneOf(value: unknown, path: string, allowed: readonly string[]): void {
    if (value === undefined || (typeof value === "string" && allowed.includes(value))) return;
    this.#violate(String(value), path, `Member must satisfy enum value set: [${allowed.join(", ")}]`);
  }

  /** @throws ValidationError listing every violation, when there is any. */
  check(): void {
    const count = this.#violations.length;
    if (count === 0) return;
    throw new ValidationError(
      `${count} validation error${count > 1 ? "s" : ""} detected: ${this.#violations.join("; ")}`,
    );
  }

  #violate(value: string | null, path: string, constraint: string): void {
    const shown = value === null ? "null" : `'${value}'`;
    this.#violations.push(`Value ${shown} at '${path}' failed to satisfy constraint: ${constraint}`);
  }
}

/** A request member that must be a JSON object, when present. */
export function objectMember(value: unknown, name: string): JsonObject | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) throw new SerializationError(`${name} must be a structure`);
  return value as JsonObject;
}

/** `"TransactItems"` -> `"transactItems"`: DynamoDB names members this way in validation messages. */
export function memberPath(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}
