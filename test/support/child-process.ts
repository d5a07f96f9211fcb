/**
 * Kill tests' shared pieces: a seeded random source (a failing run can be replayed from its seed) and
 * the CLI run as a child process that may be SIGKILLed at a chosen moment.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";

export const CLI = join(import.meta.dirname, "..", "..", "src", "cli", "main.ts");

/** A tiny deterministic PRNG (mulberry32): numbers in [0, 1). */
export function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Runs `entra-connector <args>` in a child with `env` added; SIGKILLs it after `killAfterMs` unless it
 * ends first. Resolves with how it ended; rejects (with its stderr's tail) when it failed by itself.
 */
export function runCliChild(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  killAfterMs: number | undefined,
): Promise<{ killed: boolean; code: number | null }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const timer =
      killAfterMs === undefined ? undefined : setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    child.once("error", fail);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (signal !== "SIGKILL" && code !== 0)
        fail(new Error(`${args[0]} exited with ${code}: ${stderr.slice(-2000)}`));
      else done({ killed: signal === "SIGKILL", code });
    });
  });
}

export interface CliOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  /** Gets the child once it started (e.g. to send it a signal at a chosen moment). */
  onStart?: (child: ChildProcess) => void;
  /** Written to its stdin, which is then closed; without it, stdin is ignored. */
  stdin?: string;
  cwd?: string;
  /** A command that runs the CLI for us (e.g. `setpriv …`): its words come before node's. */
  prefix?: readonly string[];
  /** The child gets `env` alone, not this process's environment with `env` added. */
  isolatedEnv?: boolean;
}

/** Runs `entra-connector <args>` in a child with `env` added and collects its output. Resolves however it ended. */
export function runCliCollect(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  options: CliRunOptions = {},
): Promise<CliOutcome> {
  return new Promise((done, fail) => {
    const [command, ...words] = [...(options.prefix ?? []), process.execPath, CLI, ...args];
    const child = spawn(command as string, words, {
      env: options.isolatedEnv ? env : { ...process.env, ...env },
      ...(options.cwd ? { cwd: options.cwd } : {}),
      stdio: [options.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d) => {
      stdout += d;
    });
    child.stderr?.on("data", (d) => {
      stderr += d;
    });
    child.once("error", fail);
    child.once("close", (code, signal) => done({ code, signal, stdout, stderr }));
    if (options.stdin !== undefined) child.stdin?.end(options.stdin);
    options.onStart?.(child);
  });
}
