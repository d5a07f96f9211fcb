/**
 * The development loop: the connector's unit tests only, without type checking or lint. A test file
 * is left to `npm test` when it is a `*.slow.test.ts`, starts the emulator (directly or through the
 * test harnesses) or starts child processes; the emulator package's own tests also stay in `npm test`.
 *
 *   npm run test:fast [-- --test-name-pattern=…]
 */
import { spawnSync } from "node:child_process";
import { globSync, readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..");
/** What a test file's source says when it needs the emulator or other processes. */
const HEAVY =
  /@entra-connector\/graph-emulator|startHarness|fileHarness|startActionHarness|node:child_process/;

export function fastTestFiles(root = ROOT): string[] {
  return globSync(["src/**/*.test.ts", "test/**/*.test.ts"], { cwd: root })
    .filter((file) => !file.endsWith(".slow.test.ts"))
    .filter((file) => !HEAVY.test(readFileSync(join(root, file), "utf8")))
    .sort();
}

if (import.meta.main) {
  const files = fastTestFiles();
  const result = spawnSync(
    process.execPath,
    // One process for every file: loading the modules again per file would cost more than the tests.
    ["--test", "--test-isolation=none", "--test-reporter=dot", ...process.argv.slice(2), ...files],
    { cwd: ROOT, stdio: "inherit" },
  );
  process.exitCode = result.status ?? 1;
}
