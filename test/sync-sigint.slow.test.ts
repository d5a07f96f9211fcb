/**
 * Ctrl-C early in a sync (while the CLI starts, signs in, counts the tenant's users to size its read
 * budget, or starts the streams), each run a real CLI process: always "cancelled", exit 130, never
 * an internal error.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runCliCollect } from "./support/child-process.ts";
import { type Harness, startHarness } from "./sync-support.ts";

/** Milliseconds after the child's sign-in (the start of the tenant-size probe) at which SIGINT is sent. */
const MOMENTS = [0, 0, 0, 1, 3, 10, 30, 100, 300];

test("SIGINT at moments early in a sync is always a cancellation (exit 130)", async () => {
  const h: Harness = await startHarness({ size: "m", seed: 3 });
  try {
    // Graph-like latency keeps the user count (and the sync) in flight long enough to be interrupted.
    await h.emu.setFaults({ latency: "graph" });
    // The tenant size is counted (auto), and the debug log marks the end of the sign-in, just
    // before the count is sent.
    const env = { ...h.env, ENTRA_TENANT_SIZE: "auto", ENTRA_LOG_LEVEL: "debug" };
    for (const moment of MOMENTS) {
      let sent = false;
      const run = await runCliCollect(["sync"], env, {
        onStart: (child) => {
          child.stderr?.on("data", () => {
            if (sent) return;
            sent = true;
            setTimeout(() => child.kill("SIGINT"), moment);
          });
        },
      });
      const what = `SIGINT ${moment} ms after the first log line: exit ${run.code}\n${run.stderr.slice(-3000)}`;
      assert.ok(sent, what);
      assert.doesNotMatch(run.stderr + run.stdout, /INTERNAL|This is a bug/, what);
      assert.equal(run.code, 130, what);
      assert.match(run.stderr + run.stdout, /cancelled/, what);
    }
  } finally {
    await h.close();
  }
});
