/** The paybus event contract: EventBridge envelope, Stripe events and objects, money, routing. */
export * from "./envelope.ts";
export * from "./errors.ts";
export * from "./money.ts";
export * from "./parse.ts";
export * from "./ranges.ts";
export * from "../declarations/rules.ts";
export * from "./stripe-customer-objects.ts";
export * from "./stripe-event.ts";
export * from "./stripe-objects.ts";
export * from "./loyalty-events.ts";
