/**
 * The functions' URLs, as the stacks deploy them: the Stripe webhook bridge (`/stripe/webhook`), and
 * the IAM-authenticated device, promotions and loyalty APIs (`/devices`, `/promotions`, `/loyalty`),
 * each invoking its function with the event a Lambda function URL delivers. Starts after the Lambda
 * host, whose functions they invoke.
 */
import { devicesRoute } from "../devices.ts";
import { loyaltyApiRoute } from "../loyalty-api.ts";
import { promotionsRoute } from "../promotions.ts";
import { defineService } from "../service.ts";
import { webhookRoute } from "../webhook.ts";

export const functionUrlsService = defineService({
  name: "function-urls",
  async start({ runtime }) {
    const routes = [webhookRoute(runtime), devicesRoute(runtime), promotionsRoute(runtime), loyaltyApiRoute(runtime)];
    // Routes hold nothing of their own: invocations end with the Lambda host.
    return { handle: routes, routes, stop: async () => undefined };
  },
});
