/**
 * What the dashboard server sends the page: view models only, already formatted where formatting
 * needs the server's knowledge (money in its currency, graph layouts). The browser code and the
 * server both import these types; this module imports only `local/lifecycle-types.ts`, which
 * imports nothing, so that it compiles for either.
 */

import type { Destination, EventStatus } from "../local/lifecycle-types.ts";

// The lifecycle projection's shapes, shared with the page (that module imports nothing either).
export type { Destination, DestinationState, EventStatus } from "../local/lifecycle-types.ts";

/** What an envelope says about itself, for people. */
export interface EventSummary {
  readonly type: string;
  readonly stripeEventId?: string | undefined;
  /** The Stripe object's id (`in_…`, `pi_…`, `ch_…`). */
  readonly objectId?: string | undefined;
  /** Stripe customer (`cus_…`). */
  readonly customer?: string | undefined;
  /** The app's own customer id (`metadata.customer_id`), which the loyalty program uses. */
  readonly appCustomer?: string | undefined;
  /** Integer minor units and ISO currency, as Stripe sent them. */
  readonly amount?: { readonly amount: number; readonly currency: string } | undefined;
  /** The amount formatted in its currency (`$20.00`, `¥4,800`, `KWD 12.350`). */
  readonly amountText?: string | undefined;
}

/** One line of the event stream: an accepted or rejected event. */
export interface EventRow extends EventSummary {
  /** The envelope id for accepted events; `rejected-<seq>` for rejected ones. */
  readonly id: string;
  readonly seq: number;
  /** When the bus answered (ISO 8601). */
  readonly at: string;
  readonly status: EventStatus;
  readonly source?: string | undefined;
  readonly replayName?: string | undefined;
  readonly rules: string[];
  readonly destinations: Destination[];
  /** Why the bus refused it, or the last consumer error. */
  readonly error?: string | undefined;
}

export type TimelineTone = "info" | "good" | "warn" | "bad";

/** One step of an event's way through the pipeline. */
export interface TimelineItem {
  readonly at: string;
  readonly stage: "bus" | "target" | "consumer" | "dlq" | "effect" | "workflow";
  readonly title: string;
  readonly detail?: string | undefined;
  readonly tone: TimelineTone;
}

/** What caused an email or a push: the Stripe event and, for workflow emails, the execution. */
export interface Cause {
  readonly stripeEventId: string;
  readonly eventType?: string | undefined;
  readonly via: "notification" | "workflow";
  readonly executionName?: string | undefined;
}

export interface EmailView {
  readonly messageId: string;
  readonly to: string[];
  readonly subject: string;
  /** ISO 8601. */
  readonly at: string;
  readonly hasHtml: boolean;
  readonly cause?: Cause | undefined;
}

export interface PushView {
  readonly messageId: string;
  /** The device endpoint, shortened to `<app>/<id>`. */
  readonly endpoint: string;
  readonly title?: string | undefined;
  readonly body?: string | undefined;
  readonly at: string;
  readonly cause?: Cause | undefined;
}

export interface LedgerEntryView {
  readonly purchaseId: string;
  readonly status: string;
  readonly amountText?: string | undefined;
  readonly points: number;
  readonly reversedPoints: number;
  readonly refundedText?: string | undefined;
  readonly chargedBack: boolean;
  readonly promotedTo?: string | undefined;
  readonly skipReason?: string | undefined;
  readonly stripeEventId?: string | undefined;
  readonly eventType?: string | undefined;
  /** When the purchase happened (ISO 8601). */
  readonly occurredAt?: string | undefined;
}

export interface CustomerView {
  readonly customerId: string;
  readonly tier: string;
  readonly points: number;
  readonly lifetimePoints: number;
  readonly purchases: number;
  readonly ledger: LedgerEntryView[];
  /** Every change of the balance (`dashboard/rewards.ts`), newest first, at most {@link MAX_ACCOUNT_ENTRIES}. */
  readonly entries: AccountEntryView[];
}

/** How many ledger entries a customer's view carries (the loyalty API pages through the rest). */
export const MAX_ACCOUNT_ENTRIES = 100;

/** One ledger entry (`functions/loyalty/entries.ts`): earn, reverse, restore, redeem, adjust or expire. */
export interface AccountEntryView {
  readonly entryId: string;
  readonly kind: string;
  /** Signed change of the spendable balance. */
  readonly delta: number;
  /** ISO 8601. */
  readonly at: string;
  /** The purchase, the caller's reference, or an adjustment's reason and actor (addresses redacted). */
  readonly note?: string | undefined;
  /** For a lot: when it expires, and what it took when it did. */
  readonly expiresAt?: string | undefined;
  readonly expiredPoints?: number | undefined;
}

/** A promotion window of the `promotions` table, and where it stands now. */
export interface PromotionView {
  readonly name: string;
  readonly description?: string | undefined;
  readonly start: string;
  readonly end: string;
  readonly multiplier: number;
  readonly combine: string;
  /** The window's conditions in words (`usd, jpy · premium only`); absent when it applies to every purchase. */
  readonly conditions?: string | undefined;
  readonly state: "active" | "scheduled" | "ended";
}

/** A tier reward the local Stripe emulator holds: a customer balance credit or a promotion code. */
export interface StripeRewardView {
  readonly id: string;
  readonly kind: "credit" | "promotion-code";
  /** The Stripe customer (`cus_…`). */
  readonly customer: string | null;
  /** The programme's customer id and tier, from the object's metadata. */
  readonly customerId?: string | undefined;
  readonly tier?: string | undefined;
  /** A credit's amount (`$5.00`). */
  readonly amountText?: string | undefined;
  /** A promotion code, all but its first characters masked: it is a discount the customer may spend. */
  readonly code?: string | undefined;
  readonly created: string;
  readonly expiresAt?: string | undefined;
}

/** A push device of a profile: an SNS platform endpoint. */
export interface DeviceView {
  /** The endpoint, shortened to `<app>/<id>` as pushes show it. */
  readonly endpoint: string;
  /** `GCM`, `APNS`, `APNS_SANDBOX`. */
  readonly platform: string;
  /** The endpoint's `Enabled` attribute; `missing` when SNS no longer has the endpoint. */
  readonly state: "enabled" | "disabled" | "missing";
  /** Registered through the device API (else a plain endpoint on the profile, e.g. seeded). */
  readonly registered: boolean;
}

/** A customer profile (the `profiles` table). */
export interface ProfileView {
  readonly customerId: string;
  /** Redacted (`j***@example.com`); absent when the profile has no email. */
  readonly email?: string | undefined;
  readonly locale?: string | undefined;
  /** The Connect account, for a connected account's customer. */
  readonly account?: string | undefined;
  /** Erased after Stripe's `customer.deleted`. */
  readonly deleted: boolean;
  readonly devices: DeviceView[];
}

export interface QueueView {
  readonly queue: string;
  readonly ready: number;
  readonly inFlight: number;
  readonly delayed: number;
  readonly dlq: number;
}

export interface DlqMessageView {
  readonly messageId: string;
  readonly receiveCount: number;
  readonly error?: string | undefined;
  /** Envelope id, to open the event. */
  readonly eventId?: string | undefined;
  readonly summary: EventSummary;
}

export interface DlqView {
  readonly queue: string;
  readonly messages: DlqMessageView[];
}

export interface ExecutionView {
  readonly executionArn: string;
  readonly name: string;
  readonly stateMachine: string;
  readonly status: string;
  readonly startDate: string;
  readonly stopDate?: string | undefined;
  readonly path: string[];
  /** Edge ids of the machine's graph that this execution went along. */
  readonly litEdges: string[];
  readonly error?: string | undefined;
  readonly cause?: string | undefined;
  /** The purchase and the Stripe event that started it, when known. */
  readonly purchaseId?: string | undefined;
  readonly stripeEventId?: string | undefined;
}

export interface TaskTokenView {
  readonly token: string;
  readonly executionArn: string;
  readonly executionName: string;
  readonly stateName: string;
}

/** The state of everything the engines hold, refreshed as the pipeline works. */
export interface DashboardState {
  readonly dlq: DlqView[];
  readonly customers: CustomerView[];
  readonly promotions: PromotionView[];
  readonly stripeRewards: StripeRewardView[];
  readonly profiles: ProfileView[];
  readonly emails: EmailView[];
  readonly pushes: PushView[];
  readonly executions: ExecutionView[];
  readonly tokens: TaskTokenView[];
}

/** A node of a drawn graph; coordinates are the top-left corner, in SVG user units. */
/** How the page fits a node's label: at most this many px a character at its font, plus padding. */
export const LABEL_FONT = { charPx: 7.2, paddingPx: 16 } as const;

/** The characters of a label that fit in a node `width` px wide ({@link LABEL_FONT}). */
export const labelCapacity = (width: number): number => Math.floor((width - LABEL_FONT.paddingPx) / LABEL_FONT.charPx);

export interface GraphNode {
  readonly id: string;
  readonly kind: string;
  readonly label: string;
  readonly sublabel?: string | undefined;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** For group nodes (a Parallel state): drawn behind their children. */
  readonly group?: boolean;
}

export interface GraphEdge {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly kind: string;
  /** SVG path data. */
  readonly path: string;
  readonly label?: string | undefined;
  /** Where the label (or live counts) go. */
  readonly labelX: number;
  readonly labelY: number;
}

export interface Graph {
  readonly width: number;
  readonly height: number;
  readonly nodes: GraphNode[];
  readonly edges: GraphEdge[];
}

/** Live counts on one edge of the flow graph. */
export interface EdgeStats {
  readonly count: number;
  readonly failed: number;
  /** Over the last minute. */
  readonly perMinute: number;
}

/** Live figures of the flow view. */
export interface FlowStats {
  readonly edges: Record<string, EdgeStats>;
  readonly queues: QueueView[];
  readonly bus: { readonly accepted: number; readonly rejected: number; readonly unmatched: number };
  readonly effects: { readonly emails: number; readonly pushes: number };
  readonly workflows: Record<string, { readonly running: number; readonly succeeded: number; readonly failed: number }>;
}

/** Everything the page needs when it connects. */
export interface InitMessage {
  readonly busName: string;
  readonly gateway: string;
  readonly flowGraph: Graph;
  /** State machine name -> its ASL drawn as a graph. */
  readonly workflowGraphs: Record<string, Graph>;
  readonly fixtures: string[];
  readonly rows: EventRow[];
  readonly flow: FlowStats;
  readonly state: DashboardState | null;
}

/** Server-sent events: the event name and its JSON data. */
export interface StreamMessages {
  readonly init: InitMessage;
  readonly rows: EventRow[];
  readonly flow: FlowStats;
  readonly state: DashboardState;
  readonly problem: { readonly message: string };
}

/** `GET /dashboard/api/events/<id>`. */
export interface EventDetail {
  readonly row: EventRow;
  /** The envelope, pretty-printed; absent when it could not be found. */
  readonly json?: string | undefined;
  /** This delivery's way through the pipeline. */
  readonly timeline: TimelineItem[];
  /**
   * What the Stripe event caused (emails, pushes, workflows), whichever delivery of it did: effects
   * happen once per Stripe event, however often it is delivered.
   */
  readonly effects: TimelineItem[];
  /** How many times the bus accepted this Stripe event (redeliveries and replays included). */
  readonly deliveries: number;
}
