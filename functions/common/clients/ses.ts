/** The functions' SES client (see `../clients.ts` for how clients are built and why one module per service). */
import { SESClient } from "@aws-sdk/client-ses";
import { cached, once, prepared } from "../clients.ts";

export const ses = /* @__PURE__ */ once(() => prepared(new SESClient(cached())));
