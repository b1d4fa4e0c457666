/** Messages between `worker-host.ts` (the caller's thread) and `worker.ts` (the endpoint's). */
import type { TableDeclaration } from "../../functions/common/tables.ts";
import type { InjectedFault } from "./faults.ts";
import type { LocalDynamoOptions } from "./local-dynamo.ts";
import type { WireAnswer } from "./wire.ts";

/** What an endpoint is started with (the `start` message). */
export interface WorkerSetup {
  readonly options: Omit<LocalDynamoOptions, "faults" | "now" | "thread">;
  /** Whether to ask the host about faults before every request. */
  readonly faults: boolean;
  /** One Int32: 0 while the host's injector cannot return a fault (no need to ask), 1 otherwise. */
  readonly faultsActive: SharedArrayBuffer;
  /** A port the host sends stats requests on (transferred). */
  readonly statsPort: unknown;
  /** One Int32 the worker sets to 1 once the stats answer is posted. */
  readonly statsSignal: SharedArrayBuffer;
}

/** An error as it crosses the thread boundary: its name, message and own fields (e.g. `code`). */
export interface SerialisedError {
  readonly name: string;
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

export type HostCall =
  /** Starts an endpoint on the thread (its `statsPort` transferred); answered with `ready` or `failed`. */
  | { readonly kind: "start"; readonly setup: WorkerSetup }
  | { readonly kind: "createTables"; readonly id: number; readonly declarations: Readonly<Record<string, TableDeclaration>>; readonly prefix: string }
  | { readonly kind: "sweep"; readonly id: number }
  | { readonly kind: "close"; readonly id: number }
  | { readonly kind: "fault"; readonly id: number; readonly fault: InjectedFault | undefined }
  /** A client request handed over without HTTP (`LocalDynamo.serve`); answered with `answer`. */
  | { readonly kind: "request"; readonly id: number; readonly target: string | undefined; readonly body: string };

export type WorkerMessage =
  /** `tid`: the worker's operating-system thread id (Linux). */
  | { readonly kind: "ready"; readonly endpoint: string; readonly tid?: number }
  | { readonly kind: "failed"; readonly error: SerialisedError }
  | { readonly kind: "result"; readonly id: number; readonly result: unknown }
  | { readonly kind: "error"; readonly id: number; readonly error: SerialisedError }
  | { readonly kind: "decide"; readonly id: number; readonly operation: string; readonly request: unknown }
  | { readonly kind: "answer"; readonly id: number; readonly answer: WireAnswer };

export function serialiseError(error: unknown): SerialisedError {
  if (!(error instanceof Error)) return { name: "Error", message: String(error), fields: {} };
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) {
    try {
      fields[key] = structuredClone(value);
    } catch {
      // A field that cannot cross threads is left behind; name and message always do.
    }
  }
  return { name: error.name, message: error.message, fields };
}

/** The error on this side: same name, message and fields (not the same class). */
export function deserialiseError(error: SerialisedError): Error {
  const rebuilt = new Error(error.message);
  Object.assign(rebuilt, error.fields);
  Object.defineProperty(rebuilt, "name", { value: error.name, enumerable: false, configurable: true, writable: true });
  return rebuilt;
}
