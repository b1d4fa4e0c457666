/**
 * One paybus stage: builds the plan from the declarations and the stage's configuration, then
 * creates it context by context. The order matters only where a resource needs another's ARN.
 */
import { createAlarms } from "./alarms.ts";
import { createConsumers } from "./consumers.ts";
import { createDeviceApi } from "./customers.ts";
import { createWebhookBridge } from "./ingest.ts";
import { createLoyaltyApi } from "./loyalty-api.ts";
import { createChannels } from "./notifications.ts";
import { buildPlan } from "./plan.ts";
import { createPromotionsApi } from "./promotions.ts";
import { resolveStage, type StageConfig } from "./stage-config.ts";
import { Registry } from "./registry.ts";
import { createBus, createRules } from "./routing.ts";
import { stages } from "./stages.ts";
import { createTables } from "./storage.ts";
import { createWorkflows } from "./workflows.ts";

/**
 * Deploys the stage with its configuration from `stacks/stages.ts` (or `config`, as the resource
 * graph tests do); the returned outputs are printed by `sst deploy`.
 */
export function deploy(stage: string, config: StageConfig = resolveStage(stage, stages)) {
  const registry = new Registry(buildPlan(config));
  createTables(registry);
  const { emailIdentity } = createChannels(registry);
  const bus = createBus(registry);
  createWorkflows(registry);
  const queues = createConsumers(registry);
  createRules(registry, bus, queues);
  const webhookUrl = createWebhookBridge(registry);
  const deviceApiUrl = createDeviceApi(registry);
  const promotionsApiUrl = createPromotionsApi(registry);
  const loyaltyApiUrl = createLoyaltyApi(registry);
  const alarms = createAlarms(registry);
  return {
    eventBus: bus.name,
    ...(webhookUrl ? { webhookUrl } : {}),
    ...(deviceApiUrl ? { deviceApiUrl } : {}),
    ...(promotionsApiUrl ? { promotionsApiUrl } : {}),
    ...(loyaltyApiUrl ? { loyaltyApiUrl } : {}),
    emailIdentity: emailIdentity.emailIdentity,
    alarmTopic: alarms.arn,
  };
}
