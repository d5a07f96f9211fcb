/**
 * A store file deleted or replaced under a running watcher: the watcher notices at its next round and
 * stops with STORE_REPLACED (a non-zero exit for `watch`), instead of delivering from a file no other
 * process sees while a new store at the same path starts a second history into the same receivers.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { copyFileSync, mkdtempSync, renameSync, rmSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { isConnectorError } from "../src/errors.ts";
import { subscribe } from "../src/index.ts";
import { openStore } from "../src/store/index.ts";
import { user } from "../src/store/test-support.ts";
import { CLI } from "./support/child-process.ts";
import { startHarness } from "./sync-support.ts";
import { markLoaded } from "./triggers-support.ts";

const dir = mkdtempSync(join(tmpdir(), "watch-store-file-"));
after(() => rmSync(dir, { recursive: true, force: true }));

async function storeAt(path: string) {
  const store = await openStore(path);
  const run = await store.runs.start({ kind: "full", tenantId: "t" });
  await store.sync.applyPage({ runId: run.id, stream: "users", upserts: [user("u0")] });
  await markLoaded(store, run.id);
  await store.runs.finish(run.id, { status: "succeeded" });
  return store;
}

describe("a watcher whose store file goes away", () => {
  for (const [what, change] of [
    ["deleted", (path: string) => unlinkSync(path)],
    [
      "replaced by another file",
      (path: string) => {
        copyFileSync(path, `${path}.copy`);
        renameSync(`${path}.copy`, path);
      },
    ],
  ] as const) {
    it(`stops with STORE_REPLACED when the file is ${what}`, { timeout: 30_000 }, async () => {
      const path = join(dir, `${what.split(" ")[0]}.db`);
      const store = await storeAt(path);
      try {
        const sub = await subscribe({ store, id: "s", intervalMs: 20 }, () => {});
        change(path);
        await assert.rejects(
          sub.done,
          (err: unknown) =>
            isConnectorError(err, "STORE_REPLACED") &&
            err.message.includes(`${path} was ${what}`) &&
            /start the command again/.test(err.fix ?? ""),
        );
      } finally {
        await store.close();
      }
    });
  }

  it("a store left in place is watched on", async () => {
    const store = await storeAt(join(dir, "kept.db"));
    try {
      const sub = await subscribe({ store, id: "s", intervalMs: 10 }, () => {});
      let settled = false;
      void sub.done.finally(() => {
        settled = true;
      });
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(settled, false, "still watching after many rounds");
      await sub.stop();
    } finally {
      await store.close();
    }
  });
});

describe("`watch` with its store deleted", () => {
  it("exits with code 2 and STORE_REPLACED naming the file", async () => {
    const h = await startHarness({ size: "s", seed: 31 });
    try {
      const path = join(h.dir, "watched.db");
      const child = spawn(
        process.execPath,
        [CLI, "watch", "--interval", "100ms", "--out", join(h.dir, "events.jsonl")],
        { env: { ...process.env, ...h.env, ENTRA_STORE: path }, stdio: ["ignore", "ignore", "pipe"] },
      );
      let stderr = "";
      const started = new Promise<void>((resolve) => {
        child.stderr.on("data", (d) => {
          stderr += d;
          if (stderr.includes("lease owner")) resolve();
        });
      });
      const exited = once(child, "exit");
      await Promise.race([started, exited]);
      unlinkSync(path);
      // A watcher that never notices would run on: give up on it well after its next round.
      const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
      const [code] = (await exited) as [number | null];
      clearTimeout(timer);
      assert.equal(code, 2, stderr);
      assert.match(stderr, new RegExp(`error STORE_REPLACED: The store file ${path} was deleted`));
    } finally {
      await h.close();
    }
  });
});
