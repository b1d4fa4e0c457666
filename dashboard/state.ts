/**
 * The dashboard's state snapshot: what the engines hold, read once and handed to each view's read
 * model (DLQs `dlq.ts`, Loyalty `loyalty.ts` and `rewards.ts`, Customers `profiles.ts`, Outbox `outbox.ts`,
 * Workflows `workflows.ts`). Storage is read with the real AWS SDK from the local DynamoDB; what
 * the runtime observed (each send's message id and cause) comes from its journal.
 */
import { DynamoDBDocumentClient, paginateScan, type ScanCommandInput } from "@aws-sdk/lib-dynamodb";
import { PromotionStore } from "../functions/loyalty/promotions.ts";
import { lifecyclesOf } from "../local/lifecycle.ts";
import type { Runtime } from "../local/runtime.ts";
import { localDynamoClient, loyaltySnapshot } from "../local/state.ts";
import { dlqViews } from "./dlq.ts";
import { loyaltyViews, purchaseEvents } from "./loyalty.ts";
import { outboxEmails, outboxPushes, type EngagementExecution, type NoticeSend } from "./outbox.ts";
import { profileViews } from "./profiles.ts";
import { promotionViews, stripeRewardViews } from "./rewards.ts";
import type { DashboardState, Graph } from "./protocol.ts";
import { workflowViews } from "./workflows.ts";

/** The dashboard's reads, with one DynamoDB client for its lifetime. */
export class StateReader {
  private readonly client: DynamoDBDocumentClient;

  constructor(
    private readonly runtime: Runtime,
    /** State machine name -> its drawn ASL, to light the path of each execution. */
    private readonly graphs: Readonly<Record<string, Graph>>,
  ) {
    this.client = localDynamoClient(runtime);
  }

  private async scan(input: ScanCommandInput): Promise<Record<string, any>[]> {
    const items: Record<string, any>[] = [];
    for await (const page of paginateScan({ client: this.client }, input)) items.push(...(page.Items ?? []));
    return items;
  }

  /** Everything the views show; `eventTypes` names the Stripe events the stream has seen. */
  async read(eventTypes: ReadonlyMap<string, string>): Promise<DashboardState> {
    const { runtime } = this;
    const [loyalty, notices, profiles, emails, promotions] = await Promise.all([
      loyaltySnapshot(runtime, this.client, { entries: true }),
      // Pushes are tied to their event by the message id the notifications consumer records.
      this.scan({ TableName: runtime.tableNames.notifications, FilterExpression: "#status = :sent", ExpressionAttributeNames: { "#status": "status" }, ExpressionAttributeValues: { ":sent": "sent" } }),
      this.scan({ TableName: runtime.tableNames.profiles }),
      runtime.ses.emails(),
      // The set as the promotions API keeps it, read by the store that owns its layout.
      new PromotionStore(this.client, runtime.tableNames.promotions).read(),
    ]);
    const purchases = purchaseEvents(loyalty);
    const executions = runtime.sfn.executions();
    const sources = {
      emails,
      sends: lifecyclesOf(runtime).emails(),
      pushes: runtime.sns.outbox,
      notices: notices.map((item): NoticeSend => ({ messageId: String(item.messageId), stripeEventId: String(item.eventId) })),
      executions: executions.map((e): EngagementExecution => ({ name: e.name, input: (e.input ?? {}) as EngagementExecution["input"] })),
      purchaseEvents: purchases,
      eventTypes,
    };
    return {
      dlq: dlqViews(runtime),
      customers: loyaltyViews(loyalty),
      promotions: promotionViews(promotions.promotions, Date.now()),
      stripeRewards: stripeRewardViews(runtime.stripe.balanceTransactions(), runtime.stripe.promotionCodes()),
      profiles: profileViews(profiles, (arn) => {
        const enabled = runtime.sns.registry.findEndpoint(arn)?.attributes.Enabled;
        return enabled === undefined ? undefined : enabled === "true";
      }),
      emails: outboxEmails(sources),
      pushes: outboxPushes(sources),
      ...workflowViews(runtime, executions, this.graphs, purchases),
    };
  }

  close(): void {
    this.client.destroy();
  }
}
