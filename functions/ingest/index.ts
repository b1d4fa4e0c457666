/** The webhook bridge: the Lambda handler, its configuration, and what the local runtime mounts. */
export { handler, createConfiguredHandler, createWebhookHandler, type WebhookHandler } from "./handler.ts";
export { loadBridgeConfig, loadBridgeSettings, BridgeConfigError, type BridgeConfig, type BridgeSettings, type SecretSource } from "./config.ts";
export { SECRET_MAX_AGE_SECONDS, SecretUnavailableError, secretReader } from "./secrets.ts";
