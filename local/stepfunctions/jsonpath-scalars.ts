/**
 * aws-local-stepfunctions evaluates every JSONPath of a definition (`"x.$": "$.purchaseId"`, a
 * Choice's `Variable`, `$$.Execution.Name`…) with jsonpath-plus, called without `new` and
 * `wrap: false`. jsonpath-plus hands a scalar result back by throwing it from its constructor in a
 * `NewError` (an `Error` subclass) that its own caller catches and unwraps: one `Error`, with its
 * stack trace captured, per scalar — most paths of a payload template — and the largest single cost
 * of an execution on the runtime's thread after its durable records (issue #20's profiles).
 *
 * {@link lightenJsonPathScalars} gives `NewError` a base constructor that captures no stack trace.
 * Nothing else changes: the same class and prototype chain (still `instanceof Error`), the same
 * `avoidNew` and `value` fields set by its own constructor, thrown and caught inside jsonpath-plus
 * as before, never seen outside it. A jsonpath-plus whose scalar path is not this one is left alone.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

/** jsonpath-plus's entry point, as far as this module (and its test) uses it. */
export type JsonPathModule = {
  JSONPath: ((options: { path: string; json: unknown; wrap: boolean }) => unknown) & (new (options: { path: string; json: unknown; wrap: boolean }) => unknown);
};

/**
 * A base for `NewError` that creates its instance (with `NewError.prototype`, from `new.target`)
 * and records the message, without `Error`'s stack capture.
 */
function StacklessError(this: { message: string }, message: string): void {
  this.message = message;
}

let installed: Promise<boolean> | undefined;

/**
 * Installs the stackless base in the jsonpath-plus that aws-local-stepfunctions imports (the one its
 * `import` condition resolves to, next to it). Resolves to whether it did; once per process.
 */
export function lightenJsonPathScalars(): Promise<boolean> {
  return (installed ??= install().catch(() => false));
}

/** The jsonpath-plus module aws-local-stepfunctions imports: resolved from the engine's own package, with the `import` condition. */
export async function engineJsonPath(): Promise<JsonPathModule | undefined> {
  const engine = createRequire(import.meta.url).resolve("aws-local-stepfunctions");
  const manifestPath = createRequire(engine).resolve("jsonpath-plus/package.json");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { exports?: { ".": { import?: string } } };
  const entry = manifest.exports?.["."]?.import;
  return entry ? ((await import(pathToFileURL(join(dirname(manifestPath), entry)).href)) as JsonPathModule) : undefined;
}

async function install(): Promise<boolean> {
  const module = await engineJsonPath();
  if (!module) return false;
  // Called with `new`, the constructor throws the scalar's NewError out: that gives its class.
  let thrown: unknown;
  try {
    new module.JSONPath({ path: "$.probe", json: { probe: 1 }, wrap: false });
  } catch (error) {
    thrown = error;
  }
  const probe = thrown as { avoidNew?: unknown; value?: unknown } | undefined;
  if (!(probe instanceof Error) || probe.avoidNew !== true || probe.value !== 1) return false;
  const NewError = probe.constructor;
  if (Object.getPrototypeOf(NewError) !== Error) return false;
  // `super(message)` in NewError now runs StacklessError with NewError as new.target.
  Object.setPrototypeOf(NewError, StacklessError);
  return true;
}
