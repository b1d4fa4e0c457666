/**
 * The subscription an invoice bills, read from either API layout: a module of its own, without the
 * schemas of `stripe-objects.ts`, so that code which only reads an already decoded invoice does not
 * build them. Building them is most of what loading that module costs (zod constructs every schema
 * as the module is evaluated), and a bundle evaluates every module it imports at each cold start:
 * the loyalty milestones, VIP and engagement email functions reach this through the notifications
 * store and decode no Stripe event (docs/performance.md, session 11).
 */
import type { Invoice } from "./stripe-objects.ts";

/** The subscription an invoice bills and its metadata, in either API layout. */
export function invoiceSubscription(inv: Pick<Invoice, "parent" | "subscription" | "subscription_details">): { id: string | null; metadata: Record<string, string> } {
  const current = inv.parent?.subscription_details;
  return {
    id: current?.subscription ?? inv.subscription ?? null,
    metadata: current?.metadata ?? inv.subscription_details?.metadata ?? {},
  };
}
