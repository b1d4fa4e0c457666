/**
 * Which AWS CLI programs the one-interpreter session (test/support/aws-cli.ts) may run: only a
 * Python script, named by its shebang; anything else (a binary, a version manager's shell shim, a
 * missing file) keeps a process per command.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AwsCliError, openAwsCli, pythonScriptInterpreter } from "./support/aws-cli.ts";

const dir = mkdtempSync(join(tmpdir(), "paybus-aws-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, contents: string | Uint8Array): string {
  const file = join(dir, name);
  writeFileSync(file, contents);
  chmodSync(file, 0o755);
  return file;
}

describe("pythonScriptInterpreter", () => {
  it("names the interpreter of a Python script, directly or through env", () => {
    expect(pythonScriptInterpreter(script("debian", "#!/usr/bin/python3\nimport awscli.clidriver\n"))).toBe("/usr/bin/python3");
    expect(pythonScriptInterpreter(script("venv", "#!/opt/venv/bin/python3.11\nimport sys\n"))).toBe("/opt/venv/bin/python3.11");
    expect(pythonScriptInterpreter(script("env", "#!/usr/bin/env python3\nimport sys\n"))).toBe("python3");
  });

  it("refuses anything else: a shell shim, a binary, a script without a shebang, a missing file", () => {
    expect(pythonScriptInterpreter(script("shim", '#!/usr/bin/env bash\nexec "/root/.pyenv/libexec/pyenv" exec aws "$@"\n'))).toBeUndefined();
    expect(pythonScriptInterpreter(script("binary", new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0])))).toBeUndefined();
    expect(pythonScriptInterpreter(script("bare", "import sys\n"))).toBeUndefined();
    expect(pythonScriptInterpreter(join(dir, "missing"))).toBeUndefined();
  });
});

describe("openAwsCli with a CLI that is not a Python script", () => {
  it("runs each command as a process of its own, with the environment given, and reports its status and output", async () => {
    const shim = script("aws-shim", '#!/bin/sh\necho "args: $* region: $AWS_REGION"\necho "to stderr" >&2\nexit "${EXIT:-0}"\n');
    const cli = openAwsCli(shim, { PATH: "/usr/bin:/bin", AWS_REGION: "eu-west-1" });

    expect(await cli.check(["sqs", "list-queues"])).toBe("args: sqs list-queues region: eu-west-1\n");
    expect(await cli.run(["x"], { PATH: "/usr/bin:/bin", AWS_REGION: "us-east-1", EXIT: "3" })).toEqual({ code: 3, stdout: "args: x region: us-east-1\n", stderr: "to stderr\n" });
    await expect(cli.check(["y"], { PATH: "/usr/bin:/bin", EXIT: "2" })).rejects.toBeInstanceOf(AwsCliError);
    await expect(openAwsCli(join(dir, "missing"), {}).run(["--version"])).rejects.toThrow(/ENOENT/);
    await cli.close();
  });
});
