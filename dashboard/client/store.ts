/**
 * The page's state: what the server streamed, plus a change feed the views render from. Updates
 * are coalesced into one render per animation frame, however many messages arrive.
 */
import type { DashboardState, EventRow, FlowStats, InitMessage } from "../protocol.ts";

export type Connection = "connecting" | "live" | "offline";

export interface Store {
  init: InitMessage | undefined;
  readonly rows: Map<string, EventRow>;
  /** Bumped whenever rows arrive, so views can tell without comparing them all. */
  rowsVersion: number;
  flow: FlowStats | undefined;
  state: DashboardState | null;
  connection: Connection;
  /** The last problem the server reported, shown until the next good state. */
  problem: string | undefined;
}

export const store: Store = { init: undefined, rows: new Map(), rowsVersion: 0, flow: undefined, state: null, connection: "connecting", problem: undefined };

const listeners = new Set<() => void>();
let scheduled = false;

/** Applies a change and schedules one render for the next frame. */
export function update(change: (store: Store) => void): void {
  change(store);
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    for (const listener of listeners) listener();
  });
}

export function onUpdate(listener: () => void): void {
  listeners.add(listener);
}

/** Rows newest first. */
export function rowsNewestFirst(): EventRow[] {
  return [...store.rows.values()].sort((a, b) => b.seq - a.seq);
}

/** The newest row of a Stripe event (the first delivery and any redelivery share the id). */
export function rowForStripeEvent(stripeEventId: string): EventRow | undefined {
  return rowsNewestFirst().find((row) => row.stripeEventId === stripeEventId);
}
