/**
 * The local services, in start order: a service may use those before it (through
 * `context.runtime`). They become ready in this order and stop in the reverse one.
 * Adding a service: a file in this folder exporting a {@link LocalService}, and an entry here.
 */
import type { LocalService } from "../service.ts";
import { dynamodbService } from "./dynamodb.ts";
import { eventBridgeService } from "./eventbridge.ts";
import { functionUrlsService } from "./function-urls.ts";
import { lambdaService } from "./lambda.ts";
import { sesService } from "./ses.ts";
import { snsService } from "./sns.ts";
import { sqsService } from "./sqs.ts";
import { stepFunctionsService } from "./stepfunctions.ts";
import { stripeService } from "./stripe.ts";

export const localServices = [
  stripeService,
  dynamodbService,
  sesService,
  snsService,
  sqsService,
  lambdaService,
  stepFunctionsService,
  eventBridgeService,
  functionUrlsService,
] as const satisfies readonly LocalService[];

export { dynamodbService, eventBridgeService, functionUrlsService, lambdaService, sesService, snsService, sqsService, stepFunctionsService, stripeService };
