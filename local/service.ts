/**
 * One shape for every local service the runtime composes (DynamoDB, SES, SNS, SQS, the Lambda
 * host, Step Functions, EventBridge, the Stripe API): it starts from a {@link ServiceContext} and
 * hands back what the runtime needs of it, so the runtime iterates over a list (`local/services/
 * index.ts`) instead of wiring each engine by hand. Adding a service is one file in
 * `local/services/` and one entry in that list.
 */
import type { Operations } from "./aws-json.ts";
import type { FaultSwitch } from "./faults.ts";
import type { Route, ServeHandler, ServiceName, ServiceRouting } from "./gateway.ts";
import type { Journal } from "./journal.ts";
import type { Runtime, RuntimeOptions } from "./runtime.ts";

/** What a service starts from: the runtime's settings and the services started before it. */
export interface ServiceContext {
  /** Interface every engine listens on (loopback). */
  readonly host: string;
  readonly region: string;
  readonly accountId: string;
  /** Prefix of physical resource names (`<prefix>-<logical name>`). */
  readonly prefix: string;
  readonly busName: string;
  /** Scales queue visibility timeouts and retry delays (1 is AWS's timing). */
  readonly timeScale: number;
  /** The data directory (the archive); undefined without one. */
  readonly dataDir: string | undefined;
  /**
   * The data directory for what survives a restart (tables, queues, outboxes, executions, the
   * bus's deliveries): undefined with `inMemory` too (one-shot runs, which never restart).
   */
  readonly durableDir: string | undefined;
  readonly journal: Journal;
  readonly options: RuntimeOptions;
  /** Tells the user something (stderr unless the runtime was given another sink). */
  warn(message: string): void;
  /**
   * The runtime being composed: the services started before this one (`runtime.service(…)` or its
   * typed getters), the gateway's URL, the plan. Services later in the list are not there yet.
   */
  readonly runtime: Runtime;
}

/** How the gateway reaches a service's AWS API. */
export type ServiceApi =
  /** An engine on its own loopback port: the gateway forwards requests to it unchanged. */
  | { readonly service: ServiceName; readonly upstream: string }
  /** Answered in this process (AWS JSON protocol, by `X-Amz-Target` prefix). */
  | { readonly service: ServiceName; readonly inProcess: { readonly prefix: string; readonly operations: Operations; readonly contentType?: string } }
  /**
   * An engine with its own loopback port (`upstream`, for clients that reach it directly) whose
   * gateway requests its handler answers in this process from the body the gateway read: no second
   * HTTP exchange per request (writes, parsing, sockets) on the runtime's thread.
   */
  | { readonly service: ServiceName; readonly upstream: string; readonly serve: ServeHandler };

/** A started service: its handle for the rest of the runtime and what the runtime wires for it. */
export interface StartedService<Handle> {
  /** What code outside the service uses (the engine, its tables, its queues…). */
  readonly handle: Handle;
  /** The AWS API the gateway serves for it, if any. */
  readonly api?: ServiceApi;
  /** Routes of its own on the gateway (e.g. the Stripe API at `/v1/…`). */
  readonly routes?: readonly Route[];
  /** Its fault switch (`runtime.faults[name]`), for tests and the reliability suite. */
  readonly faults?: FaultSwitch<any, any>;
  /**
   * Called in list order once every service started and the gateway serves the functions' calls:
   * work that calls other services (consumers polling, workflows and deliveries resuming).
   */
  ready?(): void;
  /** Called in reverse list order before any service stops: stop taking new work, finish what runs. */
  drain?(): Promise<void>;
  /** Releases everything (servers, files, workers); called in reverse list order. */
  stop(): Promise<void>;
}

/** A local service: a name and how to start it. */
export interface LocalService<Name extends string = string, Handle = unknown> {
  readonly name: Name;
  /** How the gateway recognises this service's AWS requests (none for a service without an AWS API). */
  readonly routing?: ServiceRouting;
  start(context: ServiceContext): Promise<StartedService<Handle>>;
}

/** Declares a service, keeping its name and handle types for `runtime.service(…)`. */
export function defineService<Name extends string, Handle>(service: LocalService<Name, Handle>): LocalService<Name, Handle> {
  return service;
}

/** The handle type of a service. */
export type HandleOf<S> = S extends LocalService<string, infer Handle> ? Handle : never;
