/** The timers a task's deadline runs on: they end once, for one reason, and leave nothing behind. */
import { describe, expect, it } from "vitest";
import { timeLimit } from "./timers.ts";

describe("timeLimit", () => {
  it("ends as reached when its instant comes (an instant already past included)", async () => {
    const controller = new AbortController();
    await expect(timeLimit(Date.now() + 5, controller.signal).ended).resolves.toBe("reached");
    await expect(timeLimit(Date.now() - 1_000, controller.signal).ended).resolves.toBe("reached");
  });

  it("ends as aborted when the signal aborts first, or was aborted already", async () => {
    const controller = new AbortController();
    const limit = timeLimit(Date.now() + 60_000, controller.signal);
    controller.abort();
    await expect(limit.ended).resolves.toBe("aborted");
    await expect(timeLimit(Date.now() + 60_000, controller.signal).ended).resolves.toBe("aborted");
  });

  it("ends as cancelled, and stays so: a later abort or instant changes nothing", async () => {
    const controller = new AbortController();
    const limit = timeLimit(Date.now() + 5, controller.signal);
    limit.cancel();
    controller.abort();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await expect(limit.ended).resolves.toBe("cancelled");
  });
});
