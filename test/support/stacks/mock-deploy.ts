/**
 * Runs the real stacks (`stacks/index.ts`) with SST's real components under Pulumi's runtime mocks
 * and writes every resource they register, with its inputs, as JSON — no AWS account, no Pulumi
 * engine. `test/infra/stacks.test.ts` bundles this file into `.sst/platform/` (where `sst install`
 * put `@pulumi/*`), runs it in its own process and asserts on the resource graph and IAM.
 *
 * What SST's CLI would answer over its RPC channel is answered here: the bootstrap bucket, and
 * `Runtime.Build`, which really bundles each handler with esbuild so a wrong handler path or a
 * missing export fails the run.
 *
 * Environment: `PAYBUS_MOCK_STAGE` (a StageConfig as JSON), `PAYBUS_MOCK_OUT` (the output file;
 * build output goes beside it), `PAYBUS_MOCK_ROOT` (the repository root), and optionally
 * `PAYBUS_MOCK_PREBUILT`: handlers already bundled with the same options (`handler-bundles.ts`),
 * answered without building them again.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { basename, dirname, join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { build } from "esbuild";
import type { StageConfig } from "../../../stacks/stage-config.ts";
import type { MockDeployment, RegisteredResource } from "./deployment.ts";
import { HANDLER_BUILD_OPTIONS, PREBUILT_ENV, type PrebuiltHandlers } from "./handler-bundles.ts";

const root = process.env.PAYBUS_MOCK_ROOT!;
const stage = JSON.parse(process.env.PAYBUS_MOCK_STAGE!) as StageConfig;
const out = process.env.PAYBUS_MOCK_OUT!;
const prebuilt = JSON.parse(process.env[PREBUILT_ENV] ?? "{}") as PrebuiltHandlers;
// Handler bundles and SST's zips, beside the output file: concurrent runs must not share them.
const work = join(dirname(out), `${basename(out, ".json")}-work`);
const REGION = "eu-west-1";
const ACCOUNT = "111122223333";

const resources: RegisteredResource[] = [];
const errors: string[] = [];

/** Writes what was registered; exits at once on failure, since a failed output never settles. */
function finish(status: number): never {
  writeFileSync(out, JSON.stringify({ resources, errors } satisfies MockDeployment));
  process.exit(status);
}
process.on("unhandledRejection", (reason) => {
  errors.push(reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason));
  finish(1);
});

/** A plausible ARN (and name, URL) for a mocked resource, so ARN-derived values can be asserted. */
function stateOf(type: string, name: string, inputs: Record<string, unknown>, id: string | undefined): Record<string, unknown> {
  // A read (`.get`) keeps the id it was given as its name, as EventBridge buses do.
  const physical = id || (typeof inputs.name === "string" ? inputs.name : `${name}-mock`);
  const service = type.split(":")[1]!.split("/")[0]!;
  const arnPrefix = `arn:aws:${service}:${REGION}:${ACCOUNT}`;
  const arns: Record<string, string> = {
    "aws:sqs/queue:Queue": `${arnPrefix}:${physical}`,
    "aws:lambda/function:Function": `${arnPrefix}:function:${physical}`,
    "aws:sfn/stateMachine:StateMachine": `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${physical}`,
    "aws:cloudwatch/eventRule:EventRule": `arn:aws:events:${REGION}:${ACCOUNT}:rule/${physical}`,
    "aws:cloudwatch/eventBus:EventBus": `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${physical}`,
  };
  return {
    ...inputs,
    name: physical,
    arn: arns[type] ?? `${arnPrefix}:${physical}`,
    url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${physical}`,
    functionUrl: `https://${physical}.lambda-url.${REGION}.on.aws/`,
    emailIdentity: inputs.emailIdentity,
  };
}

await pulumi.runtime.setMocks(
  {
    newResource(args) {
      resources.push({
        type: args.type,
        name: args.name,
        ...(args.id ? { id: args.id } : {}),
        inputs: args.inputs as Record<string, unknown>,
      });
      const state = stateOf(args.type, args.name, args.inputs as Record<string, unknown>, args.id);
      return { id: String(state.name), state };
    },
    call(args) {
      switch (args.token) {
        case "aws:index/getPartition:getPartition":
          return { partition: "aws", dnsSuffix: "amazonaws.com" };
        case "aws:index/getRegion:getRegion":
          return { region: REGION, name: REGION };
        case "aws:index/getCallerIdentity:getCallerIdentity":
          return { accountId: ACCOUNT };
        case "aws:iam/getPolicyDocument:getPolicyDocument":
          // The statements as given, so the tests read exactly what the stacks asked for.
          return { statements: args.inputs.statements, json: JSON.stringify({ Statement: args.inputs.statements ?? [] }) };
        default:
          throw new Error(`unmocked call ${args.token}`);
      }
    },
  },
  "paybus",
  "mock",
  false,
);

/** SST's CLI side of `rpc.call`: only what deploying paybus asks for. */
async function answer(method: string, params: Record<string, unknown>): Promise<unknown> {
  switch (method) {
    case "Provider.Aws.Bootstrap":
      return { asset: "sst-asset-mock", assetEcrRegistryId: ACCOUNT, assetEcrUrl: "", state: "sst-state-mock", appsyncHttp: "", appsyncRealtime: "" };
    case "Runtime.Build": {
      const functionId = String(params.functionID);
      const [file, exportName] = String(params.handler).split(/\.(?=[^./]+$)/) as [string, string];
      const ready = prebuilt[`${file}.ts`];
      let out: string;
      let exports: readonly string[];
      if (ready) {
        // The same bundle, built once for every stage: its folder holds it alone, as below.
        out = dirname(ready.file);
        exports = ready.exports;
      } else {
        out = join(work, functionId);
        mkdirSync(out, { recursive: true });
        const result = await build({ ...HANDLER_BUILD_OPTIONS, entryPoints: [join(root, `${file}.ts`)], outfile: join(out, "index.mjs"), metafile: true });
        exports = Object.values(result.metafile.outputs).flatMap((output) => output.exports);
      }
      const missing = exports.includes(exportName) ? [] : [`${file}.ts does not export ${exportName}`];
      return { handler: `index.${exportName}`, out, errors: missing, sourcemaps: [] };
    }
    default:
      return {};
  }
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    const { method, params } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { method: string; params: unknown[] };
    answer(method, (params[0] ?? {}) as Record<string, unknown>).then(
      (result) => res.end(JSON.stringify({ id: 1, result, error: null })),
      (error: unknown) => res.end(JSON.stringify({ id: 1, result: null, error: String(error) })),
    );
  });
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const rpcUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
process.env.SST_SERVER = rpcUrl;

// The globals SST's CLI defines before it evaluates sst.config.ts; SST's modules read them on load.
const globals = globalThis as Record<string, unknown>;
globals.$app = { name: "paybus", stage: "mock", removal: "remove", providers: {}, protect: false };
globals.$dev = false;
globals.$cli = { command: "deploy", rpc: rpcUrl, paths: { home: work, root, work, platform: join(root, ".sst", "platform") }, state: { version: {} } };
// @ts-expect-error SST ships its shim as plain JavaScript, without declarations.
Object.assign(globals, (await import("../../../.sst/platform/src/shim/run.js")) as Record<string, unknown>);
globals.aws = await import("@pulumi/aws");
globals.sst = await import("../../../.sst/platform/src/components/index.ts");

const { deploy } = await import("../../../stacks/index.ts");
try {
  deploy("mock", stage);
} catch (error) {
  errors.push(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  finish(1);
}
await pulumi.runtime.disconnect();
server.close();
finish(0);
