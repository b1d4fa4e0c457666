/**
 * Errors the local DynamoDB endpoint returns to clients. Every one carries what the JSON wire
 * format needs (`__type`, message, status, extra members) so the AWS SDK rebuilds the same
 * exception class it would get from DynamoDB.
 */

/** A JSON object as it travels on the DynamoDB wire. */
export type JsonObject = Record<string, unknown>;

const DYNAMODB_NAMESPACE = "com.amazonaws.dynamodb.v20120810";
const VALIDATE_NAMESPACE = "com.amazon.coral.validate";

/** An error in DynamoDB's wire shape: `{ "__type": "<namespace>#<code>", "message": ..., ...fields }`. */
export class DynamoServiceError extends Error {
  override name = "DynamoServiceError";

  constructor(
    /** The exception name, e.g. `ConditionalCheckFailedException`. */
    readonly code: string,
    message: string,
    readonly status = 400,
    /** Extra body members, e.g. `Item` on a `ConditionalCheckFailedException`. */
    readonly fields: Readonly<JsonObject> = {},
    readonly namespace = DYNAMODB_NAMESPACE,
  ) {
    super(message);
  }

  /** The response body, as DynamoDB sends it. */
  toWire(): JsonObject {
    return { __type: `${this.namespace}#${this.code}`, message: this.message, ...this.fields };
  }

  /** A copy carrying extra body members. */
  withFields(fields: JsonObject): DynamoServiceError {
    return new DynamoServiceError(this.code, this.message, this.status, { ...this.fields, ...fields }, this.namespace);
  }

  /** Rebuilds an error from a response body that dynalite (or DynamoDB) sent. */
  static fromWire(status: number, body: JsonObject): DynamoServiceError {
    const { __type, message, Message, ...fields } = body;
    const [namespace, code] = String(__type ?? "#InternalServerError").split("#", 2);
    return new DynamoServiceError(code || "InternalServerError", String(message ?? Message ?? ""), status, fields, namespace);
  }
}

/** `ValidationException`: the request is malformed, whatever the table holds. */
export class ValidationError extends DynamoServiceError {
  override name = "ValidationError";

  constructor(message: string) {
    super("ValidationException", message, 400, {}, VALIDATE_NAMESPACE);
  }
}

/** `SerializationException`: a member has the wrong JSON type, so the request cannot even be read. */
export class SerializationError extends DynamoServiceError {
  override name = "SerializationError";

  constructor(message: string) {
    super("SerializationException", message, 400, {}, "com.amazon.coral.service");
  }
}

/** Why one item of a transaction did (`None`) or did not go through. */
export interface CancellationReason {
  readonly Code: string;
  readonly Message?: string;
  readonly Item?: JsonObject;
}

/** `TransactionCanceledException`: nothing was written; one reason per item, in request order. */
export class TransactionCanceledError extends DynamoServiceError {
  override name = "TransactionCanceledError";

  constructor(readonly reasons: readonly CancellationReason[]) {
    super(
      "TransactionCanceledException",
      `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(", ")}]`,
    );
  }

  /** DynamoDB spells this exception's message member `Message`, unlike most others. */
  override toWire(): JsonObject {
    return { __type: `${this.namespace}#${this.code}`, Message: this.message, CancellationReasons: this.reasons };
  }
}

/** `IdempotentParameterMismatchException`: a `ClientRequestToken` was reused for a different request. */
export class IdempotentParameterMismatchError extends DynamoServiceError {
  override name = "IdempotentParameterMismatchError";

  constructor() {
    super(
      "IdempotentParameterMismatchException",
      "The request uses the same client token as a previous, but non-identical request.",
    );
  }
}

/** Whether `error` is a DynamoDB wire error with exception name `code`. */
export function hasErrorCode(error: unknown, code: string): error is DynamoServiceError {
  return error instanceof DynamoServiceError && error.code === code;
}
