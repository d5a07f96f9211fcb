/** `entra-connector sync` in-process: options checked before anything is sent, log lines, summary, JSON. */
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { runCli } from "../src/cli/program.ts";
import { startHarness } from "./sync-support.ts";

/** `tty`: stderr claims to be a terminal, so the progress redraws in place. */
function capture(env: NodeJS.ProcessEnv, tty = false) {
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), { isTTY: tty });
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

// One run, three reports: the live progress (its last redraw), the summary `sync` prints and the run
// record `runs` shows must give the same objects, changes and requests — also when requests are
// retried and when a sweep deletes what a round did not see.
const int = (text: string | undefined) => Number((text ?? "").replaceAll(",", ""));

interface Figures {
  objects: number;
  changes: number;
  requests: number;
  streams: Record<string, [number, number]>;
}

/** The terminal progress after its final redraw: one line per stream, then the client's line. */
function fromProgress(err: string): Figures {
  const last = err.split("\x1b[J").at(-1) ?? "";
  const streams: Figures["streams"] = {};
  for (const m of last.matchAll(/^(\S+)\s+\S+\s+([\d,]+) objects\s+([\d,]+) changes/gm)) {
    streams[m[1] as string] = [int(m[2]), int(m[3])];
  }
  const requests = /^graph\s+([\d,]+) requests/m.exec(last)?.[1];
  const sum = (i: 0 | 1) => Object.values(streams).reduce((s, v) => s + v[i], 0);
  return { objects: sum(0), changes: sum(1), requests: int(requests), streams };
}

function fromSummary(out: string): Figures {
  const head = /run #\d+ \S+ in [\d.]+ s: ([\d,]+) objects, ([\d,]+) changes, ([\d,]+) requests/.exec(out);
  assert.ok(head, out);
  const streams: Figures["streams"] = {};
  for (const m of out.matchAll(/^ {2}(\S+)\s+([\d,]+) objects\s+([\d,]+) changes/gm)) {
    streams[m[1] as string] = [int(m[2]), int(m[3])];
  }
  const client = int(/^ {2}graph\s+([\d,]+) requests/m.exec(out)?.[1]);
  assert.equal(client, int(head[3]), `the summary's client line and its total agree:\n${out}`);
  return { objects: int(head[1]), changes: int(head[2]), requests: int(head[3]), streams };
}

function fromRuns(out: string): Omit<Figures, "streams"> {
  const row =
    out
      .split("\n")[1]
      ?.trim()
      .split(/\s{2,}/) ?? [];
  // #, kind, status, started, duration, objects, changes, requests, …
  return { objects: int(row[5]), changes: int(row[6]), requests: int(row[7]) };
}

test("progress, summary and runs give the same objects, changes and requests for a run", async () => {
  const h = await startHarness({ size: "s", seed: 22, faultRate: 0.1 });
  try {
    for (const round of [1, 2, 3]) {
      if (round > 1) await h.emu.mutate({ count: 12, seed: round });
      const sync = capture(h.env, true);
      const code = await runCli(round === 3 ? ["sync", "--full"] : ["sync"], sync.io);
      assert.equal(code, 0, sync.err());
      const progress = fromProgress(sync.err());
      const summary = fromSummary(sync.out());
      const runs = capture(h.env);
      assert.equal(await runCli(["runs", "--limit", "1"], runs.io), 0, runs.err());
      const record = fromRuns(runs.out());
      const figures = (f: Figures | Omit<Figures, "streams">) => [f.objects, f.changes, f.requests];
      assert.deepEqual(figures(progress), figures(summary), `run ${round}: progress vs summary`);
      assert.deepEqual(figures(record), figures(summary), `run ${round}: runs vs summary`);
      assert.deepEqual(progress.streams, summary.streams, `run ${round}: per stream`);
      assert.ok(summary.requests > 0);
    }
  } finally {
    await h.close();
  }
});
