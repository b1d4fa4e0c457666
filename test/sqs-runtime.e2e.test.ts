/**
 * The runtime's queues across a restart, and where the runtime listens: a DLQ message keeps its
 * reason across a restart, and no listener of the process is bound to anything but loopback.
 */
import { readFileSync, readdirSync, readlinkSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadFixture } from "../fixtures/index.ts";
import { dlqListing } from "../local/admin.ts";
import { startTestRuntime } from "./support/runtime.ts";

/** Listening TCP sockets of this process: `address:port` as the kernel reports them. */
function listeners(): Array<{ family: "tcp" | "tcp6"; address: string; port: number }> {
  const inodes = new Set<string>();
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode) inodes.add(inode);
    } catch {
      // the fd closed while we looked
    }
  }
  const found: Array<{ family: "tcp" | "tcp6"; address: string; port: number }> = [];
  for (const family of ["tcp", "tcp6"] as const) {
    for (const line of readFileSync(`/proc/self/net/${family}`, "utf8").split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== "0A" || !inodes.has(fields[9]!)) continue; // 0A = LISTEN
      const [address, port] = fields[1]!.split(":");
      found.push({ family, address: address!, port: parseInt(port!, 16) });
    }
  }
  return found;
}

/** 127.0.0.0/8 in /proc's little-endian hex, or ::1 / ::ffff:127.x in tcp6. */
function isLoopback(family: "tcp" | "tcp6", hex: string): boolean {
  if (family === "tcp") return hex.slice(6, 8) === "7F";
  return hex === "00000000000000000000000001000000" || (hex.startsWith("0000000000000000FFFF0000") && hex.slice(30, 32) === "7F");
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("the runtime's SQS", () => {
  it("listens on loopback only, every listener of the process", async () => {
    const runtime = await startTestRuntime({ dataDir: null, port: 0 });
    try {
      const open = listeners();
      const ports = Object.values(runtime.endpoints).map((endpoint) => Number(new URL(endpoint).port));

      expect(open.filter((listener) => !isLoopback(listener.family, listener.address))).toEqual([]);
      // The check saw the runtime's own listeners (it is not vacuous).
      for (const port of ports) expect(open.map((listener) => listener.port)).toContain(port);
    } finally {
      await runtime.stop();
    }
  });

  it("keeps a DLQ message and the reason it failed across a restart", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "paybus-sqs-restart-"));
    dirs.push(dataDir);
    const poison = loadFixture("02");
    poison.detail.id = "evt_restart_poison";
    poison.detail.type = "invoice.payment_succeeded";

    const first = await startTestRuntime({ dataDir, port: 0, timeScale: 0.01, workflowTimeScale: 0.0001 });
    let before;
    try {
      first.sendEnvelopes([poison]);
      await first.waitForQuiet(60_000);
      before = dlqListing(first).find((entry) => entry.queue === "notifications")!.messages;
    } finally {
      await first.stop();
    }
    const second = await startTestRuntime({ dataDir, port: 0, timeScale: 0.01, workflowTimeScale: 0.0001 });
    let after;
    try {
      after = dlqListing(second).find((entry) => entry.queue === "notifications")!.messages;
    } finally {
      await second.stop();
    }

    expect(before).toHaveLength(1);
    expect(before[0]!.error).toContain('detail-type "invoice.payment_failed" does not match detail.type "invoice.payment_succeeded"');
    expect(after).toEqual(before);
  });
});
