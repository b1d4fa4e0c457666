/** The functions' EventBridge client (see `../clients.ts` for how clients are built and why one module per service). */
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { cached, once, prepared } from "../clients.ts";

export const eventBridge = /* @__PURE__ */ once(() => prepared(new EventBridgeClient(cached())));
