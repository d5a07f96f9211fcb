#!/usr/bin/env node
// The package bin stays plain JS that any Node can parse, so `npm link`/`npx` work whatever Node is
// first on the PATH. The connector needs Node 24 (type stripping, node:sqlite): started by an older
// one, it runs itself again on the project's Node 24 (the `node` package's binary) or says what it needs.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { constants } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const NEEDED = 24;

function projectNode() {
  try {
    const bin = join(dirname(createRequire(import.meta.url).resolve("node/package.json")), "bin", "node");
    return existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

if (Number(process.versions.node.split(".")[0]) >= NEEDED) {
  await import("../src/cli/main.ts");
} else {
  const node = projectNode();
  if (node === undefined) {
    process.stderr.write(
      `entra-connector needs Node.js ${NEEDED} or newer, and this is ${process.version}: run \`npm install\` in ${fileURLToPath(new URL("..", import.meta.url))} (it brings Node ${NEEDED}) or start it with Node ${NEEDED}.\n`,
    );
    process.exit(2);
  }
  const child = spawn(node, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: "inherit",
  });
  // A supervisor's SIGTERM reaches only this process; Ctrl-C reaches both, and the child decides.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
  child.on("error", (err) => {
    process.stderr.write(`entra-connector: cannot start ${node}: ${err.message}\n`);
    process.exit(2);
  });
  child.on("exit", (code, signal) => {
    process.exit(code ?? 128 + (signal ? constants.signals[signal] : 1));
  });
}
