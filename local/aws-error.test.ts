import { EventBridgeClient, ListRulesCommand } from "@aws-sdk/client-eventbridge";
import { ListPlatformApplicationsCommand, SNSClient } from "@aws-sdk/client-sns";
import { createServer, type Server, type ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminClient } from "./admin-client.ts";
import { asAwsError, AwsServiceError, faultError, writeJsonError, writeQueryError } from "./aws-error.ts";
import { close, listen } from "./aws-json.ts";
import { SesError } from "./ses.ts";
import { SnsError } from "./sns/platform.ts";
import { SqsError } from "./sqs/errors.ts";
import { ExecutionAlreadyExistsError } from "./stepfunctions/index.ts";

describe("asAwsError: any thrown value as one AWS error", () => {
  it("keeps the services' own errors, reads Step Functions' type, and reports anything else as the service's failure", () => {
    // Arrange
    const sqs = new SqsError("QueueDoesNotExist", "The specified queue does not exist.");
    const ses = new SesError("MessageRejected", "Email address is not verified.");
    const clientSide = Object.assign(new Error("bad token"), { name: "InvalidParameter", status: 400 });

    // Act
    const errors = [
      asAwsError(sqs),
      asAwsError(ses),
      asAwsError(new ExecutionAlreadyExistsError("Execution Already Exists: 'x'")),
      asAwsError(clientSide),
      asAwsError(new TypeError("x is undefined"), "SNS", "InternalError"),
      asAwsError("a string"),
    ];

    // Assert
    expect(errors[0]).toBe(sqs);
    expect([sqs.type, sqs.queryCode, sqs.status]).toEqual(["com.amazonaws.sqs#QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", 400]);
    expect(errors[1]).toBe(ses);
    expect(errors.slice(2).map((error) => [error.code, error.status])).toEqual([
      ["ExecutionAlreadyExists", 400],
      ["InvalidParameter", 400],
      ["InternalError", 500],
      ["InternalFailure", 500],
    ]);
    expect(errors[4]!.message).toBe("The local SNS failed: x is undefined");
    expect(faultError({ code: "Throttling", message: "slow down", status: 400 })).toMatchObject({ code: "Throttling", name: "Throttling", status: 400 });
  });
});

describe("the protocol writers, read back by the real SDK clients", () => {
  let server: Server;
  let endpoint: string;
  let answer: (res: ServerResponse) => void;

  beforeAll(async () => {
    server = createServer((_req, res) => answer(res));
    endpoint = await listen(server, "127.0.0.1");
  });
  afterAll(() => close(server));

  it("writes a JSON protocol error the SDK turns into the named exception", async () => {
    // Arrange
    answer = (res) => writeJsonError(res, new AwsServiceError("ResourceNotFoundException", "Rule paybus-x does not exist."));
    const client = adminClient(EventBridgeClient, endpoint, "us-east-1", { maxAttempts: 1 });

    // Act
    const error = await client.send(new ListRulesCommand({})).catch((caught: Error) => caught);

    // Assert
    expect(error).toMatchObject({ name: "ResourceNotFoundException", message: "Rule paybus-x does not exist.", $metadata: { httpStatusCode: 400 } });
    client.destroy();
  });

  it("writes a query protocol error with its code and fault side", async () => {
    // Arrange
    answer = (res) => writeQueryError(res, new SnsError("EndpointDisabled", "Endpoint is disabled"));
    const client = adminClient(SNSClient, endpoint, "us-east-1", { maxAttempts: 1 });

    // Act
    const error = await client.send(new ListPlatformApplicationsCommand({})).catch((caught: Error & { $fault?: string }) => caught);

    // Assert
    expect(error).toMatchObject({ name: "EndpointDisabledException", message: "Endpoint is disabled", $fault: "client" });
    client.destroy();
  });
});
