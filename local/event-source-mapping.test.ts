import { describe, expect, it } from "vitest";
import { batchResponseProblem, failedIds } from "./event-source-mapping.ts";

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
