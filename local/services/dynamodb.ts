/** DynamoDB (`local/dynamodb/`) with the declared tables, created as the stacks create them. */
import { join } from "node:path";
import { tables } from "../../functions/common/tables.ts";
import { startLocalDynamo, type LocalDynamo } from "../dynamodb/index.ts";
import { serviceFaults } from "../faults.ts";
import { relayAnswer, type ServeHandler } from "../gateway.ts";
import { defineService } from "../service.ts";

export interface DynamoService {
  readonly engine: LocalDynamo;
  /** Physical table names by logical name (`functions/common/tables.ts`). */
  readonly tableNames: Record<keyof typeof tables, string>;
}

export const dynamodbService = defineService({
  name: "dynamodb",
  routing: { service: "dynamodb", targetPrefixes: ["DynamoDB_20120810"], signingNames: ["dynamodb"] },
  async start({ host, durableDir, prefix }) {
    const faults = serviceFaults();
    const engine = await startLocalDynamo({ ...(durableDir ? { dataDir: join(durableDir, "dynamodb") } : {}), host, port: 0, faults });
    try {
      const tableNames = await engine.createTables(tables, prefix);
      const handle: DynamoService = { engine, tableNames };
      // Gateway requests reach the engine's thread as messages: half the work of a second HTTP exchange here.
      const serve: ServeHandler = (request, res) => {
        const target = request.req.headers["x-amz-target"];
        return relayAnswer(request, res, engine.serve(typeof target === "string" ? target : undefined, request.body.toString("utf8")));
      };
      return { handle, api: { service: "dynamodb", upstream: engine.endpoint, serve }, faults, stop: () => engine.close() };
    } catch (error) {
      await engine.close();
      throw error;
    }
  },
});
