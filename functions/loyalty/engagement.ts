/**
 * Starting the engagement workflow for a credited purchase: once per purchase, whatever the
 * redeliveries, because the execution name is derived from the purchase and Step Functions refuses
 * a second execution with the same name.
 */
import { StartExecutionCommand, type SFNClient } from "@aws-sdk/client-sfn";
import { engagementInput, type EngagementInput } from "../../events/engagement-input.ts";
import { stateMachineArnEnvVar } from "../common/environment.ts";
import type { AwardedPurchase } from "./ledger.ts";

/** The environment variable with the engagement state machine's ARN. */
export const ENGAGEMENT_ARN_ENV = stateMachineArnEnvVar("engagement");

/** The ARN is needed and not configured: no record can succeed until it is. */
export class MissingStateMachineArnError extends Error {
  override name = "MissingStateMachineArnError";
}

/** The engagement state machine ARN from the environment. */
export function engagementStateMachineArn(env: NodeJS.ProcessEnv = process.env): string {
  const arn = env[ENGAGEMENT_ARN_ENV];
  if (!arn) throw new MissingStateMachineArnError(`${ENGAGEMENT_ARN_ENV} is not set: the engagement workflow cannot start`);
  return arn;
}

/**
 * The execution name for a purchase: `purchase-<id>`, limited to what Step Functions accepts
 * (80 characters of letters, digits, `-` and `_`).
 */
export function executionNameFor(purchaseId: string): string {
  return `purchase-${purchaseId.replace(/[^A-Za-z0-9_-]/g, "_")}`.slice(0, 80);
}

/** The workflow input, built only from what the ledger stored, so that every delivery builds the same one. */
export function engagementInputFor(purchase: AwardedPurchase): EngagementInput {
  const promoted = purchase.promotedTo !== undefined && purchase.promotedFrom !== undefined;
  return engagementInput.parse({
    purchaseId: purchase.purchaseId,
    customerId: purchase.customerId,
    stripeCustomerId: purchase.stripeCustomerId ?? null,
    pointsEarned: purchase.points,
    amount: purchase.amount,
    currency: purchase.currency,
    tierChanged: promoted,
    previousTier: promoted ? purchase.promotedFrom : null,
    newTier: promoted ? purchase.promotedTo : null,
    occurredAt: new Date(purchase.occurredAt * 1000).toISOString(),
  });
}

/** Starts the engagement workflow for a purchase; an execution already started counts as started. */
export async function startEngagement(
  client: SFNClient,
  stateMachineArn: string,
  purchase: AwardedPurchase,
): Promise<{ readonly executionName: string; readonly alreadyStarted: boolean }> {
  const executionName = executionNameFor(purchase.purchaseId);
  const input = engagementInputFor(purchase);
  try {
    await client.send(new StartExecutionCommand({ stateMachineArn, name: executionName, input: JSON.stringify(input) }));
    return { executionName, alreadyStarted: false };
  } catch (error) {
    // Same name and input as a running execution succeeds; a finished one (or another input) is
    // refused with ExecutionAlreadyExists. Either way this purchase's workflow exists.
    if ((error as { name?: string }).name === "ExecutionAlreadyExists") return { executionName, alreadyStarted: true };
    throw error;
  }
}
