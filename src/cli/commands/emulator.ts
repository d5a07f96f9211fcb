/**
 * `entra-connector emulator [emulator flags…]`: runs the local Graph + login emulator as a child
 * process. The connector never imports the emulator package; it starts its bin like any program.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { createError, EXIT } from "../../index.ts";
import type { CommandSpec } from "../command.ts";

/** The emulator's bin, found through its package's exports as any installed dependency is. */
export function emulatorBin(): string {
  const name = "@entra-connector/graph-emulator/bin/graph-emulator.js";
  try {
    return fileURLToPath(import.meta.resolve(name));
  } catch (err) {
    throw createError(
      "USAGE",
      { detail: `the emulator is not installed here (${name} is not found)` },
      { cause: err },
    );
  }
}

export const emulatorCommand: CommandSpec = {
  name: "emulator",
  summary: "Run the local Microsoft Graph + login emulator (flags are passed through)",
  configure(cmd: Command): Command {
    return cmd.allowUnknownOption().allowExcessArguments().helpOption(false).argument("[args...]");
  },
  run(_options, args, io) {
    const bin = emulatorBin();
    return new Promise<number>((resolve, reject) => {
      const child = spawn(process.execPath, [bin, ...args], {
        stdio: ["ignore", "pipe", "pipe"],
        env: io.env,
      });
      // Until its one JSON line the emulator has only validated its flags: what it says then is held
      // back, so that a refused flag is reported as every usage error is (exit 2, text or --json).
      let ready = false;
      let early = "";
      child.stdout.once("data", () => {
        ready = true;
        io.stderr.write(early);
      });
      child.stdout.pipe(io.stdout, { end: false });
      child.stderr.on("data", (chunk: Buffer) => {
        if (ready) io.stderr.write(chunk);
        else early += chunk.toString();
      });
      const stop = () => child.kill("SIGTERM");
      io.signal.addEventListener("abort", stop, { once: true });
      child.once("error", reject);
      child.once("close", (code, signal) => {
        io.signal.removeEventListener("abort", stop);
        if (!ready && code === EXIT.usage) {
          reject(createError("USAGE", { detail: `emulator: ${refusal(early)}` }));
          return;
        }
        if (!ready) io.stderr.write(early);
        resolve(code ?? (signal === "SIGTERM" && io.signal.aborted ? EXIT.ok : EXIT.internal));
      });
    });
  },
};

/** The emulator's own words for a refused flag, without its log prefix. */
function refusal(stderr: string): string {
  const line = stderr.split("\n").find((l) => l.trim() !== "") ?? "a flag was refused";
  return line.replace(/^\[graph-emulator\]\s*/, "").replace(/^error:\s*/, "");
}
