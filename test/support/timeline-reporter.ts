/**
 * When each test file ran (opt-in: `PAYBUS_TEST_TIMELINE=<file.tsv> npx vitest run …`): one line per
 * file, its start and end in seconds from the run's start, its project and its path. The suite ends
 * when the last file does; the timeline shows which files ran side by side, where a worker waited,
 * and how long each group (`isolated`, `e2e`, `unit`: test/support/isolation.ts) took. Unlike the
 * per-file CPU report (cpu-report.ts) it changes nothing in how the files run, so it describes the
 * suite as `npm test` runs it.
 */
import { appendFileSync, writeFileSync } from "node:fs";
import { relative } from "node:path";
import type { Reporter, TestModule } from "vitest/node";

/** The environment variable naming the timeline's file; a run started inside a test must not inherit it. */
export const TIMELINE_ENV = "PAYBUS_TEST_TIMELINE";

/** Writes the timeline to `file` (replaced at the start of each run). */
export class TimelineReporter implements Reporter {
  private readonly started = new Map<string, number>();
  private origin = Date.now();
  private root = process.cwd();

  constructor(private readonly file: string) {}

  onInit(vitest: { config: { root: string } }): void {
    this.origin = Date.now();
    this.root = vitest.config.root;
    writeFileSync(this.file, "");
  }

  onTestModuleStart(module: TestModule): void {
    this.started.set(module.moduleId, Date.now());
  }

  onTestModuleEnd(module: TestModule): void {
    const seconds = (at: number) => ((at - this.origin) / 1000).toFixed(1);
    const line = [seconds(this.started.get(module.moduleId) ?? this.origin), seconds(Date.now()), module.project.name, relative(this.root, module.moduleId)];
    appendFileSync(this.file, `${line.join("\t")}\n`);
  }
}
