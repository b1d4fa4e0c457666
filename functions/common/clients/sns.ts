/** The functions' SNS client (see `../clients.ts` for how clients are built and why one module per service). */
import { SNSClient } from "@aws-sdk/client-sns";
import { cached, once, prepared } from "../clients.ts";

export const sns = /* @__PURE__ */ once(() => prepared(new SNSClient(cached())));
