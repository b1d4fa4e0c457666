import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { promisify } from "node:util";
import { afterAll, describe, expect, it, vi } from "vitest";
import { ruleList } from "../declarations/rules.ts";
import { FIXTURE_DIR, fixtureNames, loadFixture } from "../fixtures/index.ts";
import { adminRoute } from "../local/admin.ts";
import { runEvents } from "../local/run.ts";
import { PROJECT_ROOT } from "../local/runtime.ts";
import { startTestRuntime } from "../test/support/runtime.ts";
import { main, readEventFiles, UsageError } from "./paybus.ts";

const dir = mkdtempSync(join(tmpdir(), "paybus-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function capture(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => (out.push(String(chunk)), true));
  const stderr = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => (err.push(String(chunk)), true));
  try {
    return { code: await main(argv), out: out.join(""), err: err.join("") };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

describe("paybus CLI", () => {
  it("reads a directory of events in order, and says which file is bad", () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, "{ nope");

    expect(readEventFiles([FIXTURE_DIR]).map((f) => f.file.split("/").pop())[0]).toBe("01-invoice-paid-usd-subscription-cycle.json");
    expect(() => readEventFiles([bad])).toThrow(UsageError);
    expect(() => readEventFiles([bad])).toThrow(/bad\.json: invalid JSON/);
    expect(() => readEventFiles([join(dir, "missing.json")])).toThrow(/no such file or directory/);
  });

  it("puts a bare Stripe event (as `stripe events retrieve` prints it) in its partner event source envelope, and leaves an envelope as it is", () => {
    const envelope = loadFixture("03");
    const bare = join(dir, "bare.json");
    writeFileSync(bare, JSON.stringify(envelope.detail));

    const [read] = readEventFiles([bare])[0]!.events;
    const [asGiven] = readEventFiles([join(FIXTURE_DIR, fixtureNames.find((name) => name.startsWith("03"))!)])[0]!.events;

    expect(read).toMatchObject({ "detail-type": "payment_intent.succeeded", source: "aws.partner/stripe.com/ed_test_local", detail: envelope.detail });
    expect(read!.time).toBe(new Date(envelope.detail.created * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"));
    expect(asGiven).toEqual(envelope);
  });

  it("reads `stripe events list` output oldest first, and refuses a file that holds no event with its reason", () => {
    const list = join(dir, "list.json");
    const [first, second] = [loadFixture("17").detail, loadFixture("18").detail];
    // Stripe lists newest first.
    writeFileSync(list, JSON.stringify({ object: "list", data: [second, first], has_more: false, url: "/v1/events" }));
    const manifest = join(dir, "manifest-like.json");
    writeFileSync(manifest, JSON.stringify({ generated_by: "a tool" }));

    const events = readEventFiles([list])[0]!.events;

    expect(events.map((event) => (event.detail as { id: string }).id)).toEqual([first.id, second.id]);
    expect(events.every((event) => String(event.source).startsWith("aws.partner/stripe.com/"))).toBe(true);
    expect(() => readEventFiles([manifest])).toThrow(/manifest-like\.json: neither an EventBridge envelope, a Stripe event, a list of them nor an archive line/);
  });

  it("answers an unknown command with the usage and exit code 2", async () => {
    const { code, err } = await capture(["frobnicate"]);

    expect(code).toBe(2);
    expect(err).toContain('unknown command "frobnicate"');
    expect(err).toContain("paybus run --events");
  });

  it("dispatches `rules lint` and `rules test` to the rules commands, and refuses an unknown rules action", async () => {
    const lint = await capture(["rules", "lint"]);
    const bare = join(dir, "bare-01.json");
    writeFileSync(bare, JSON.stringify(loadFixture("01").detail));
    const tested = await capture(["rules", "test", "--pattern", '{"source":[{"prefix":"aws.partner/stripe.com"}]}', join(FIXTURE_DIR, "01-invoice-paid-usd-subscription-cycle.json"), bare]);
    const unknown = await capture(["rules", "frobnicate"]);

    expect(lint.code).toBe(0);
    expect(lint.out).toContain("Consumers: every routed event type is accepted by its queue's consumer");
    expect(tested.code).toBe(0);
    expect(tested.out).toMatch(/^match\s+\S*01-invoice-paid-usd-subscription-cycle\.json$/m);
    // A bare Stripe event is matched as the bus would see it, in its partner event source envelope.
    expect(tested.out).toMatch(/^match\s+\S*bare-01\.json$/m);
    expect(unknown).toMatchObject({ code: 2, err: expect.stringContaining('unknown rules action "frobnicate" (test, lint)') });
  });

  it("refuses `run --events` on a directory without event files, with a reason and a non-zero exit", async () => {
    const empty = mkdtempSync(join(dir, "empty-"));

    const { code, out, err } = await capture(["run", "--events", empty, "--json"]);

    expect(code).toBe(2);
    expect(out).toBe("");
    expect(err).toContain(`${empty}: no event files (*.json, *.jsonl) in this directory`);
  });

  it("redraws `run`'s progress in place on a terminal only: a CI log gets whole lines", async () => {
    const progressOf = async (isTTY: boolean) => {
      const stream = Object.assign(new PassThrough(), { isTTY });
      let text = "";
      stream.on("data", (chunk: Buffer) => (text += chunk.toString()));
      await runEvents([{ file: "none.json", events: [] }], { dataDir: mkdtempSync(join(dir, "progress-")), inMemory: true, progress: stream });
      return text;
    };

    expect(await progressOf(false)).toBe("sent 0 event(s)\nwaiting for the pipeline to settle…\n");
    expect(await progressOf(true)).toMatch(/^sent 0 event\(s\)\r\nwaiting for the pipeline to settle…\n/);
  });

  it("says another runtime holds the data directory or the port, instead of failing inside an engine", async () => {
    const dataDir = mkdtempSync(join(dir, "locked-"));
    const first = await startTestRuntime({ dataDir, port: 0 });
    try {
      const port = new URL(first.gatewayUrl).port;
      const sameDir = await capture(["dev", "--port", "0", "--data-dir", dataDir]);
      const samePort = await capture(["dev", "--port", port, "--data-dir", mkdtempSync(join(dir, "other-"))]);

      expect(sameDir.code).toBe(2);
      expect(sameDir.err).toContain(`paybus: another paybus runtime (pid ${process.pid}) is using the data directory ${dataDir}`);
      expect(sameDir.err).not.toContain("Database is closed");
      expect(samePort.code).toBe(2);
      expect(samePort.err).toContain(`paybus: port ${port} is already in use (another paybus runtime?)`);
      expect(samePort.err).not.toMatch(/\n\s+at /);
    } finally {
      await first.stop();
    }
    // Released on stop: the directory is free again.
    const again = await startTestRuntime({ dataDir, port: 0 });
    await again.stop();
  }, 120_000);

  it("stops cleanly on Ctrl-C while `dev --demo` is still playing the demo", async () => {
    // `npm start` as the README runs it (bin/paybus.mjs), on a port and a data directory of its own.
    const child = spawn(process.execPath, [join(PROJECT_ROOT, "bin/paybus.mjs"), "dev", "--demo", "--port", "0", "--data-dir", mkdtempSync(join(dir, "dev-"))], {
      cwd: PROJECT_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));

    // Act: the interrupt comes as soon as the first wave is sent, before the pipeline settles.
    await new Promise<void>((resolve) =>
      child.stdout.on("data", (chunk: Buffer) => {
        const before = out;
        out += chunk.toString();
        if (!before.includes("waiting for the pipeline") && out.includes("waiting for the pipeline")) {
          child.kill("SIGINT");
          resolve();
        }
      }),
    );
    const code = await exited;

    // Assert: node's default would end the process by the signal (code null) with nothing stopped.
    expect({ code, err: err.replace(/^SES: .*\n/m, "") }).toEqual({ code: 0, err: "" });
    expect(out).toContain("demo: stopped before the pipeline settled");
    expect(out).toContain("stopping…");
    expect(out).not.toContain("demo: 8 email(s)");
  }, 60_000);

  it("prints parseable JSON on stdout with the README's own `run --json` command", async () => {
    const readme = readFileSync(join(PROJECT_ROOT, "README.md"), "utf8");
    const command = /^(npm run [^#\n]*run --events [^#\n]*--json)/m.exec(readme)?.[1]?.trim();
    expect(command).toBeDefined();

    const { stdout } = await promisify(execFile)("sh", ["-c", command!], { cwd: PROJECT_ROOT, maxBuffer: 16 * 1024 * 1024 });

    const report = JSON.parse(stdout);
    const fixtures = readEventFiles([FIXTURE_DIR]).reduce((sum, file) => sum + file.events.length, 0);
    expect(report.totals).toMatchObject({ inputs: fixtures, rejected: 0 });
  }, 180_000);

  it("prints where events stand in `status`, from the lifecycle projection the run report reads too, and what `workflows send-now` sent", async () => {
    const runtime = await startTestRuntime({ dataDir: mkdtempSync(join(dir, "status-")), port: 0, inMemory: true });
    try {
      runtime.addRoute(adminRoute(runtime, { sendFollowupsNow: () => runtime.runScheduled("FollowupDispatch") }));
      const event = JSON.parse(readFileSync(join(FIXTURE_DIR, "01-invoice-paid-usd-subscription-cycle.json"), "utf8"));
      runtime.sendEnvelopes([event, { ...event, source: "aws.events" }]);
      await runtime.waitForQuiet(60_000);

      const { code, out } = await capture(["status", "--url", runtime.gatewayUrl]);
      const followups = await capture(["workflows", "send-now", "--url", runtime.gatewayUrl]);

      expect(code).toBe(0);
      expect(out).toMatch(/^ {2}events (?=.*\bdone=1\b)(?=.*\brejected=1\b).*$/m);
      // The dispatcher's summary in words, as every other command answers (no follow-up is due here).
      expect(followups).toEqual({ code: 0, out: "follow-ups: 0 sent, 0 dropped (their workflow no longer waits), 0 failed (left for the next run)\n", err: "" });
    } finally {
      await runtime.stop();
    }
  }, 120_000);

  it("tells the user how to start a runtime when none is running", async () => {
    const { code, err } = await capture(["status", "--url", "http://127.0.0.1:9"]);

    expect(code).toBe(2);
    expect(err).toContain("cannot reach a paybus runtime at http://127.0.0.1:9");
  });

  it("runs the fixtures end to end and accounts for every input in the JSON report", async () => {
    const poison = join(dir, "poison.json");
    const event = loadFixture("02-invoice-payment-failed-usd-retry-2.json");
    event.detail.type = "invoice.paid";
    writeFileSync(poison, JSON.stringify([event, { ...event, source: "aws.events" }]));

    const { code, out } = await capture(["run", "--events", FIXTURE_DIR, poison, "--json", "--strict"]);
    const report = JSON.parse(out);

    expect(code).toBe(1);
    expect(report.totals).toMatchObject({ inputs: 25, accepted: 24, rejected: 1, inDlq: 1 });
    // The fixtures no declared rule routes (with the shipped rules: customer.subscription.created,
    // invoice.payment_succeeded and the v2 ping), derived so that a scaffolded consumer keeps it true.
    const routed = new Set(ruleList.flatMap((rule) => rule.pattern["detail-type"] as string[]));
    const unrouted = fixtureNames.map((name) => String(loadFixture(name)["detail-type"])).filter((type) => !routed.has(type));
    expect(unrouted.length).toBeGreaterThan(0);
    expect(report.inputs.filter((i: { result: string }) => i.result === "unmatched").map((i: { detailType: string }) => i.detailType)).toEqual(unrouted);
    const dlq = report.inputs.find((i: { result: string }) => i.result === "dlq");
    expect(dlq.dlq[0].error).toContain('detail-type "invoice.payment_failed" does not match detail.type "invoice.paid"');
    expect(report.inputs.find((i: { status: string }) => i.status === "rejected").error).toBe("NotAuthorizedForSourceException: Not authorized for the source.");
    // A bare run has no synced profiles: the two credited USD purchases reach their buyers at the
    // address on the payment (contact stubs: PaymentIntent receipt_email, Checkout customer_details).
    const engagement = report.emails.filter((email: { subject: string }) => /points/.test(email.subject));
    expect(engagement.map((email: { to: string[]; subject: string }) => [email.to, email.subject]).sort()).toEqual([
      [["jenny.rosen@example.com"], "You earned 40 points"],
      [["stripe@example.com"], "You earned 60 points"],
    ]);
    // One per invoice fact.
    const subjects: string[] = report.emails.filter((email: { subject: string }) => !/points/.test(email.subject)).map((email: { subject: string }) => email.subject);
    expect(subjects.filter((subject) => /F8C76741-0032|31A191F8-0024|B5953531-0033/.test(subject))).toHaveLength(3);
    // The payment needing confirmation carries its address: told once. Whether the trial notice
    // finds the synced profile depends on which queue a run drains first, so it is not counted.
    expect(subjects.filter((subject) => subject.includes("7C1D2E3F-0002"))).toHaveLength(1);
    expect(subjects.length).toBeLessThanOrEqual(5);
    expect(report.profiles.map((profile: { customerId: string }) => profile.customerId)).toContain("cus_U3kq8ZrW1fLm0D");
  }, 120_000);
});
