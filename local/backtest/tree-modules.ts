/**
 * The modules of a side's source tree that the side's process loads at run time (its runtime, its
 * rules, …), by path relative to the tree: from the side's bundle when it runs from one
 * (`local/process-bundle.ts`: no tsx in that process), as TypeScript through tsx otherwise.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * What the worker of a side loads from its tree, besides itself. A working-tree side runs all of
 * them from one bundle, so that the worker's own imports and these share one instance of each module.
 */
export const TREE_MODULES = [
  "local/runtime.ts",
  "local/state.ts",
  "local/function-credentials.ts",
  "functions/common/profiles.ts",
  "functions/loyalty/promotion-key.ts",
  "declarations/rules.ts",
] as const;

let built: Readonly<Record<string, string>> = {};

/** Loads the tree's modules from these built files (by tree-relative path) from now on. */
export function useBuiltModules(modules: Readonly<Record<string, string>>): void {
  built = modules;
}

/** The URL to import the module `path` (relative to the tree `root`) from. */
export function treeModuleUrl(root: string, path: string): string {
  return pathToFileURL(built[path] ?? join(root, path)).href;
}
