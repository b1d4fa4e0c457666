import { readdirSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { bundleFunctions } from "./function-bundles.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * The text of every file an execution environment loads at its cold start to import `file`: the
 * file and, transitively, the chunks it imports statically (not those it imports with `import()`,
 * which load only when that code runs).
 */
function loadedAtColdStart(file: string, seen = new Set<string>()): string {
  if (seen.has(file)) return "";
  seen.add(file);
  const text = readFileSync(file, "utf8");
  let loaded = text;
  // Minified ESM: `import{a as b}from"./chunk-X.mjs";` or `import"./chunk-Y.mjs";`, never `import(`.
  for (const [, chunk] of text.matchAll(/\bimport\s*(?:[\w$*{][^"'();]*?from\s*)?["'](\.{1,2}\/[^"']+)["']/g)) {
    loaded += loadedAtColdStart(resolve(dirname(file), chunk!), seen);
  }
  return loaded;
}

/** Every function's bundle, built together as a runtime builds them. */
function bundleEveryFunction(): Promise<Map<string, string>> {
  const every = readdirSync(new URL("../functions/", import.meta.url), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && readdirSync(new URL(`../functions/${entry.name}/`, import.meta.url)).includes("handler.ts"))
    .map((entry) => `functions/${entry.name}/handler.ts`);
  return bundleFunctions(root, every);
}

describe("the functions' local bundles", () => {
  it("give each function only the code it imports: the SDK's ES modules tree-shaken, and no other function's clients", async () => {
    // Arrange + Act: every function, bundled together as a runtime bundles them.
    const bundles = await bundleEveryFunction();
    const loyalty = loadedAtColdStart(bundles.get("functions/loyalty/handler.ts")!);
    const notifications = loadedAtColdStart(bundles.get("functions/notifications/handler.ts")!);

    // Assert: the clients each handler builds, and not the others' (one build of every function
    // gave each one the code of every file its imports import). Class names survive minification (`keepNames`).
    const clients = ["DynamoDBClient", "SESClient", "SNSClient", "SFNClient", "EventBridgeClient", "SecretsManagerClient"];
    const defined = (text: string, names: string[]) => Object.fromEntries(names.map((name) => [name, text.includes(`"${name}"`)]));
    expect(defined(loyalty, clients)).toEqual({ DynamoDBClient: true, SESClient: false, SNSClient: false, SFNClient: true, EventBridgeClient: true, SecretsManagerClient: false });
    expect(defined(notifications, clients)).toEqual({ DynamoDBClient: true, SESClient: true, SNSClient: true, SFNClient: false, EventBridgeClient: false, SecretsManagerClient: false });
    // The DynamoDB client's dist-cjs index defines every command of the service; its ES modules
    // only those a function sends (none of the functions sends BatchExecuteStatement).
    expect(defined(loyalty, ["TransactWriteItemsCommand", "BatchExecuteStatementCommand"])).toEqual({ TransactWriteItemsCommand: true, BatchExecuteStatementCommand: false });
  });

  it("build the Stripe object schemas only in the functions that decode Stripe events", async () => {
    // Arrange + Act: every function, bundled together as a runtime bundles them.
    const bundles = await bundleEveryFunction();
    const loads = (fn: string) => loadedAtColdStart(bundles.get(`functions/${fn}/handler.ts`)!);

    // Assert: a message of the amount schema (`events/stripe-objects.ts`) survives minification. The
    // functions that read loyalty events or task inputs reach the notifications store, whose notices
    // read an invoice's subscription: that must not bring every Stripe object schema with it.
    const stripeObjectSchemas = "expected an integer amount in minor units";
    const builds = (fns: string[]) => Object.fromEntries(fns.map((fn) => [fn, loads(fn).includes(stripeObjectSchemas)]));
    expect(builds(["loyalty", "notifications", "lifecycle"])).toEqual({ loyalty: true, notifications: true, lifecycle: true });
    expect(builds(["loyalty-milestones", "loyalty-vip", "engagement-email"])).toEqual({ "loyalty-milestones": false, "loyalty-vip": false, "engagement-email": false });
  });
});
