/**
 * A function's bundle run as one CommonJS script with V8's code cache kept beside it: how an
 * execution environment loads its handler on Node versions without a compile cache for modules
 * (before 22.1; `local/function-bundles.ts` decides, `local/lambda-worker.ts` loads).
 *
 * Why: compiling the handler's ~500 KiB (the AWS SDK, zod, Powertools) is the largest part of a
 * cold start's CPU, and every environment of every runtime compiled the same bytes again. Node 20
 * can give V8 a code cache only for a script: an ES module's cache would hold none of the functions
 * compiled while it runs. So the ESM bundle is bundled once more into one CommonJS file, and the
 * first environment that runs it writes V8's cache after its first invocation, with every function
 * compiled by then (the init phase and a request's path); the next environments start from it.
 * A cache V8 refuses (another Node version or V8 flags; V8 checks the source too) is written anew.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import { Script } from "node:vm";
import { writeAtomically } from "./write-atomically.ts";

/** How a function's script bundle is named: `<handler>.script.cjs` beside its ES module `<handler>.mjs`. */
export const SCRIPT_EXTENSION = ".script.cjs";

/** A script's module, and the code cache to write once its first invocation is over. */
export interface FunctionScript {
  readonly exports: Record<string, unknown>;
  /** Writes V8's cache of the code compiled so far, if this environment started without a usable one (at most once). */
  keepCodeCache(): void;
}

/** Runs the CommonJS bundle `file` in this thread, with its code cache when there is one. */
export function runFunctionScript(file: string): FunctionScript {
  const cacheFile = `${file}.${process.version}.v8cache`;
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // No environment has written it yet.
  }
  // The wrapper is CommonJS's own, strict as the ES modules it was bundled from. It sits on a line of
  // its own, which `lineOffset` takes back, so that stack traces keep the bundle's lines for its map.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) { "use strict";\n${readFileSync(file, "utf8")}\n})`, {
    filename: pathToFileURL(file).href,
    lineOffset: -1,
    cachedData,
  });
  const module = { exports: {} as Record<string, unknown> };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(file), module, file, dirname(file));
  let write = cachedData === undefined || script.cachedDataRejected === true;
  return {
    exports: module.exports,
    keepCodeCache() {
      if (!write) return;
      write = false;
      try {
        writeAtomically(cacheFile, script.createCachedData());
      } catch {
        // A read-only cache folder: the next environments compile, as without a cache.
      }
    },
  };
}
