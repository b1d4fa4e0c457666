/**
 * The storage engine behind the endpoint: dynalite, started in-process on a random loopback port,
 * and a small JSON client the front server uses to talk to it.
 */
import { Agent, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { DynamoServiceError, type JsonObject } from "./errors.ts";

interface DynaliteOptions {
  readonly path?: string;
  readonly createTableMs?: number;
  readonly deleteTableMs?: number;
  readonly updateTableMs?: number;
}

// dynalite is CommonJS without type declarations.
const dynalite = createRequire(import.meta.url)("dynalite") as (options: DynaliteOptions) => Server;

/** A running dynalite and a client for it. */
export interface Engine {
  /** dynalite's own endpoint: bypasses the front server's transactions, locks and TTL. */
  readonly endpoint: string;
  /** Calls a DynamoDB operation; resolves with the response body, rejects with a {@link DynamoServiceError}. */
  call(operation: string, body: JsonObject): Promise<JsonObject>;
  close(): Promise<void>;
}

/**
 * Starts dynalite on `127.0.0.1` and a random port (its CLI cannot: `--port 0` means 4567).
 * @param path LevelDB directory; in-memory when absent.
 */
export async function startEngine(path?: string): Promise<Engine> {
  // Table state changes are instant: the endpoint is for tests and local runs, not for rehearsing
  // CREATING/DELETING delays.
  const server = dynalite({ ...(path ? { path } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    call: (operation, body) => post(agent, port, operation, body),
    async close() {
      agent.destroy();
      // dynalite's close also closes LevelDB, which must happen before the directory is reopened.
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/** dynalite only checks that a SigV4-shaped header is present; it never verifies the signature. */
const FAKE_AUTHORIZATION =
  "AWS4-HMAC-SHA256 Credential=local/20000101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0";

function post(agent: Agent, port: number, operation: string, body: JsonObject): Promise<JsonObject> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        agent,
        host: "127.0.0.1",
        port,
        method: "POST",
        path: "/",
        headers: {
          "content-type": "application/x-amz-json-1.0",
          "content-length": Buffer.byteLength(payload),
          "x-amz-target": `DynamoDB_20120810.${operation}`,
          "x-amz-date": "20000101T000000Z",
          authorization: FAKE_AUTHORIZATION,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const status = res.statusCode ?? 500;
          const text = Buffer.concat(chunks).toString("utf8");
          const parsed = parseObject(text);
          if (status === 200 && parsed) resolve(parsed);
          else reject(parsed ? DynamoServiceError.fromWire(status, parsed) : engineFailure(status, text));
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

function parseObject(text: string): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;
  } catch {
    return undefined;
  }
}

function engineFailure(status: number, text: string): DynamoServiceError {
  return new DynamoServiceError("InternalServerError", `dynalite answered ${status}: ${text.slice(0, 200)}`, 500);
}
