import * as z from "zod";

/**
 * The EventBridge envelope around every event a rule target receives. `replay-name` is present
 * only on events re-sent by an archive replay.
 */
export const eventBridgeEnvelope = z.object({
  version: z.string(),
  id: z.string().min(1),
  "detail-type": z.string().min(1),
  source: z.string().min(1),
  account: z.string(),
  time: z.iso.datetime(),
  region: z.string(),
  resources: z.array(z.string()),
  detail: z.unknown(),
  "replay-name": z.string().optional(),
});

export type EventBridgeEnvelope = z.infer<typeof eventBridgeEnvelope>;
