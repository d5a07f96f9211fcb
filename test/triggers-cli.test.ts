/**
 * The `watch` command as a user runs it, against the emulator and a real local receiver: signed
 * webhooks with the secret from ENTRA_WEBHOOK_SECRET, dead letters after the bounded time, replay;
 * the secret only in `--show-secret`'s output (never in other output, nor in clear in the store);
 * one watcher per subscription.
 */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import {
  loadConnectorKey,
  openSecret,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifySignature,
} from "../src/index.ts";
import { type Harness, startHarness } from "./sync-support.ts";

const CLI = join(import.meta.dirname, "..", "src", "cli", "main.ts");
const SECRET = "cli-test-secret-value";

let h: Harness;
let url: string;
let failing = false;
const received: { type: string; id: string; valid: boolean }[] = [];
const server = createServer(async (req, res) => {
  let body = "";
  for await (const chunk of req) body += chunk;
  if (failing) return void res.writeHead(500).end();
  const valid = verifySignature(
    SECRET,
    req.headers[TIMESTAMP_HEADER] as string,
    body,
    req.headers[SIGNATURE_HEADER] as string,
  );
  const event = JSON.parse(body) as { type: string; id: string };
  received.push({ type: event.type, id: event.id, valid });
  res.writeHead(200).end();
});

before(async () => {
  h = await startHarness({ size: "s", seed: 13 });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/in`;
});
after(async () => {
  server.close();
  await h.close();
});

/** Everything the runs printed, except `--show-secret`'s answer. */
const printed: string[] = [];

async function watch(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let result: { code: number; stdout: string; stderr: string };
  try {
    const out = await promisify(execFile)(process.execPath, [CLI, "watch", "--webhook", url, ...args], {
      env: { ...process.env, ...h.env, ENTRA_WEBHOOK_SECRET: SECRET },
      encoding: "utf8",
    });
    result = { code: 0, ...out };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    result = { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
  if (!args.includes("--show-secret")) printed.push(result.stdout, result.stderr);
  return result;
}

/** Whether `needle` is in the store's database file or its WAL. */
function inStoreFiles(needle: string): boolean {
  const path = h.env["ENTRA_STORE"] as string;
  return ["", "-wal"].some((x) => existsSync(path + x) && readFileSync(path + x).includes(needle));
}

test("watch --webhook: baseline silent, changes signed with the configured secret, dead letters replayed", async () => {
  assert.equal((await watch("--once")).code, 0);
  assert.equal(received.length, 0, "the baseline fired nothing");

  await h.emu.mutate({ count: 5, seed: 77 });
  assert.equal((await watch("--once")).code, 0);
  assert.ok(received.length >= 5, `only ${received.length} events arrived`);
  assert.ok(
    received.every((r) => r.valid),
    "every signature verifies",
  );
  const shown = await watch("--show-secret");
  assert.equal(shown.stdout.trim().split("\t")[1], SECRET);

  // The receiver fails for longer than --dead-letter-after: events are parked, not lost.
  failing = true;
  await h.emu.mutate({ count: 3, seed: 78 });
  const parked = await watch(
    "--once",
    "--dead-letter-after",
    "150ms",
    "--retry-base",
    "20ms",
    "--retry-max",
    "50ms",
  );
  assert.equal(parked.code, 0);
  assert.match(
    parked.stderr,
    /dead-lettered after \d+ attempts: POST http:\/\/127\.0\.0\.1:\d+\/in: HTTP 500/,
  );
  assert.doesNotMatch(parked.stderr, new RegExp(SECRET));
  failing = false;
  const before = received.length;
  const replay = await watch("--replay-dead-letters");
  assert.equal(replay.code, 0, replay.stderr);
  assert.match(replay.stderr, /replayed [1-9]\d*, still dead-lettered 0/);
  assert.ok(received.length > before);
  assert.ok(received.every((r) => r.valid));
  assert.equal(new Set(received.map((r) => r.id)).size, received.length, "nothing arrived twice");
  const listed = (await watch("--list")).stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.equal(listed.length, 1);
  assert.equal(listed[0].deadLetters, 0);
  assert.ok(listed[0].position > 0);
  assert.equal(listed[0].secret, undefined, "no secret in the listing");
  assert.equal(listed[0].sealedSecret, undefined, "not even sealed");
  assert.deepEqual(
    printed.filter((p) => p.includes(SECRET)),
    [],
    "the secret is in no output but --show-secret's",
  );
  assert.ok(inStoreFiles(url), "the subscription is in the store files");
  assert.equal(inStoreFiles(SECRET), false, "its secret is not, in clear");
});

test("a secret stored in clear by an older version is sealed at the next start", async () => {
  const id = `webhook:${url}`;
  const row = (await h.store.subscriptions.get(id))?.data as Record<string, unknown>;
  const { sealedSecret: _sealed, ...legacy } = row;
  await h.store.subscriptions.put(id, { ...legacy, secret: "legacy-secret-in-clear" });
  await watch("--list");
  const migrated = (await h.store.subscriptions.get(id))?.data as Record<string, unknown>;
  assert.equal(migrated["secret"], undefined);
  assert.equal(typeof migrated["sealedSecret"], "string");
  const key = await loadConnectorKey({ stateDir: h.dir });
  assert.equal(openSecret(migrated as never, key), "legacy-secret-in-clear", "the same secret, sealed");
  assert.equal(inStoreFiles("legacy-secret-in-clear"), false);
});

test("a second watcher on the same subscription exits with SUBSCRIPTION_LEASED naming the first", async () => {
  const first = spawn(process.execPath, [CLI, "watch", "--webhook", url, "--interval", "1s"], {
    env: { ...process.env, ...h.env, ENTRA_WEBHOOK_SECRET: SECRET },
    stdio: ["ignore", "ignore", "pipe"],
  });
  try {
    let stderr = "";
    first.stderr.setEncoding("utf8");
    await new Promise<void>((started, failed) => {
      first.stderr.on("data", (d: string) => {
        stderr += d;
        if (/lease owner /.test(stderr)) started();
      });
      first.once("exit", () => failed(new Error(`the first watcher ended: ${stderr}`)));
    });
    const second = await watch("--once", "--json");
    assert.equal(second.code, 2, second.stderr);
    assert.equal(second.stdout, "", "errors go to stderr, --json or not");
    const { error } = JSON.parse(second.stderr.trimEnd().split("\n").at(-1) ?? "") as {
      error: { code: string; message: string; fix: string };
    };
    assert.equal(error.code, "SUBSCRIPTION_LEASED");
    assert.match(error.message, new RegExp(`process ${first.pid} on host `));
    assert.match(error.fix, /Stop that watcher .* --wait/);
    // `--wait` waits while the first runs, and takes over as soon as it stops (and releases its lease).
    const waiting = spawn(process.execPath, [CLI, "watch", "--webhook", url, "--once", "--wait"], {
      env: { ...process.env, ...h.env, ENTRA_WEBHOOK_SECRET: SECRET },
      stdio: ["ignore", "ignore", "pipe"],
    });
    try {
      let waited = "";
      waiting.stderr.setEncoding("utf8");
      const exited = new Promise<number | null>((r) => waiting.once("exit", (code) => r(code)));
      await new Promise<void>((isWaiting, failed) => {
        waiting.stderr.on("data", (d: string) => {
          waited += d;
          if (/waiting for the lease held by/.test(waited)) isWaiting();
        });
        void exited.then(() => failed(new Error(`the waiting watcher ended before waiting: ${waited}`)));
      });
      assert.match(waited, new RegExp(`waiting for the lease held by process ${first.pid} on host `));
      assert.doesNotMatch(waited, /lease owner/, "it did not start while the first held the lease");
      assert.equal(waiting.exitCode, null, "still waiting");
      first.kill("SIGTERM");
      assert.equal(await exited, 0, waited);
      assert.match(waited, /waiting for the lease held by[\s\S]*lease owner \d+@/);
    } finally {
      waiting.kill("SIGKILL");
    }
  } finally {
    first.kill("SIGKILL");
  }
});
