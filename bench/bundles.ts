/**
 * Bundle size of every Lambda handler, built as SST builds them (esbuild, ESM, minified, node22),
 * with the AWS SDK bundled and, for comparison, left to the runtime's copy.
 */
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { queues, webhookBridge } from "../declarations/rules.ts";
import { scheduledFunctions, stateMachines } from "../workflows/index.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

function handlerFiles(): string[] {
  const handlers = [
    ...Object.values(queues).map((queue) => queue.consumer.handler),
    webhookBridge.handler,
    ...Object.values(stateMachines).flatMap((machine) => Object.values(machine.functions).map((fn) => fn.handler)),
    ...Object.values(scheduledFunctions).map((fn) => fn.handler),
  ];
  return [...new Set(handlers.map((handler) => `${handler.slice(0, handler.lastIndexOf("."))}.ts`))].sort();
}

async function bundleBytes(entry: string, external: string[]): Promise<{ bytes: number; gzip: number }> {
  const result = await build({
    entryPoints: [entry],
    absWorkingDir: root,
    bundle: true,
    minify: true,
    format: "esm",
    platform: "node",
    target: "node22",
    write: false,
    external,
    logLevel: "silent",
  });
  const code = result.outputFiles[0]!.contents;
  return { bytes: code.byteLength, gzip: gzipSync(code).byteLength };
}

export async function run(): Promise<Record<string, unknown>> {
  const rows: Record<string, unknown> = {};
  for (const file of handlerFiles()) {
    const full = await bundleBytes(file, []);
    const sdkExternal = await bundleBytes(file, ["@aws-sdk/*", "@smithy/*"]);
    rows[file] = { bundledBytes: full.bytes, bundledGzipBytes: full.gzip, sdkExternalBytes: sdkExternal.bytes };
    process.stdout.write(
      `${file.padEnd(52)} ${(full.bytes / 1024).toFixed(0).padStart(6)} KiB (gzip ${(full.gzip / 1024).toFixed(0)} KiB), SDK external ${(sdkExternal.bytes / 1024).toFixed(0)} KiB\n`,
    );
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
