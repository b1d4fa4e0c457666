import { describe, expect, it } from "vitest";
import { anyOf, FaultSwitch, rateFaults, serviceFaults, type InjectedFault } from "./faults.ts";
import { consumerFaults } from "./event-source-mapping.ts";

const throttled: InjectedFault = { code: "Throttling", message: "Maximum sending rate exceeded.", status: 400 };

describe("FaultSwitch: the one fault injector of services and consumers", () => {
  it("lets everything through until a decider is set, and again once it is cleared", () => {
    // Arrange
    const faults = serviceFaults();

    // Act
    const before = faults.decide("SendEmail", {});
    faults.set({ decide: (operation) => (operation === "SendEmail" ? throttled : undefined) });
    const during = [faults.decide("SendEmail", {}), faults.decide("GetSendQuota", {})];
    faults.set(undefined);
    const after = faults.decide("SendEmail", {});

    // Assert
    expect(before).toBeUndefined();
    expect(during).toEqual([throttled, undefined]);
    expect(after).toBeUndefined();
    expect(faults.injected).toBe(1);
  });

  it("takes a decider as a function or as an object with decide, and counts what each injected", () => {
    // Arrange
    const consumers = consumerFaults();
    const services = new FaultSwitch<[operation: string, request: unknown], InjectedFault>();
    const record = { messageId: "m1" } as never;

    // Act
    consumers.set(({ receiveCount }) => (receiveCount === 1 ? "throw" : undefined));
    const verdicts = [1, 2, 1].map((receiveCount) => consumers.decide({ queue: "loyalty", functionName: "paybus-loyalty", record, receiveCount }));
    services.set(anyOf(rateFaults({ rate: 0, code: "ThrottlingException", seed: 1 }), { decide: () => throttled }));
    const fault = services.decide("UpdateItem", {});

    // Assert
    expect(verdicts).toEqual(["throw", undefined, "throw"]);
    expect(consumers.injected).toBe(2);
    expect(fault).toBe(throttled);
    expect(services.injected).toBe(1);
  });
});
