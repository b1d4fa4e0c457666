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

describe("redaction at any depth and of every RFC 6531 address (issue 13, point 6)", () => {
  it.each([
    ["an internationalised local part and domain", "josé.müller@exämple.de", "j***@exämple.de"],
    ["a quoted local part", '"john doe"@example.com', "j***@example.com"],
    ["a Japanese address", "ユーザー@例え.jp", "ユ***@例え.jp"],
    ["a plain address", "jenny.rosen@example.com", "j***@example.com"],
    ["an address with a plus tag", "sam+billing@example.co.uk", "s***@example.co.uk"],
  ])("redacts %s", (_, address, expected) => {
    const redacted = redactEmail(`to ${address}, thanks.`);

    expect(redacted).toBe(`to ${expected}, thanks.`);
  });

  it("redacts two addresses side by side and leaves text without an address alone", () => {
    expect(redactEmail("a.b@example.com,ユーザー@例え.jp")).toBe("a***@example.com,ユ***@例え.jp");
    expect(redactEmail("user@localhost, @handle, 50 @ 3.5%")).toBe("user@localhost, @handle, 50 @ 3.5%");
  });

  it("redacts an address nested 100 objects deep, and a name key at that depth", () => {
    let nested: Record<string, unknown> = { note: "josé.müller@exämple.de", name: "José Müller" };
    for (let level = 0; level < 100; level++) nested = { child: nested };

    const text = JSON.stringify(redact(nested));

    expect(text).not.toContain("josé");
    expect(text).not.toContain("Müller");
    expect(text).toContain("j***@exämple.de");
  });

  it("survives nesting deeper than the call stack and cycles", () => {
    let deep: unknown = "deep.down@example.com";
    for (let level = 0; level < 200_000; level++) deep = [deep];
    const cycle: Record<string, unknown> = { email: "x@example.com", note: "y.z@example.com" };
    cycle.self = cycle;

    const text = JSON.stringify(redact({ cycle }));

    expect(text).toBe('{"cycle":{"email":"[redacted]","note":"y***@example.com","self":"[circular]"}}');
    let out = redact(deep);
    for (let level = 0; level < 200_000; level++) out = (out as unknown[])[0];
    expect(out).toBe("d***@example.com");
  });

  it("keeps the order of keys and shared, non-circular values", () => {
    const shared = { amount: 1 };

    expect(JSON.stringify(redact({ b: shared, a: shared, c: [shared] }))).toBe('{"b":{"amount":1},"a":{"amount":1},"c":[{"amount":1}]}');
  });
});
