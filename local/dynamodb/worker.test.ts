import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { crc32 } from "node:zlib";
import { ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterEach, describe, expect, it } from "vitest";
import { tables } from "../../functions/common/tables.ts";
import { serviceFaults } from "../faults.ts";
import { clientsFor } from "../../test/support/dynamodb.ts";
import { rateFaults, startLocalDynamo, type LocalDynamo } from "./index.ts";

const started: LocalDynamo[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((dynamo) => dynamo.close()));
});

/**
 * Calls `ListTables` from another process while this thread is blocked in `spawnSync`: only an
 * endpoint on another thread can answer (`null` when nothing answered within the time limit).
 */
function listTablesWhileBlocked(endpoint: string, waitMs: number): unknown {
  const script = `fetch(${JSON.stringify(endpoint)}, { method: "POST", headers: { "x-amz-target": "DynamoDB_20120810.ListTables", "content-type": "application/x-amz-json-1.0" }, body: "{}", signal: AbortSignal.timeout(${waitMs}) })
    .then((r) => r.text()).then((t) => process.stdout.write(t), () => process.exit(3));`;
  const child = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: waitMs + 10_000 });
  return child.status === 0 ? JSON.parse(child.stdout) : null;
}

describe("the endpoint's thread", () => {
  it("is a worker of its own by default: it answers while the caller's thread is blocked", async () => {
    const dynamo = await startLocalDynamo({ ttlSweepIntervalMs: 0 });
    started.push(dynamo);
    const names = await dynamo.createTables({ loyalty: tables.loyalty }, "worker");

    expect(listTablesWhileBlocked(dynamo.endpoint, 15_000)).toEqual({ TableNames: [names.loyalty] });
    expect(dynamo.stats().requests).toEqual(expect.objectContaining({ ListTables: 1 }));
  });

  it("is named DynamoDB and tells its operating-system id, so that its CPU time can be read apart (Linux)", async () => {
    const dynamo = await startLocalDynamo({ ttlSweepIntervalMs: 0 });
    started.push(dynamo);
    const caller = await startLocalDynamo({ ttlSweepIntervalMs: 0, thread: "caller" });
    started.push(caller);

    expect(caller.osThreadId).toBeUndefined();
    if (!existsSync("/proc/thread-self")) return;
    expect(dynamo.osThreadId).toEqual(expect.any(Number));
    expect(dynamo.osThreadId).not.toBe(process.pid);
    expect(readFileSync(`/proc/self/task/${dynamo.osThreadId}/comm`, "utf8").trim()).toBe("DynamoDB");
  });

  it("is the caller's with thread: \"caller\": nothing answers while that thread is blocked", async () => {
    const dynamo = await startLocalDynamo({ ttlSweepIntervalMs: 0, thread: "caller" });
    started.push(dynamo);

    // Whatever the wait, the answer can only come once this thread is free again.
    expect(listTablesWhileBlocked(dynamo.endpoint, 2_000)).toBeNull();
  });

  it("serves the SDK, counts requests and asks the caller's injector before every request", async () => {
    const decided: string[] = [];
    const throttle = rateFaults({ rate: 1, operations: ["UpdateItem"], code: "ThrottlingException", seed: 1 });
    const dynamo = await startLocalDynamo({
      ttlSweepIntervalMs: 0,
      faults: {
        decide: (operation, request) => {
          decided.push(operation);
          return (request as { Key?: { pk?: { S?: string } } }).Key?.pk?.S === "throttled" ? throttle.decide(operation, request) : undefined;
        },
      },
    });
    started.push(dynamo);
    const { loyalty } = await dynamo.createTables({ loyalty: tables.loyalty }, "worker");
    const sdk = clientsFor(dynamo.endpoint, { maxAttempts: 1 });
    try {
      const add = (pk: string) => sdk.documents.send(new UpdateCommand({ TableName: loyalty, Key: { pk, sk: "balance" }, UpdateExpression: "ADD points :n", ExpressionAttributeValues: { ":n": 5 }, ReturnValues: "ALL_NEW" }));

      const applied = await add("c1");
      const throttled = add("throttled");

      expect(applied.Attributes).toEqual({ pk: "c1", sk: "balance", points: 5 });
      await expect(throttled).rejects.toMatchObject({ name: "ThrottlingException" });
      expect((await sdk.documents.send(new GetCommand({ TableName: loyalty, Key: { pk: "throttled", sk: "balance" } }))).Item).toBeUndefined();
      expect(decided).toEqual(["UpdateItem", "UpdateItem", "GetItem"]);
      expect(dynamo.stats()).toMatchObject({ faultsInjected: 1, requests: { UpdateItem: 2, GetItem: 1 } });
    } finally {
      sdk.client.destroy();
    }
  });

  it("does not wait for the caller's thread while a fault switch is off, and asks it once on", async () => {
    const faults = serviceFaults();
    const dynamo = await startLocalDynamo({ ttlSweepIntervalMs: 0, faults });
    started.push(dynamo);
    await dynamo.createTables({ loyalty: tables.loyalty }, "switch");
    const sdk = clientsFor(dynamo.endpoint, { maxAttempts: 1 });
    try {
      const answeredWhileBlocked = listTablesWhileBlocked(dynamo.endpoint, 15_000);
      faults.set(rateFaults({ rate: 1, operations: ["ListTables"], code: "ThrottlingException", seed: 1 }));
      const throttled = sdk.client.send(new ListTablesCommand({}));

      expect(answeredWhileBlocked).toEqual({ TableNames: ["switch-loyalty"] });
      await expect(throttled).rejects.toMatchObject({ name: "ThrottlingException" });
      expect(faults.injected).toBe(1);
    } finally {
      sdk.client.destroy();
    }
  });

  it.each(["worker", "caller"] as const)("answers a request handed over without HTTP exactly as over HTTP (thread: %s)", async (thread) => {
    const decided: string[] = [];
    const dynamo = await startLocalDynamo({
      ttlSweepIntervalMs: 0,
      thread,
      ...(thread === "caller" ? { now: Date.now } : {}),
      faults: { decide: (operation) => void decided.push(operation) },
    });
    started.push(dynamo);
    const { loyalty } = await dynamo.createTables({ loyalty: tables.loyalty }, `handover-${thread}`);
    const overHttp = async (target: string, body: string) => {
      const answer = await fetch(dynamo.endpoint, { method: "POST", headers: { "x-amz-target": target, "content-type": "application/x-amz-json-1.0" }, body });
      return { status: answer.status, headers: Object.fromEntries(answer.headers), text: await answer.text() };
    };
    const add = (pk: string) => JSON.stringify({ TableName: loyalty, Key: { pk: { S: pk }, sk: { S: "balance" } }, UpdateExpression: "ADD points :n", ExpressionAttributeValues: { ":n": { N: "5" } }, ReturnValues: "ALL_NEW" });
    const requests: Array<[target: string, body: string]> = [
      ["DynamoDB_20120810.UpdateItem", add("c1")],
      ["DynamoDB_20120810.UpdateItem", add("c1")],
      // Refusals are answers too: a validation error, a body that is not JSON, an operation nobody has.
      ["DynamoDB_20120810.GetItem", JSON.stringify({ TableName: loyalty, Key: { pk: { S: "c1" } } })],
      ["DynamoDB_20120810.GetItem", "{not json"],
      ["DynamoDB_20120810.CreateBackup", JSON.stringify({ TableName: loyalty, BackupName: "b" })],
      ["Other_20200101.GetItem", "{}"],
    ];

    for (const [target, body] of requests) {
      const handedOver = await dynamo.serve(target, body);
      const http = await overHttp(target, body);
      // The second UpdateItem adds 5 again: compare the shapes of the two answers, then the texts where they cannot differ.
      expect([handedOver.status, JSON.parse(handedOver.text)]).toEqual([http.status, target.endsWith("UpdateItem") ? expect.anything() : JSON.parse(http.text)]);
      for (const name of ["content-type", "content-length", "x-amz-crc32"]) expect(handedOver.headers[name], name).toBeDefined();
      expect(Number(handedOver.headers["content-length"])).toBe(Buffer.byteLength(handedOver.text));
      expect(Number(handedOver.headers["x-amz-crc32"])).toBe(crc32(handedOver.text));
      expect(handedOver.headers["content-type"]).toBe(http.headers["content-type"]);
      expect(handedOver.headers["x-amzn-requestid"]).toMatch(/^[0-9a-f-]{36}$/);
    }
    // The two paths share one store: four additions of 5.
    const read = await dynamo.serve("DynamoDB_20120810.GetItem", JSON.stringify({ TableName: loyalty, Key: { pk: { S: "c1" }, sk: { S: "balance" } } }));
    expect(JSON.parse(read.text).Item.points).toEqual({ N: "20" });
    // Both paths count their requests and ask the injector (not for an operation nobody has).
    expect(decided.filter((operation) => operation === "UpdateItem")).toHaveLength(4);
    expect(dynamo.stats().requests).toMatchObject({ UpdateItem: 4, GetItem: 5, CreateBackup: 2 });
  });

  it("answers every one of many requests handed over at once, each with its own answer", async () => {
    const dynamo = await startLocalDynamo({ ttlSweepIntervalMs: 0 });
    started.push(dynamo);
    const { loyalty } = await dynamo.createTables({ loyalty: tables.loyalty }, "batch");
    const add = (pk: string, n: number) =>
      dynamo.serve("DynamoDB_20120810.UpdateItem", JSON.stringify({ TableName: loyalty, Key: { pk: { S: pk }, sk: { S: "balance" } }, UpdateExpression: "ADD points :n", ExpressionAttributeValues: { ":n": { N: String(n) } }, ReturnValues: "UPDATED_NEW" }));

    // 60 at once, on three keys, one refused (a malformed body): each promise gets its own request's answer.
    const answers = await Promise.all([...Array.from({ length: 60 }, (_, i) => add(`k${i % 3}`, 1)), dynamo.serve("DynamoDB_20120810.UpdateItem", "[]")]);

    expect(answers.slice(0, 60).every((answer) => answer.status === 200)).toBe(true);
    expect(answers[60]!.status).toBe(400);
    const totals = await Promise.all(["k0", "k1", "k2"].map(async (pk) => JSON.parse((await add(pk, 0)).text).Attributes.points.N));
    expect(totals).toEqual(["20", "20", "20"]);
  });

  it("reports a failed start as the caller's error", async () => {
    const first = await startLocalDynamo({ ttlSweepIntervalMs: 0 });
    started.push(first);
    const port = Number(new URL(first.endpoint).port);

    await expect(startLocalDynamo({ ttlSweepIntervalMs: 0, port })).rejects.toMatchObject({ code: "EADDRINUSE" });
  });

  it("runs the next endpoint on the thread of one that closed, with a store and counters of its own", async () => {
    const first = await startLocalDynamo({ ttlSweepIntervalMs: 0 });
    const { loyalty } = await first.createTables({ loyalty: tables.loyalty }, "first");
    await first.serve("DynamoDB_20120810.PutItem", JSON.stringify({ TableName: loyalty, Item: { pk: { S: "c1" }, sk: { S: "balance" } } }));
    await first.close();

    const next = await startLocalDynamo({ ttlSweepIntervalMs: 0 });
    started.push(next);

    if (existsSync("/proc/thread-self")) expect(next.osThreadId).toBe(first.osThreadId);
    expect(JSON.parse((await next.serve("DynamoDB_20120810.ListTables", "{}")).text)).toEqual({ TableNames: [] });
    expect(next.stats().requests).toEqual({ ListTables: 1 });
    // The closed one takes nothing more.
    await expect(first.serve("DynamoDB_20120810.ListTables", "{}")).rejects.toThrow(/closed/);
  });

  it("refuses a custom clock in a worker (a function cannot cross threads)", async () => {
    await expect(startLocalDynamo({ thread: "worker", now: () => 0 })).rejects.toThrow(/thread: "caller"/);
  });
});
