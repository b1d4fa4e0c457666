/**
 * The repository's import graph, read from the sources (no compiler: relative specifiers only, which
 * is how every internal import is written), and the dependency rules of docs/CONTRIBUTING.md.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** One relative import, by repository-relative paths. */
export interface Edge {
  readonly from: string;
  readonly to: string;
}

export interface Graph {
  readonly files: readonly string[];
  readonly edges: readonly Edge[];
}

const SKIPPED = new Set(["node_modules", ".git", ".sst", "dist", "coverage"]);

function sourceFiles(dir: string, found: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIPPED.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sourceFiles(path, found);
    else if (/\.(ts|mts)$/.test(entry.name) && !entry.name.endsWith(".d.ts")) found.push(relative(ROOT, path).split("\\").join("/"));
  }
  return found;
}

const SPECIFIER =
  /(?:\b(?:import|export)\s[^"';]*?\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\bnew URL\(\s*)(["'])(\.{1,2}\/[^"']*)\1/g;

/** The repository paths `file` imports (relative specifiers resolved against its folder). */
export function importsOf(file: string, source: string): string[] {
  const targets: string[] = [];
  for (const match of source.matchAll(SPECIFIER)) {
    targets.push(normalize(join(dirname(file), match[2]!)).split("\\").join("/"));
  }
  return targets;
}

/** Every .ts file of the repository and its relative imports. */
export function dependencyGraph(root = ROOT): Graph {
  const files = sourceFiles(root);
  const edges = files.flatMap((from) => importsOf(from, readFileSync(join(root, from), "utf8")).map((to) => ({ from, to })));
  return { files, edges };
}

/**
 * The folder a file belongs to for the rules: its top-level folder, except under `functions/`,
 * where each function folder (and `functions/common`) is its own unit.
 */
export function folderOf(file: string): string {
  const parts = file.split("/");
  if (parts.length === 1) return file;
  if (parts[0] === "functions") return parts.length > 2 ? `functions/${parts[1]}` : "functions";
  return parts[0]!;
}

/** The top-level folder of a file (a file at the root is its own unit). */
export function topLevelOf(file: string): string {
  return file.split("/")[0]!;
}

/** Tests and their helpers: `*.test.ts` anywhere, and everything under `test/`. */
export function isTestFile(file: string): boolean {
  return file.endsWith(".test.ts") || file.startsWith("test/");
}

const PRODUCT = new Set(["functions", "events", "declarations", "workflows", "stacks"]);
const TOOLING = new Set(["local", "dashboard", "cli", "bench", "scripts", "test", "bin"]);

const isProduct = (file: string) => PRODUCT.has(file.split("/")[0]!);
const isConsumer = (folder: string) => folder.startsWith("functions/") && folder !== "functions/common";

/** A file that looks like a test helper by its name or folder. */
const TEST_HELPER_NAME = /(^|\/)(testing|test-support|testdata|__tests__|helpers?)(\/|\.ts$|$)|\.(fixture|helper|spec)\.ts$|test-support|-testing\.ts$/;

export interface Violations {
  /** Product code importing the local runtime, the dashboard, the CLI, benchmarks, scripts or tests. */
  readonly productImportsTooling: readonly Edge[];
  /** A workflow importing a consumer folder (shared code lives in `functions/common`). */
  readonly workflowImportsConsumer: readonly Edge[];
  /** The local runtime importing a consumer's internals (allowed: `functions/common`, a consumer's `layout.ts` or leaf constants). */
  readonly localImportsConsumerInternals: readonly Edge[];
  /** Files named or placed as test helpers outside `test/`. */
  readonly testHelpersOutsideTestTree: readonly string[];
}

/**
 * Files that import nothing of the repository: constants such as key prefixes and setting names.
 * A leaf pulls no code along and cannot close a cycle, so it counts as a unit of its own.
 */
export function leaves(graph: Graph): Set<string> {
  const importing = new Set(graph.edges.map((edge) => edge.from));
  return new Set(graph.files.filter((file) => !importing.has(file)));
}

/** Every edge of `graph` that breaks a dependency rule (test files are exempt from the first three). */
export function violations(graph: Graph): Violations {
  const product = graph.edges.filter((edge) => !isTestFile(edge.from));
  const leaf = leaves(graph);
  return {
    productImportsTooling: product.filter((edge) => isProduct(edge.from) && TOOLING.has(edge.to.split("/")[0]!)),
    workflowImportsConsumer: product.filter((edge) => edge.from.startsWith("workflows/") && isConsumer(folderOf(edge.to))),
    localImportsConsumerInternals: product.filter(
      (edge) => edge.from.startsWith("local/") && isConsumer(folderOf(edge.to)) && !edge.to.endsWith("/layout.ts") && !leaf.has(edge.to),
    ),
    testHelpersOutsideTestTree: graph.files.filter((file) => !file.startsWith("test/") && !file.endsWith(".test.ts") && TEST_HELPER_NAME.test(file)),
  };
}

/**
 * The package's published entry points (`exports` in package.json): they gather modules for
 * outside users and nothing inside imports them, so they sit above every folder.
 */
export const PACKAGE_ENTRIES: ReadonlySet<string> = new Set(
  Object.values((JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { exports?: Record<string, string> }).exports ?? {}).map((path) =>
    normalize(path).split("\\").join("/"),
  ),
);

/**
 * Cycles among non-test files (tests sit above everything), each as its sorted list of units: the
 * strongly connected components with more than one unit.
 *
 * - `"unit"` (the default): units are {@link folderOf}'s, and a leaf module (constants, no imports)
 *   counts as a unit of its own: it pulls no code along, so it cannot close a cycle.
 * - `"top"`: units are the top-level folders, with no exception for leaves: a constant module that
 *   two folders share lives in the lower one. Only edges to files of the graph count (a specifier
 *   inside generated text or a URL to a folder names no module).
 */
export function findCycles(graph: Graph, level: "unit" | "top" = "unit"): string[][] {
  const adjacency = new Map<string, Set<string>>();
  const leaf = leaves(graph);
  const files = new Set(graph.files);
  for (const edge of graph.edges) {
    if (isTestFile(edge.from) || isTestFile(edge.to) || PACKAGE_ENTRIES.has(edge.from)) continue;
    if (level === "top" && !files.has(edge.to)) continue;
    const from = level === "top" ? topLevelOf(edge.from) : folderOf(edge.from);
    const to = level === "top" ? topLevelOf(edge.to) : leaf.has(edge.to) ? edge.to : folderOf(edge.to);
    if (from === to) continue;
    adjacency.set(from, (adjacency.get(from) ?? new Set()).add(to));
    if (!adjacency.has(to)) adjacency.set(to, new Set());
  }
  // Tarjan's strongly connected components.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let counter = 0;
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of adjacency.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) components.push(component.sort());
    }
  };
  for (const node of [...adjacency.keys()].sort()) if (!index.has(node)) visit(node);
  return components.sort((a, b) => a[0]!.localeCompare(b[0]!));
}
