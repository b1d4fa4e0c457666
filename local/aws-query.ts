/**
 * The AWS Query protocol (form-encoded request, XML response) used by SES v1 and SNS: just what the
 * local SES front and the local SNS need to answer the real SDK clients.
 */
import { randomUUID } from "node:crypto";
import type { AnswerSink } from "./answer-sink.ts";
import { xmlEscape } from "./aws-error.ts";

export { xmlEscape };

/** Writes `<{action}Response><{action}Result>…</{action}Result></{action}Response>`. */
export function sendQueryResult(res: AnswerSink, action: string, resultXml: string, namespace: string): void {
  const body =
    `<${action}Response xmlns="${namespace}"><${action}Result>${resultXml}</${action}Result>` +
    `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`;
  res.writeHead(200, { "content-type": "text/xml" });
  res.end(body);
}

/** Decodes a form body into a flat map (`Attributes.entry.1.key` stays a dotted key). */
export function parseForm(body: string): Map<string, string> {
  return new Map(new URLSearchParams(body));
}
