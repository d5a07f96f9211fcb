import type { CommandIO } from "./command.ts";
import { runCli } from "./program.ts";

// The only place the process exits: commands return exit codes, decided once by the error registry.
const controller = new AbortController();
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => controller.abort(new Error(`received ${sig}`)));
}
const io: CommandIO = {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: controller.signal,
};
const code = await runCli(process.argv.slice(2), io);
process.exitCode = code;
// Keep-alive sockets or a listener left by a library must not keep a finished CLI alive.
setTimeout(() => process.exit(code), 200).unref();
