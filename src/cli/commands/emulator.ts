/**
 * `entra-connector emulator [emulator flags…]`: runs the local Graph + login emulator as a child
 * process. The connector never imports the emulator package; it starts its bin like any program.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { createError, EXIT } from "../../index.ts";
import type { CommandSpec } from "../command.ts";

const EMULATOR_BIN = fileURLToPath(
  new URL("../../../packages/graph-emulator/bin/graph-emulator.js", import.meta.url),
);

export const emulatorCommand: CommandSpec = {
  name: "emulator",
  summary: "Run the local Microsoft Graph + login emulator (flags are passed through)",
  configure(cmd: Command): Command {
    return cmd.allowUnknownOption().allowExcessArguments().helpOption(false).argument("[args...]");
  },
  run(_options, args, io) {
    if (!existsSync(EMULATOR_BIN)) {
      throw createError("USAGE", {
        detail: `the emulator is not installed here (${EMULATOR_BIN} is missing)`,
      });
    }
    return new Promise<number>((resolve, reject) => {
      const child = spawn(process.execPath, [EMULATOR_BIN, ...args], {
        stdio: ["ignore", "pipe", "pipe"],
        env: io.env,
      });
      child.stdout.pipe(io.stdout, { end: false });
      child.stderr.pipe(io.stderr, { end: false });
      const stop = () => child.kill("SIGTERM");
      io.signal.addEventListener("abort", stop, { once: true });
      child.once("error", reject);
      child.once("exit", (code, signal) => {
        io.signal.removeEventListener("abort", stop);
        resolve(code ?? (signal === "SIGTERM" && io.signal.aborted ? EXIT.ok : EXIT.internal));
      });
    });
  },
};
