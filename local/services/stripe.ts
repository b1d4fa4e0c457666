/** The Stripe API endpoints the functions call (tier rewards), served at `/v1/…` on the gateway. */
import { join } from "node:path";
import { defineService } from "../service.ts";
import { LocalStripe } from "../stripe.ts";

export const stripeService = defineService({
  name: "stripe",
  async start({ durableDir }) {
    // Kept in memory for one-shot runs (`inMemory`), like the tables.
    const stripe = new LocalStripe(durableDir ? join(durableDir, "stripe", "objects.jsonl") : undefined);
    // Objects are appended to their file as they are created: only the file is left to close.
    return { handle: stripe, routes: [stripe.gatewayRoute()], stop: async () => stripe.close() };
  },
});
