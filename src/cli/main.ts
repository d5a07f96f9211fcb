// biome-ignore lint/style/noRestrictedImports: the process entry must silence the warning before src/index.ts loads node:sqlite.
import { silenceSqliteWarning } from "../log/sqlite-warning.ts";
import type { CommandIO } from "./command.ts";
import { restartWithStartupLimits, sizeHeapForStreaming, streamsTenant } from "./heap.ts";

if (streamsTenant(process.argv.slice(2))) restartWithStartupLimits();
sizeHeapForStreaming();

silenceSqliteWarning();

// Imported after the filter is in place (static imports would load node:sqlite first).
const { runCli } = await import("./program.ts");

// The only place the process exits: commands return exit codes, decided once by the error registry.
const controller = new AbortController();
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => controller.abort(new Error(`received ${sig}`)));
}
// A reader that stops early (`entra-connector … | head`) closes the pipe: its choice, not our failure.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code !== "EPIPE") throw err;
  controller.abort(new Error("stdout closed"));
  process.exit(process.exitCode ?? 0);
});
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
