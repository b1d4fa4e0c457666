import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createMetrics, ImmediateMetrics } from "./immediate-metrics.ts";
import { METRICS_NAMESPACE, NOTIFICATION_DELAY_METRIC, POINTS_COMMIT_DELAY_METRIC } from "./metrics.ts";

/** The EMF lines Powertools writes to stdout while `emit` runs (metrics enabled, as in Lambda). */
function emfLines(emit: () => void): Array<Record<string, any>> {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    for (const line of String(chunk).split("\n")) if (line.startsWith("{")) lines.push(line);
    return true;
  });
  try {
    emit();
  } finally {
    spy.mockRestore();
  }
  // The timestamp is the only part that may differ between two runs of the same emission.
  return lines.map((line) => {
    const emf = JSON.parse(line);
    delete emf._aws.Timestamp;
    return emf;
  });
}

/** Two notices' delays and counts, one per channel, as the notifications consumer emits them, then one metric without a channel. */
function emitTwoChannels(metrics: Metrics): void {
  for (const [channel, delay] of [["email", 3], ["push", 5]] as const) {
    const delayMetric = metrics.singleMetric();
    delayMetric.addDimension("channel", channel);
    delayMetric.addMetric(NOTIFICATION_DELAY_METRIC, MetricUnit.Seconds, delay);
    const count = metrics.singleMetric();
    count.addDimension("channel", channel);
    count.addMetric("NotificationsSent", MetricUnit.Count, 1);
  }
  metrics.singleMetric().addMetric(POINTS_COMMIT_DELAY_METRIC, MetricUnit.Milliseconds, 150);
}

describe("ImmediateMetrics", () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.POWERTOOLS_METRICS_DISABLED;
    process.env.POWERTOOLS_METRICS_DISABLED = "false";
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = saved;
  });

  it("hands out one single-metric instance for the life of the environment, not a new Metrics per metric", () => {
    const metrics = createMetrics("notifications");
    expect(metrics).toBeInstanceOf(ImmediateMetrics);
    const first = metrics.singleMetric();
    expect(metrics.singleMetric()).toBe(first);
    // Powertools' own makes a new one every time: the cost this class removes.
    const plain = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: "notifications" });
    expect(plain.singleMetric()).not.toBe(plain.singleMetric());
  });

  it("writes exactly the EMF lines Powertools' own single metrics write: each with its own dimensions, none carried over", () => {
    const reused = emfLines(() => emitTwoChannels(createMetrics("notifications")));
    const fresh = emfLines(() => emitTwoChannels(new Metrics({ namespace: METRICS_NAMESPACE, serviceName: "notifications" })));

    expect(reused).toEqual(fresh);
    expect(reused).toHaveLength(5);
    expect(reused.map((emf) => [emf.channel, emf.service, emf[NOTIFICATION_DELAY_METRIC] ?? emf.NotificationsSent ?? emf[POINTS_COMMIT_DELAY_METRIC]])).toEqual([
      ["email", "notifications", 3],
      ["email", "notifications", 1],
      ["push", "notifications", 5],
      ["push", "notifications", 1],
      [undefined, "notifications", 150],
    ]);
    // Each line names only its own metric and dimensions: nothing left from the line before.
    for (const emf of reused) {
      expect(emf._aws.CloudWatchMetrics).toHaveLength(1);
      expect(emf._aws.CloudWatchMetrics[0].Namespace).toBe(METRICS_NAMESPACE);
      expect(emf._aws.CloudWatchMetrics[0].Metrics).toHaveLength(1);
    }
    expect(reused.map((emf) => emf._aws.CloudWatchMetrics[0].Dimensions)).toEqual([...Array(4).fill([["service", "channel"]]), [["service"]]]);
  });
});
