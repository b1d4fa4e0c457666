/**
 * The plan's grants as the local runtime's IAM policies: each function's linked {@link GrantPlan}
 * statements with their resource templates resolved to the local ARNs by `../plan-templates.ts`,
 * the one place a plan template becomes a local string (the functions' environment uses it too).
 */
import type { FunctionPlan, InfraPlan } from "../../stacks/plan.ts";
import { resolveTemplate, UnresolvedTemplateError, type LocalResourceNames } from "../plan-templates.ts";
import { validateStatements, type Statement } from "./policy.ts";

/** The resolved statements the plan grants `fn` (its linked grants, in order). */
export function statementsOf(plan: InfraPlan, fn: FunctionPlan, names: LocalResourceNames): Statement[] {
  const grants = new Map(plan.grants.map((grant) => [grant.logicalName, grant]));
  const statements = fn.links.flatMap((link) => {
    const grant = grants.get(link);
    if (!grant) throw new UnresolvedTemplateError(`${fn.logicalName} links ${link}, which the plan does not define`);
    return grant.statements.map(
      (statement): Statement => ({
        effect: "Allow",
        actions: statement.actions,
        resources: statement.resources.map((template) => resolveTemplate(template, names)),
        ...(statement.conditions ? { conditions: statement.conditions } : {}),
      }),
    );
  });
  validateStatements(statements);
  return statements;
}
