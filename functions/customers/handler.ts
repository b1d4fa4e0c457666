/**
 * Lambda entry point of the customer profile sync (queue `customers`): wiring only. Each SQS record
 * goes to {@link syncCustomer}; failures are reported per record by the shared batch handler.
 */
import { DeleteEndpointCommand, NotFoundException } from "@aws-sdk/client-sns";
import { sqsBatchHandler } from "../common/batch.ts";
import { dynamo } from "../common/clients/dynamodb.ts";
import { sns } from "../common/clients/sns.ts";
import { createLogger } from "../common/logger.ts";
import { tableName } from "../common/tables.ts";
import { syncCustomer, type SyncDependencies } from "./core.ts";
import { dynamoProfileSyncStore } from "./store.ts";

const logger = createLogger("customers");

let built: SyncDependencies | undefined;
function dependencies(): SyncDependencies {
  built ??= {
    store: dynamoProfileSyncStore({ client: dynamo(), tableName: tableName("profiles") }),
    deleteEndpoint: async (endpointArn) => {
      try {
        await sns().send(new DeleteEndpointCommand({ EndpointArn: endpointArn }));
      } catch (error) {
        // SNS answers DeleteEndpoint on a missing endpoint with success; a NotFound says the same.
        if (!(error instanceof NotFoundException)) throw error;
      }
    },
    // Ids and field names only: the values are personal data.
    report: (outcome) => logger.info("customer event", { ...outcome }),
  };
  return built;
}

/** SQS batch handler with partial batch failures. */
export const handler = sqsBatchHandler(logger, (record) => syncCustomer(record.body, dependencies()));
