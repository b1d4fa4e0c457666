/**
 * Reads what the engines hold into the dashboard's view models: DLQ messages, balances with their
 * ledger, profiles with their devices, the outbox, workflow executions and waiting task tokens.
 * Storage is read with the real AWS SDK from the local DynamoDB; everything else comes from the
 * runtime's engines.
 */
import { DynamoDBDocumentClient, paginateScan, type ScanCommandInput } from "@aws-sdk/lib-dynamodb";
import type { PurchaseRecord } from "../functions/loyalty/ledger.ts";
import { dlqListing } from "../local/admin.ts";
import type { Runtime } from "../local/runtime.ts";
import { localDynamoClient, loyaltySnapshot } from "../local/state.ts";
import type { ExecutionRecord } from "../local/stepfunctions/index.ts";
import { litEdges } from "./asl.ts";
import { moneyText, summarizeText } from "./events.ts";
import { machineName } from "./flow.ts";
import { profileViews } from "./profiles.ts";
import { outboxEmails, outboxPushes, type EngagementClaim, type EngagementExecution, type NoticeSend } from "./outbox.ts";
import type { CustomerView, DashboardState, DlqView, ExecutionView, Graph, LedgerEntryView, TaskTokenView } from "./protocol.ts";

const isoSeconds = (epochSeconds: number | undefined) => (epochSeconds === undefined ? undefined : new Date(epochSeconds * 1000).toISOString());

function ledgerEntry(purchase: PurchaseRecord): LedgerEntryView {
  const money = (amount: number) => (purchase.currency ? moneyText(amount, purchase.currency) : undefined);
  return {
    purchaseId: purchase.purchaseId,
    status: purchase.status,
    amountText: purchase.amount === undefined ? undefined : money(purchase.amount),
    points: purchase.points ?? 0,
    reversedPoints: purchase.reversedPoints,
    refundedText: purchase.refundedAmount > 0 ? money(purchase.refundedAmount) : undefined,
    chargedBack: purchase.chargedBack,
    promotedTo: purchase.promotedTo,
    skipReason: purchase.skipReason,
    stripeEventId: purchase.sourceEvent?.eventId,
    eventType: purchase.sourceEvent?.eventType,
    occurredAt: isoSeconds(purchase.occurredAt),
  };
}

/** `arn:…:execution:paybus-engagement:purchase-pi_…` -> `purchase-pi_…`. */
const executionName = (arn: string) => arn.split(":").pop() ?? arn;

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
    const [loyalty, notices, claims, profiles, emails] = await Promise.all([
      loyaltySnapshot(runtime, this.client),
      this.scan({ TableName: runtime.tableNames.notifications, FilterExpression: "#status = :sent", ExpressionAttributeNames: { "#status": "status" }, ExpressionAttributeValues: { ":sent": "sent" } }),
      this.scan({ TableName: runtime.tableNames.loyalty, FilterExpression: "begins_with(pk, :engagement) AND begins_with(sk, :email)", ExpressionAttributeValues: { ":engagement": "ENGAGEMENT#", ":email": "EMAIL#" } }),
      this.scan({ TableName: runtime.tableNames.profiles }),
      runtime.ses.emails(),
    ]);
    const purchaseEvents = new Map(loyalty.purchases.flatMap((p) => (p.sourceEvent ? [[p.purchaseId, p.sourceEvent] as const] : [])));
    const executions = runtime.sfn.executions();
    const sources = {
      emails,
      pushes: runtime.sns.outbox,
      notices: notices.map((item): NoticeSend => ({ messageId: String(item.messageId), stripeEventId: String(item.eventId) })),
      claims: claims.map((item): EngagementClaim => ({ executionName: String(item.pk).slice("ENGAGEMENT#".length), template: String(item.sk).slice("EMAIL#".length) })),
      executions: executions.map((e): EngagementExecution => ({ name: e.name, input: (e.input ?? {}) as EngagementExecution["input"] })),
      purchaseEvents,
      profiles: new Map(profiles.map((item) => [String(item.pk), { name: item.name as string | undefined, locale: item.locale as string | undefined }])),
      eventTypes,
      sendTimes: runtime.journal.list("effect.email"),
    };
    return {
      dlq: this.dlq(),
      customers: loyalty.customers.map(
        (balance): CustomerView => ({
          ...balance,
          ledger: loyalty.purchases
            .filter((purchase) => purchase.customerId === balance.customerId)
            .sort((a, b) => (a.occurredAt ?? 0) - (b.occurredAt ?? 0))
            .map(ledgerEntry),
        }),
      ),
      profiles: profileViews(profiles, (arn) => {
        const enabled = runtime.sns.registry.findEndpoint(arn)?.attributes.Enabled;
        return enabled === undefined ? undefined : enabled === "true";
      }),
      emails: outboxEmails(sources),
      pushes: outboxPushes(sources),
      executions: executions.map((execution) => this.execution(execution, purchaseEvents)).reverse(),
      tokens: runtime.sfn.pendingTaskTokens().map(
        (token): TaskTokenView => ({ token: token.token, executionArn: token.executionArn, executionName: executionName(token.executionArn), stateName: token.stateName }),
      ),
    };
  }

  private dlq(): DlqView[] {
    return dlqListing(this.runtime).map(({ queue, messages }) => ({
      queue,
      messages: messages.map((message) => {
        let eventId: string | undefined;
        try {
          const id = (JSON.parse(message.body) as { id?: unknown }).id;
          if (typeof id === "string") eventId = id;
        } catch {
          // A body that is not JSON still deserves a line in the DLQ.
        }
        return { messageId: message.messageId, receiveCount: message.receiveCount, error: message.error, eventId, summary: summarizeText(message.body) };
      }),
    }));
  }

  private execution(execution: ExecutionRecord, purchaseEvents: ReadonlyMap<string, { eventId: string }>): ExecutionView {
    const machine = machineName(execution.stateMachineArn, this.runtime.prefix);
    const graph = this.graphs[machine];
    const purchaseId = (execution.input as { purchaseId?: unknown } | undefined)?.purchaseId;
    return {
      executionArn: execution.executionArn,
      name: execution.name,
      stateMachine: machine,
      status: execution.status,
      startDate: execution.startDate.toISOString(),
      stopDate: execution.stopDate?.toISOString(),
      path: execution.path,
      litEdges: graph ? litEdges(graph, execution.path) : [],
      error: execution.error,
      cause: execution.cause,
      ...(typeof purchaseId === "string" ? { purchaseId, stripeEventId: purchaseEvents.get(purchaseId)?.eventId } : {}),
    };
  }

  close(): void {
    this.client.destroy();
  }
}
