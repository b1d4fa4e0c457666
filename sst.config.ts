/// <reference path="./.sst/platform/config.d.ts" />
/**
 * SST app: `npx sst deploy --stage <stage>`. Everything comes from `stacks/`, which reads the
 * declarations (declarations/rules.ts, functions/common/tables.ts, workflows/index.ts) and the stage's
 * configuration (stacks/stages.ts). See docs/deploy.md.
 */
export default $config({
  async app(input) {
    // Imports stay inside the callbacks: SST evaluates this file before its globals exist.
    const { resolveStage } = await import("./stacks/stage-config.ts");
    const { stages } = await import("./stacks/stages.ts");
    const retain = resolveStage(input.stage, stages).retain;
    return {
      name: "paybus",
      home: "aws",
      removal: retain ? "retain" : "remove",
      protect: retain,
      providers: { aws: "7.20.0" },
    };
  },
  async run() {
    const { deploy } = await import("./stacks/index.ts");
    return deploy($app.stage);
  },
});
