/**
 * Which state machine definitions asl-validator has already found valid. The validator builds a new
 * Ajv and compiles every ASL schema on each call (about 0.6 s of CPU per definition here), and every
 * runtime start, restart and crash-test child validates the same few definitions again. Its verdict
 * is a pure function of the definition and of the validator's version, so a valid one is
 * remembered, in memory and under `node_modules/.cache/paybus-asl/` for the next process; an
 * invalid one is never remembered, so its error is always the validator's own.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { writeAtomically } from "../build-cache.ts";
import { PROJECT_ROOT } from "../project-root.ts";

/** The `name@version` of the installed package a module path belongs to (its nearest package.json). */
function packageOf(modulePath: string): string {
  for (let dir = dirname(modulePath); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (!existsSync(manifest)) continue;
    const { name, version } = JSON.parse(readFileSync(manifest, "utf8")) as { name?: string; version?: string };
    if (name && version) return `${name}@${version}`;
  }
  return modulePath;
}

/** The versions a verdict depends on: the engine, and the asl-validator it resolves (its own copy). */
function validatorVersions(): string {
  const engine = createRequire(import.meta.url).resolve("aws-local-stepfunctions");
  const validator = createRequire(engine).resolve("asl-validator");
  return `${packageOf(engine)} ${packageOf(validator)}`;
}

const CACHE_DIR = join(PROJECT_ROOT, "node_modules", ".cache", "paybus-asl");
const validInThisProcess = new Set<string>();
let versions: string | undefined;

function keyOf(definitionText: string): string {
  versions ??= validatorVersions();
  return createHash("sha256").update(versions).update("\0").update(definitionText).digest("hex");
}

/** Whether this exact definition text was found valid before (in this process or an earlier one). */
export function knownValid(definitionText: string): boolean {
  const key = keyOf(definitionText);
  if (validInThisProcess.has(key)) return true;
  if (!existsSync(join(CACHE_DIR, key))) return false;
  validInThisProcess.add(key);
  return true;
}

/** Records that the validator accepted this definition text. A cache that cannot be written is skipped. */
export function rememberValid(definitionText: string): void {
  const key = keyOf(definitionText);
  validInThisProcess.add(key);
  try {
    mkdirSync(CACHE_DIR, { recursive: true });
    writeAtomically(join(CACHE_DIR, key), "");
  } catch {
    // A read-only install: the next process validates again.
  }
}

/** Forgets a verdict, here and on disk, so that the validator runs on that text again (tests). */
export function forgetValid(definitionText: string): void {
  const key = keyOf(definitionText);
  validInThisProcess.delete(key);
  rmSync(join(CACHE_DIR, key), { force: true });
}
