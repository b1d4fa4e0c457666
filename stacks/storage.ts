/** DynamoDB tables, one per declaration in `functions/common/tables.ts`. */
import type { Registry } from "./registry.ts";

/** Creates every table of the plan: on-demand, point-in-time recovery, TTL where declared. */
export function createTables(registry: Registry): void {
  for (const table of registry.plan.tables) {
    const keys = [table.partitionKey, ...(table.sortKey ? [table.sortKey] : [])];
    const created = new aws.dynamodb.Table(table.logicalName, {
      billingMode: table.billingMode,
      hashKey: table.partitionKey.name,
      ...(table.sortKey ? { rangeKey: table.sortKey.name } : {}),
      attributes: keys.map((key) => ({ name: key.name, type: key.type })),
      pointInTimeRecovery: { enabled: table.pointInTimeRecovery },
      ...(table.ttlAttribute ? { ttl: { attributeName: table.ttlAttribute, enabled: true } } : {}),
      deletionProtectionEnabled: table.deletionProtection,
      tags: { "paybus:table": table.table },
    });
    registry.add(table.logicalName, { name: created.name, arn: created.arn });
  }
}
