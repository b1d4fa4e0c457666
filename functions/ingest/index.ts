/** The webhook bridge: the Lambda handler, its configuration, and what the local runtime mounts. */
export { handler, createWebhookHandler, type WebhookHandler } from "./handler.ts";
export { loadBridgeConfig, BridgeConfigError, type BridgeConfig } from "./config.ts";
export { WEBHOOK_PATH, toFunctionUrlEvent } from "./function-url.ts";
