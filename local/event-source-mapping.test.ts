import { describe, expect, it } from "vitest";
import { batchResponseProblem, failedIds, failureReasons } from "./event-source-mapping.ts";

const batch = new Set(["m1", "m2", "m3"]);

describe("reading a handler's partial batch response as Lambda does", () => {
  it("treats no response and an empty failure list as complete success", () => {
    expect(failedIds(undefined, batch)).toEqual({ failed: new Set() });
    expect(failedIds({ batchItemFailures: [] }, batch)).toEqual({ failed: new Set() });
  });

  it("returns only the listed records for retry", () => {
    expect(failedIds({ batchItemFailures: [{ itemIdentifier: "m2" }] }, batch)).toEqual({ failed: new Set(["m2"]) });
  });

  it.each([
    [{ batchItemFailures: [{ itemIdentifier: "" }] }, "a batchItemFailures entry has no itemIdentifier"],
    [{ batchItemFailures: [{}] }, "a batchItemFailures entry has no itemIdentifier"],
    [{ batchItemFailures: [{ itemIdentifier: "other" }] }, 'itemIdentifier "other" is not a message of this batch'],
    [{ batchItemFailures: "m1" }, "batchItemFailures is not a list"],
    ["ok", "the response is not an object"],
  ])("fails the whole batch on a malformed response: %j", (response, problem) => {
    expect(batchResponseProblem(response, batch)).toBe(problem);
    expect(failedIds(response, batch)).toEqual({ failed: batch, problem });
  });
});

describe("failureReasons", () => {
  it("reads why each record failed from the function's own log lines, as CloudWatch Logs holds them", () => {
    const logs = [
      '{"level":"INFO","message":"processing","messageId":"m-0"}\n{"level":"ERROR","message":"record failed","messageId":"m-1","errorClass":"poison",',
      '"error":{"name":"PoisonRecordError","message":"ZodError: amount: Too small","stack":"…"}}\n',
      '{"level":"WARN","message":"record failed","messageId":"m-2","errorClass":"retryable","error":{"name":"Throttling","message":"Rate exceeded"}}\n',
      "a plain line mentioning record failed\n",
    ];

    expect(failureReasons(logs)).toEqual(
      new Map([
        ["m-1", "PoisonRecordError: ZodError: amount: Too small"],
        ["m-2", "Throttling: Rate exceeded"],
      ]),
    );
  });
});
