import { describe, expect, it } from "vitest";
import { redact, redactEmail } from "./redact.ts";

describe("redaction for logs", () => {
  it("keeps only the first letter and the domain of an email", () => {
    expect(redactEmail("write to jenny.rosen@example.com today")).toBe("write to j***@example.com today");
  });

  it("masks personal fields wherever they sit and redacts emails in any string", () => {
    const logged = {
      invoice: { customer_email: "jenny.rosen@example.com", customer_name: "Jenny Rosen", amount_due: 1500 },
      note: "sent to sam.lee@example.com",
      billing_details: { email: "x@example.com", name: "X" },
    };

    expect(redact(logged)).toEqual({
      invoice: { customer_email: "[redacted]", customer_name: "[redacted]", amount_due: 1500 },
      note: "sent to s***@example.com",
      billing_details: "[redacted]",
    });
  });

  it("redacts emails in an error's message and stack", () => {
    const error = new Error("SES refused hana.sato@example.jp");

    const logged = redact(error) as { message: string; stack: string };

    expect(logged.message).toBe("SES refused h***@example.jp");
    expect(logged.stack).not.toContain("hana.sato@example.jp");
  });
});
