/**
 * The runtime's gateway: one port for every service, each reached as its {@link ServiceApi} says
 * (forwarded to its engine, or answered in process), with local IAM in front and the routes the
 * services and the runtime's users add (the Stripe API, the webhook bridge, the admin API…).
 */
import { Gateway, type ServeHandler, type ServiceName, type ServiceRouting } from "./gateway.ts";
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
  // The services' APIs fill in as they start; the gateway asks on every request, so the three views
  // are rebuilt only when one was added.
  let indexedSize = -1;
  let upstreams: Partial<Record<ServiceName, string>> = {};
  let inProcess: Partial<Record<ServiceName, Extract<ServiceApi, { inProcess: unknown }>["inProcess"]>> = {};
  let served: Partial<Record<ServiceName, ServeHandler>> = {};
  const index = () => {
    if (apis.size === indexedSize) return;
    indexedSize = apis.size;
    upstreams = {};
    inProcess = {};
    served = {};
    for (const [name, api] of apis) {
      if ("serve" in api) served[name] = api.serve;
      else if ("upstream" in api) upstreams[name] = api.upstream;
      else inProcess[name] = api.inProcess;
    }
  };
  const gateway = new Gateway({
    host: options.host,
    port: options.port,
    routing: options.routing,
    upstreamTimeoutMs: options.upstreamTimeoutMs,
    ready: options.ready,
    upstreams: () => (index(), upstreams),
    inProcess: () => (index(), inProcess),
    served: () => (index(), served),
    authorize: gatewayAuthorizer(options.iam),
    onInternalError: (error, req) => journal.record({ kind: "runtime.error", where: `${req.method} ${req.url?.split("?")[0] ?? ""}`, error: error.message }),
  });
  await gateway.start();
  return gateway;
}
