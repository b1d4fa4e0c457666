/**
 * The AWS CLI (a Python program) run several times in one Python interpreter. Each start of the
 * CLI costs ~1 s of CPU importing botocore and awscli before it sends anything; a test that runs it
 * six times spent most of its CPU there. Here one interpreter runs the CLI's own script (`aws`, as
 * installed: Debian's `/usr/bin/aws`, pip's) once per command with `runpy`, the command line in
 * `sys.argv` and the environment given, and reports its exit status, stdout and stderr: the same
 * program, arguments and requests as a process per command, the imports paid once. A fresh driver
 * (botocore session, parser, config read from the environment) is built by the script on every
 * run, as in a new process.
 *
 * Only for a CLI whose `aws` is a Python script ({@link pythonScriptInterpreter} says whether it is);
 * {@link openAwsCli} falls back to a process per command for any other.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readSync } from "node:fs";
import { createInterface, type Interface } from "node:readline";

/** What one command printed, and its exit status. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A non-zero exit, with what the command printed (as `execFile`'s rejection carries it). */
export class AwsCliError extends Error {
  override name = "AwsCliError";
  constructor(
    readonly args: readonly string[],
    readonly result: CliResult,
  ) {
    super(`aws ${args.join(" ")} exited with ${result.code}: ${result.stderr.trim()}`);
  }
}

// Reads one JSON command line per line; runs the script as `__main__` (what `aws …` does); answers
// one JSON line. stdout/stderr are text wrappers over bytes, so code writing to `.buffer` works.
const SERVER = String.raw`
import io, json, os, runpy, sys, traceback
script = sys.argv[1]
real_out, real_err = sys.stdout, sys.stderr
# What the CLI itself set in os.environ (awscli sets AWS_DATA_PATH once, on import).
set_by_cli = {}
for line in sys.stdin:
    command = json.loads(line)
    # The command's environment replaces the interpreter's (botocore reads os.environ when the
    # script builds its session, i.e. on every run), plus what the CLI set unless the command's
    # environment sets it.
    os.environ.clear(); os.environ.update(set_by_cli); os.environ.update(command["env"]); args = command["args"]
    before_run = set(os.environ)
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    sys.stdout, sys.stderr, sys.argv = out, err, [script, *args]
    code = 0
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
    except BaseException:
        traceback.print_exc()
        code = 255
    finally:
        sys.stdout, sys.stderr = real_out, real_err
        set_by_cli.update({key: value for key, value in os.environ.items() if key not in before_run})
    out.flush(); err.flush()
    answer = {"code": code, "stdout": out.buffer.getvalue().decode("utf-8", "replace"), "stderr": err.buffer.getvalue().decode("utf-8", "replace")}
    real_out.write(json.dumps(answer) + "\n")
    real_out.flush()
`;

/** The interpreter of `script` when it is a Python script (`#!…python…`), else undefined (a binary, a shell shim). */
export function pythonScriptInterpreter(script: string): string | undefined {
  let head = "";
  try {
    const fd = openSync(script, "r");
    try {
      const buffer = Buffer.alloc(256);
      head = buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0)).toString("utf8");
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  const shebang = /^#!\s*(\S+)(?:[ \t]+(\S+))?/.exec(head.split("\n")[0] ?? "");
  if (!shebang) return undefined;
  const [, program, argument] = shebang;
  if (/python[\d.]*$/.test(program!)) return program;
  // `#!/usr/bin/env python3`
  if (program!.endsWith("/env") && argument && /^python[\d.]*$/.test(argument)) return argument;
  return undefined;
}

/** Runs `aws` commands; `env` is a command's whole environment (default: the one the CLI was opened with). */
export interface AwsCli {
  /** Runs `aws <args>`; resolves with its exit status and output whatever the status. */
  run(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<CliResult>;
  /** Runs `aws <args>` and resolves with its stdout; rejects with an {@link AwsCliError} on a non-zero exit. */
  check(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<string>;
  /** Ends what runs the commands. */
  close(): Promise<void>;
}

/**
 * The CLI `script`: its commands in one interpreter ({@link AwsCliSession}) when it is a Python
 * script, as Debian's and pip's are; else a process per command (a binary, a version manager's shim).
 * A CLI that cannot start rejects each `run` with the spawn's error.
 */
export function openAwsCli(script: string, env: NodeJS.ProcessEnv): AwsCli {
  if (pythonScriptInterpreter(script)) return AwsCliSession.start(script, env);
  const run = (args: readonly string[], commandEnv = env) =>
    new Promise<CliResult>((resolve, reject) =>
      execFile(script, args, { env: commandEnv }, (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") reject(error);
        else resolve({ code: typeof error?.code === "number" ? error.code : 0, stdout, stderr });
      }),
    );
  return { run, check: (args, commandEnv) => checked(args, run(args, commandEnv)), close: async () => {} };
}

async function checked(args: readonly string[], result: Promise<CliResult>): Promise<string> {
  const done = await result;
  if (done.code !== 0) throw new AwsCliError(args, done);
  return done.stdout;
}

/** One Python interpreter running `aws` commands one after another. */
export class AwsCliSession implements AwsCli {
  private readonly answers: Interface;
  private readonly pending: Array<(line: string) => void> = [];
  private exited: Error | undefined;

  private constructor(
    private readonly child: ChildProcess,
    private readonly script: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.answers = createInterface({ input: child.stdout! });
    this.answers.on("line", (line) => this.pending.shift()?.(line));
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    child.once("exit", (code) => {
      this.exited = new Error(`the AWS CLI interpreter exited (${code}): ${stderr.trim()}`);
      for (const waiting of this.pending.splice(0)) waiting("");
    });
  }

  /** Starts the interpreter for the CLI script `script` (a Python script), with `env` for every command that gives none. */
  static start(script: string, env: NodeJS.ProcessEnv): AwsCliSession {
    const python = pythonScriptInterpreter(script);
    if (!python) throw new Error(`${script} is not a Python script`);
    const child = spawn(python, ["-c", SERVER, script], { env, stdio: ["pipe", "pipe", "pipe"] });
    return new AwsCliSession(child, script, env);
  }

  async run(args: readonly string[], env = this.env): Promise<CliResult> {
    if (this.exited) throw this.exited;
    const line = new Promise<string>((resolve) => this.pending.push(resolve));
    this.child.stdin!.write(`${JSON.stringify({ args, env })}\n`);
    const answer = await line;
    if (!answer) throw this.exited ?? new Error(`no answer from ${this.script}`);
    return JSON.parse(answer) as CliResult;
  }

  check(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<string> {
    return checked(args, this.run(args, env));
  }

  /** Ends the interpreter (its stdin closes: the loop ends). */
  async close(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.stdin!.end();
    await exited;
  }
}
