/**
 * The webhook bridge's Lambda, behind a function URL: verified Stripe webhooks in, the same events
 * the partner event source delivers out, on the bus the rules listen on.
 */
import { OVERSIZED_WEBHOOK_EVENTS_METRIC } from "../common/metrics.ts";
import { createMetrics } from "../common/immediate-metrics.ts";
import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { eventBridge } from "../common/clients/eventbridge.ts";
import { createLogger } from "../common/logger.ts";
import { BridgeConfigError, loadBridgeSettings, type BridgeConfig, type BridgeSettings } from "./config.ts";
import {
  answerMisconfigured,
  answerPutEvents,
  answerPutEventsError,
  answerSecretUnavailable,
  verifyAndBuild,
  type Answer,
  type RejectDecision,
} from "./core.ts";
import { SecretUnavailableError, secretReader } from "./secrets.ts";

const logger = createLogger("ingest");
const metrics = createMetrics("ingest");

/** A Lambda function URL handler. */
export type WebhookHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

function respond(answer: Answer): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: answer.status,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(answer.body),
  };
}

function reportRejection(decision: RejectDecision): void {
  const details = {
    reason: decision.reason,
    status: decision.status,
    eventId: decision.event?.id,
    eventType: decision.event?.type,
    detail: decision.body,
  };
  if (decision.reason !== "oversized") {
    logger.warn("webhook refused", details);
    return;
  }
  // Nothing will ever publish this event as configured: alarm rather than let it retry quietly.
  logger.error("webhook event over the PutEvents entry limit, not published", { ...details, entryBytes: decision.entryBytes });
  metrics.addMetric(OVERSIZED_WEBHOOK_EVENTS_METRIC, MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
}

/** The bridge for one configuration; {@link handler} builds it from the environment. */
export function createWebhookHandler(config: BridgeConfig): WebhookHandler {
  return async (event) => {
    const rawBody = Buffer.from(event.body ?? "", event.isBase64Encoded ? "base64" : "utf8");
    const receivedAt = new Date(event.requestContext.timeEpoch ?? Date.now());
    const decision = verifyAndBuild(rawBody, event.headers, config, receivedAt);
    if (decision.outcome === "reject") {
      reportRejection(decision);
      return respond(decision);
    }

    let answer: Answer;
    try {
      const output = await eventBridge().send(new PutEventsCommand({ Entries: [decision.entry] }));
      answer = answerPutEvents(decision, output);
    } catch (error) {
      answer = answerPutEventsError(decision, error);
    }
    const details = { eventId: decision.event.id, eventType: decision.event.type, entryBytes: decision.entryBytes };
    if (answer.status === 200) logger.info("webhook event published", details);
    else logger.error("webhook event not published", { ...details, detail: answer.body });
    return respond(answer);
  };
}

/**
 * The bridge for `settings`: each request gets the signing secrets from their source (the
 * environment, or Secrets Manager through its cache), then {@link createWebhookHandler}'s answer.
 */
export function createConfiguredHandler(settings: BridgeSettings): WebhookHandler {
  const readSecrets = secretReader(settings.secretSource);
  return async (event) => {
    let config: BridgeConfig;
    try {
      config = { ...settings, webhookSecrets: await readSecrets() };
    } catch (error) {
      if (error instanceof SecretUnavailableError) {
        logger.error("webhook secret unavailable", { error: error.message });
        return respond(answerSecretUnavailable(error));
      }
      if (!(error instanceof BridgeConfigError)) throw error;
      logger.error("webhook bridge misconfigured", { error: error.message });
      return respond(answerMisconfigured(error));
    }
    return createWebhookHandler(config)(event);
  };
}

let configured: WebhookHandler | undefined;

/** The Lambda entry point: settings from the environment, read on first use. */
export const handler: WebhookHandler = async (event) => {
  try {
    configured ??= createConfiguredHandler(loadBridgeSettings());
  } catch (error) {
    if (!(error instanceof BridgeConfigError)) throw error;
    logger.error("webhook bridge misconfigured", { error: error.message });
    return respond(answerMisconfigured(error));
  }
  return configured(event);
};
