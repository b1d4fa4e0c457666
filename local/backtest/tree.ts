/**
 * The source tree of a git ref for a backtest's base side: exported once per commit and reused by
 * the next backtests of the same commit, with caches of its own.
 *
 * Why: a runtime builds its functions' bundles (esbuild) and its DynamoDB worker into
 * `node_modules/.cache/` and reuses them while their inputs keep their size and modification time.
 * An export into a fresh temporary directory shared the working tree's `node_modules` through one
 * symbolic link, so both trees wrote the same cache manifests: every backtest rebuilt the base's
 * bundles, and the working tree's on the next run. Here `git archive` gives every file the commit's
 * time, the tree stays where it was exported, and its `node_modules` is a directory of its own whose
 * entries link to the working tree's packages: the base's builds are its own and survive the run.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The file that says an export is complete (written last, after every file and link). */
const COMPLETE = ".paybus-backtest-export";
/** Exports not used for this long are removed when another one is made. */
const UNUSED_MS = 3 * 86_400_000;

/** A failure to export a ref (unknown ref, git or tar failing). */
export class BacktestTreeError extends Error {
  override name = "BacktestTreeError";
}

/**
 * The directory holding `ref` of the repository at `projectRoot` (nothing is checked out in the
 * repository itself), exported under `cacheRoot` (default: the project's
 * `node_modules/.cache/paybus-backtest/`) unless an earlier backtest already did.
 */
export function exportRef(projectRoot: string, ref: string, cacheRoot = join(projectRoot, "node_modules", ".cache", "paybus-backtest")): string {
  const parsed = spawnSync("git", ["-C", projectRoot, "rev-parse", "--verify", "--quiet", `${ref}^{commit}`], { encoding: "utf8" });
  const commit = parsed.stdout.trim();
  if (parsed.status !== 0 || !/^[0-9a-f]{40,64}$/.test(commit)) throw new BacktestTreeError(`git ref ${ref}: not a commit of ${projectRoot}`);
  const directory = join(cacheRoot, commit);
  if (existsSync(join(directory, COMPLETE))) {
    touch(join(directory, COMPLETE));
    return directory;
  }
  mkdirSync(cacheRoot, { recursive: true });
  // Extracted aside and renamed: another backtest of the same commit may be exporting it too.
  const staging = mkdtempSync(join(cacheRoot, `.${commit.slice(0, 12)}-`));
  try {
    const archive = spawnSync("git", ["-C", projectRoot, "archive", "--format=tar", commit], { maxBuffer: 1 << 30 });
    if (archive.status !== 0) throw new BacktestTreeError(`git archive ${ref}: ${archive.stderr.toString().trim()}`);
    const tar = spawnSync("tar", ["-x", "-C", staging], { input: archive.stdout });
    if (tar.status !== 0) throw new BacktestTreeError(`extracting ${ref}: ${tar.stderr.toString().trim()}`);
    linkPackages(join(projectRoot, "node_modules"), join(staging, "node_modules"));
    writeFileSync(join(staging, COMPLETE), `${commit}\n`);
    try {
      renameSync(staging, directory);
    } catch (error) {
      // Another backtest finished the same export first: use it.
      if (!existsSync(join(directory, COMPLETE))) throw error;
      rmSync(staging, { recursive: true, force: true });
    }
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  removeUnused(cacheRoot, commit);
  return directory;
}

/**
 * `node_modules` of an exported tree: a directory with a link to each of the working tree's
 * packages (scopes and `.bin` included), but not its `.cache`, which the tree gets its own of.
 */
function linkPackages(from: string, to: string): void {
  mkdirSync(to);
  for (const name of readdirSync(from)) {
    if (name === ".cache") continue;
    symlinkSync(join(from, name), join(to, name));
  }
}

function touch(file: string): void {
  const now = new Date();
  utimesSync(file, now, now);
}

/** Removes other commits' exports nobody used for {@link UNUSED_MS} (and staging left by a killed run). */
function removeUnused(cacheRoot: string, keep: string): void {
  for (const name of readdirSync(cacheRoot)) {
    if (name === keep) continue;
    const marker = join(cacheRoot, name, COMPLETE);
    const used = statSync(existsSync(marker) ? marker : join(cacheRoot, name), { throwIfNoEntry: false })?.mtimeMs;
    if (used !== undefined && Date.now() - used > UNUSED_MS) rmSync(join(cacheRoot, name), { recursive: true, force: true });
  }
}
