/**
 * Stack traces of a function's errors, pointed at the TypeScript sources through the bundles'
 * source maps — read when a stack trace is first written, not when a module loads.
 *
 * Why not node's own source-map support (`process.setSourceMapsEnabled(true)`): it reads and parses
 * the map of every module as it loads, so every execution environment paid for the maps of all its
 * chunks at its cold start (the AWS SDK's chunk alone has a 1.2 MB map; reading and parsing them
 * takes 10–20 ms of CPU here, of the ~300 ms a cold start costs), though most environments never
 * write a stack trace.
 * Here a bundle file's map is read the first time a frame of that file is formatted, then kept.
 * The frames read as node writes them with source maps on: `at name (/path/to/source.ts:line:col)`;
 * a frame outside the bundles (node's own modules) or without a mapping stays as V8 writes it.
 */
import { readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { fileURLToPath } from "node:url";

/** The source map of each bundle file read so far; null for a file without a usable one. */
const maps = new Map<string, SourceMap | null>();

function mapOf(fileUrl: string): SourceMap | null {
  let map = maps.get(fileUrl);
  if (map === undefined) {
    try {
      const payload = JSON.parse(readFileSync(fileURLToPath(`${fileUrl}.map`), "utf8")) as { sources: string[] };
      // The map names its sources relative to itself; the frames name them by absolute path, as node does.
      payload.sources = payload.sources.map((source) => fileURLToPath(new URL(source, fileUrl)));
      map = new SourceMap(payload as ConstructorParameters<typeof SourceMap>[0]);
    } catch {
      map = null;
    }
    maps.set(fileUrl, map);
  }
  return map;
}

/** One frame, mapped to its source when its file is one of the bundles under `bundles`. */
function frame(site: NodeJS.CallSite, bundles: string): string {
  const file = site.getFileName();
  const line = site.getLineNumber();
  const column = site.getColumnNumber();
  if (file?.startsWith(bundles) && line !== null && column !== null) {
    const entry = mapOf(file)?.findEntry(line - 1, column - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number } | undefined;
    if (entry?.originalSource && entry.originalLine !== undefined && entry.originalColumn !== undefined) {
      const typeName = site.getTypeName();
      const name = `${typeName !== null && typeName !== "global" ? `${typeName}.` : ""}${site.getFunctionName() ?? site.getMethodName() ?? "<anonymous>"}`;
      return `${name} (${entry.originalSource}:${entry.originalLine + 1}:${entry.originalColumn + 1})`;
    }
  }
  return String(site);
}

/**
 * From now on, stack traces written in this thread point frames of the bundles under `bundles` (a
 * `file:` URL ending in `/`) at their sources, reading each bundle file's map when first needed.
 */
export function mapStackTracesLazily(bundles: string): void {
  Error.prepareStackTrace = (error: Error, sites: NodeJS.CallSite[]) => {
    const header = Error.prototype.toString.call(error);
    return sites.length === 0 ? header : `${header}\n    at ${sites.map((site) => frame(site, bundles)).join("\n    at ")}`;
  };
}
