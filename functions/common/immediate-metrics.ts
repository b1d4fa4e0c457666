/**
 * Powertools `Metrics` whose `singleMetric()` hands out one instance, kept for the life of the
 * execution environment, instead of a new `Metrics` per call.
 *
 * Why: Powertools builds every single-metric instance from scratch — the environment read again,
 * a new `Console` (node's constructor binds every method) — about 60 µs of CPU on a busy machine
 * here against ~4 µs for the metric itself (docs/performance.md, session 8), and the consumers emit
 * one to four per record (a purchase's `PointsCommitDelay`; a notice's delay and count per
 * channel). In Lambda as much as locally.
 *
 * Why it is the same output: a single-metric instance publishes as soon as its metric is added, and
 * publishing clears its metrics, dimensions and metadata, so the next use starts empty; only its
 * default dimensions (the service) stay, copied from the parent when it is first made — these
 * functions set theirs at construction and never change them. A record must add its dimensions and
 * its metric without awaiting in between (every caller does), or another record's could join them:
 * records of a batch run side by side.
 */
import { Metrics } from "@aws-lambda-powertools/metrics";
import { METRICS_NAMESPACE } from "./metrics.ts";

/** `Metrics` with one reused single-metric instance (see the module's comment). */
export class ImmediateMetrics extends Metrics {
  #single: Metrics | undefined;

  /** The one single-metric instance of this `Metrics`: add its dimensions, then its metric, with no await between. */
  override singleMetric(): Metrics {
    return (this.#single ??= super.singleMetric());
  }
}

/** The metrics of one function (its `service` dimension), in paybus's namespace: every function's, made here. */
export function createMetrics(serviceName: string): ImmediateMetrics {
  return new ImmediateMetrics({ namespace: METRICS_NAMESPACE, serviceName });
}
