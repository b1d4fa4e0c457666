/**
 * An SQS consumer for test/lambda-timeout.e2e.test.ts: per record, one push through SNS (the local
 * runtime's, reached as any function reaches it), sent `delayMsOnFirstAttempt` after the first
 * delivery began and at once on a redelivery. Each init phase appends a line to
 * `PAYBUS_TEST_EFFECTS_FILE`, so the test can count cold starts.
 */
import { appendFileSync } from "node:fs";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import type { SQSEvent } from "aws-lambda";

appendFileSync(process.env.PAYBUS_TEST_EFFECTS_FILE!, "init\n");
const sns = new SNSClient({});

export async function handler(event: SQSEvent): Promise<void> {
  for (const record of event.Records) {
    const { targetArn, delayMsOnFirstAttempt } = JSON.parse(record.body) as { targetArn: string; delayMsOnFirstAttempt: number };
    const attempt = Number(record.attributes.ApproximateReceiveCount);
    if (attempt === 1) await new Promise((resolve) => setTimeout(resolve, delayMsOnFirstAttempt));
    await sns.send(new PublishCommand({ TargetArn: targetArn, Message: `attempt ${attempt}` }));
  }
}
