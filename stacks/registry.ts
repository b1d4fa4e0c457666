/**
 * What the stacks share while they build one stage: the resources created so far (by plan
 * reference), the deploy-time {@link Template} resolver, the grants as `sst.Linkable`s and the
 * function factory every context uses.
 */
import type { FunctionPlan, InfraPlan, Part, ResourceRef, SecretName, Template } from "./plan.ts";
import { resourceLogicalName } from "./plan.ts";

/** The name and ARN of a created resource. */
export interface Created {
  readonly name: $util.Input<string>;
  readonly arn: $util.Input<string>;
}

/** A stack needed a resource that an earlier stack should have created (wrong order in `index.ts`). */
export class MissingResourceError extends Error {
  override name = "MissingResourceError";
}

/** The state shared by the stacks of one deployment. */
export class Registry {
  private readonly resources = new Map<string, Created>();
  private readonly secrets = new Map<SecretName, sst.Secret>();
  private readonly links = new Map<string, sst.Linkable<Record<string, unknown>>>();
  private readonly partition = aws.getPartitionOutput().partition;
  private readonly region = aws.getRegionOutput().region;
  private readonly accountId = aws.getCallerIdentityOutput().accountId;

  constructor(readonly plan: InfraPlan) {}

  /** Records a created resource under the logical name the plan uses for it. */
  add(logicalName: string, resource: Created): void {
    this.resources.set(logicalName, resource);
  }

  /** A created resource. */
  get(ref: ResourceRef | string): Created {
    const logicalName = typeof ref === "string" ? ref : resourceLogicalName(ref);
    const resource = this.resources.get(logicalName);
    if (!resource) throw new MissingResourceError(`${logicalName} is needed before it was created`);
    return resource;
  }

  /** The stage's `sst.Secret`s, created once each (`sst secret set <Name> <value> --stage <stage>`). */
  secret(name: SecretName): sst.Secret {
    let secret = this.secrets.get(name);
    if (!secret) {
      secret = new sst.Secret(name);
      this.secrets.set(name, secret);
    }
    return secret;
  }

  /**
   * A Secrets Manager secret filled from the plan's `sst.Secret` (`planned.valueFrom`), recorded
   * under its logical name; nothing when the plan has none. The function that needs it reads it at
   * run time by its ARN, so the value never sits in the function's environment.
   */
  storeSecret(planned: { readonly logicalName: string; readonly valueFrom: SecretName } | undefined, description: string): void {
    if (!planned) return;
    const secret = new aws.secretsmanager.Secret(planned.logicalName, { description });
    new aws.secretsmanager.SecretVersion(`${planned.logicalName}Value`, {
      secretId: secret.id,
      secretString: this.secret(planned.valueFrom).value,
    });
    this.add(planned.logicalName, { name: secret.name, arn: secret.arn });
  }

  /** A template's value at deploy time. */
  resolve(template: Template): $util.Output<string> {
    return $util.all(template.map((part) => this.part(part))).apply((parts) => parts.join(""));
  }

  private part(part: Part): $util.Input<string> {
    if (typeof part === "string") return part;
    if ("nameOf" in part) return this.get(part.nameOf).name;
    if ("arnOf" in part) return this.get(part.arnOf).arn;
    if ("secret" in part) return this.secret(part.secret).value;
    return part.pseudo === "partition" ? this.partition : part.pseudo === "region" ? this.region : this.accountId;
  }

  /**
   * The grant as a linkable, created on first use: linking it gives a function exactly the plan's
   * statements for that one resource, and its name and ARN as `Resource.<grant>`.
   */
  link(grantName: string): sst.Linkable<Record<string, unknown>> {
    const existing = this.links.get(grantName);
    if (existing) return existing;
    const grant = this.plan.grants.find((candidate) => candidate.logicalName === grantName);
    if (!grant) throw new MissingResourceError(`no grant named ${grantName} in the plan`);
    const target = this.get(grant.ref);
    const linkable = new sst.Linkable(grant.logicalName, {
      properties: { name: target.name, arn: target.arn },
      include: grant.statements.map((statement) =>
        sst.aws.permission({
          actions: [...statement.actions],
          resources: statement.resources.map((resource) => this.resolve(resource)),
          ...(statement.conditions
            ? { conditions: statement.conditions.map((condition) => ({ ...condition, values: [...condition.values] })) }
            : {}),
        }),
      ),
    });
    this.links.set(grantName, linkable);
    return linkable;
  }

  /** The Lambda function of a plan entry, linked to its grants and nothing else. */
  function(fn: FunctionPlan, extra: Pick<sst.aws.FunctionArgs, "permissions" | "url"> = {}): sst.aws.Function {
    const environment: Record<string, $util.Input<string>> = {};
    for (const [key, template] of Object.entries(fn.environment)) environment[key] = this.resolve(template);
    const created = new sst.aws.Function(fn.logicalName, {
      description: fn.description,
      handler: fn.handler,
      runtime: fn.runtime,
      architecture: fn.architecture,
      timeout: `${fn.timeoutSeconds} seconds`,
      memory: `${fn.memoryMb} MB`,
      environment,
      link: fn.links.map((grant) => this.link(grant)),
      ...(fn.reservedConcurrency === undefined ? {} : { concurrency: { reserved: fn.reservedConcurrency } }),
      transform: {
        // SST also lets the account root assume function roles (for `sst dev`, which paybus does
        // not use: its local runtime runs the handlers): only Lambda may.
        role: { assumeRolePolicy: aws.iam.assumeRolePolicyForPrincipal({ Service: "lambda.amazonaws.com" }) },
      },
      ...extra,
    });
    this.add(fn.logicalName, { name: created.name, arn: created.arn });
    return created;
  }
}
