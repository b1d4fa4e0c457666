/** CloudWatch alarms of the plan, all notifying one SNS topic (emailed when the stage names an address). */
import type { Registry } from "./registry.ts";

/** Creates the alarm topic and every alarm; returns the topic so operators can subscribe more. */
export function createAlarms(registry: Registry): aws.sns.Topic {
  const { plan } = registry;
  const topic = new aws.sns.Topic("Alarms", {});
  if (plan.alarmEmail) {
    new aws.sns.TopicSubscription("AlarmsEmail", { topic: topic.arn, protocol: "email", endpoint: plan.alarmEmail });
  }
  for (const alarm of plan.alarms) {
    const dimensions: Record<string, $util.Input<string>> = {};
    for (const [key, template] of Object.entries(alarm.dimensions)) dimensions[key] = registry.resolve(template);
    if (alarm.functionName !== undefined) dimensions.FunctionName = registry.get(alarm.functionName).name;
    new aws.cloudwatch.MetricAlarm(alarm.logicalName, {
      alarmDescription: alarm.description,
      namespace: alarm.namespace,
      metricName: alarm.metricName,
      dimensions,
      ...(alarm.statistic.kind === "percentile"
        ? { extendedStatistic: alarm.statistic.name }
        : { statistic: alarm.statistic.name }),
      comparisonOperator: alarm.comparison,
      threshold: alarm.threshold,
      period: alarm.periodSeconds,
      evaluationPeriods: alarm.evaluationPeriods,
      treatMissingData: alarm.treatMissingData,
      alarmActions: [topic.arn],
      okActions: [topic.arn],
    });
  }
  return topic;
}
