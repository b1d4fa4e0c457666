/** The functions' Step Functions client (see `../clients.ts` for how clients are built and why one module per service). */
import { SFNClient } from "@aws-sdk/client-sfn";
import { cached, once, prepared } from "../clients.ts";

export const sfn = /* @__PURE__ */ once(() => prepared(new SFNClient(cached())));
