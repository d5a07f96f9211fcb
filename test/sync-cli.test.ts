/** `entra-connector sync` in-process: options checked before anything is sent, log lines, summary, JSON. */
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { runCli } from "../src/cli/program.ts";
import { startHarness } from "./sync-support.ts";

function capture(env: NodeJS.ProcessEnv) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d) => {
    out += d;
  });
  stderr.on("data", (d) => {
    err += d;
  });
  return {
    io: { stdout, stderr, env, signal: new AbortController().signal },
    out: () => out,
    err: () => err,
  };
}

test("sync: a bad --kinds is refused with the field and the choices, before any request", async () => {
  const h = await startHarness({ size: "s", seed: 21 });
  try {
    const before = (await h.emu.stats()) as { requests: number };
    const c = capture(h.env);
    const code = await runCli(["sync", "--kinds", "users,devices"], c.io);
    assert.equal(code, 2);
    assert.match(c.err(), /--kinds/);
    assert.match(c.err(), /"devices"/);
    assert.match(c.err(), /users, groups, memberships/);
    const after = (await h.emu.stats()) as { requests: number };
    assert.equal(after.requests, before.requests, "nothing was sent");
  } finally {
    await h.close();
  }
});

test("sync: log lines when not a terminal, a summary at the end, the run record with --json", async () => {
  const h = await startHarness({ size: "s", seed: 22 });
  try {
    const first = capture(h.env);
    assert.equal(await runCli(["sync", "--json"], first.io), 0, first.err());
    const record = JSON.parse(first.out()) as {
      kind: string;
      status: string;
      stats: Record<string, { objects: number; requests: number }>;
      client: { requests: number };
    };
    assert.equal(record.kind, "full");
    assert.equal(record.status, "succeeded");
    assert.ok(record.stats["users"]!.objects > 0);
    assert.ok(record.client.requests > 0);
    assert.match(first.err(), /^users\s+done\s+/m, "plain progress lines, no terminal escapes");
    assert.doesNotMatch(first.err(), /\x1b\[/);

    await h.emu.mutate({ count: 5, seed: 3 });
    const second = capture(h.env);
    assert.equal(await runCli(["sync"], second.io), 0, second.err());
    assert.match(second.out(), /^sync incremental run #2 succeeded/m);
    assert.match(second.out(), /^\s+users\s+\d+ objects/m);
  } finally {
    await h.close();
  }
});
