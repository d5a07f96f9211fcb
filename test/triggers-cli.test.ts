/**
 * The `watch` command as a user runs it, against the emulator and a real local receiver: signed
 * webhooks with the secret from ENTRA_WEBHOOK_SECRET, dead letters after the bounded time, replay.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from "../src/index.ts";
import { type Harness, startHarness } from "./sync-support.ts";

const CLI = join(import.meta.dirname, "..", "src", "cli", "main.ts");
const SECRET = "cli-test-secret";

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

async function watch(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const out = await promisify(execFile)(process.execPath, [CLI, "watch", "--webhook", url, ...args], {
      env: { ...process.env, ...h.env, ENTRA_WEBHOOK_SECRET: SECRET },
      encoding: "utf8",
    });
    return { code: 0, ...out };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
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
});
