/**
 * The runtime's gateway: one port for every service, each reached as its {@link ServiceApi} says
 * (forwarded to its engine, or answered in process), with local IAM in front and the routes the
 * services and the runtime's users add (the Stripe API, the webhook bridge, the admin API…).
 */
import { Gateway, type ServiceName, type ServiceRouting } from "./gateway.ts";
import { gatewayAuthorizer, type LocalIam } from "./iam/enforcer.ts";
import type { Journal } from "./journal.ts";
import type { ServiceApi } from "./service.ts";

export interface RuntimeGatewayOptions {
  readonly host: string;
  readonly port: number;
  /** How each service's requests are recognised. */
  readonly routing: readonly ServiceRouting[];
  readonly upstreamTimeoutMs?: number | undefined;
  /** The services' APIs by signing name, filled in as the services start. */
  readonly apis: ReadonlyMap<ServiceName, ServiceApi>;
  /** False until every service started: AWS requests get a retryable 503 until then. */
  readonly ready: () => boolean;
  readonly iam: LocalIam;
  readonly journal: Journal;
}

/** Starts the gateway on its port (first, so a taken port is reported before anything else starts). */
export async function startRuntimeGateway(options: RuntimeGatewayOptions): Promise<Gateway> {
  const { apis, journal } = options;
  const gateway = new Gateway({
    host: options.host,
    port: options.port,
    routing: options.routing,
    upstreamTimeoutMs: options.upstreamTimeoutMs,
    ready: options.ready,
    upstreams: () => {
      const upstreams: Partial<Record<ServiceName, string>> = {};
      for (const [name, api] of apis) if ("upstream" in api) upstreams[name] = api.upstream;
      return upstreams;
    },
    inProcess: () => {
      const served: Partial<Record<ServiceName, Extract<ServiceApi, { inProcess: unknown }>["inProcess"]>> = {};
      for (const [name, api] of apis) if ("inProcess" in api) served[name] = api.inProcess;
      return served;
    },
    authorize: gatewayAuthorizer(options.iam),
    onInternalError: (error, req) => journal.record({ kind: "runtime.error", where: `${req.method} ${req.url?.split("?")[0] ?? ""}`, error: error.message }),
  });
  await gateway.start();
  return gateway;
}
