import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import type { ChangeEvent } from "../store/types.ts";
import type { SyncSummary } from "./engine.ts";
import { describeEvent, formatStreamLine, formatSummary, SyncProgress } from "./progress.ts";

const base = { seq: 1, id: "e", runId: "r", tenantId: "t", detectedAt: "now" };
const stats = () => ({ requests: 12, resourceUnits: 30, throttled: 2, throttleWaitMs: 1500, retries: 2 });

test("a stream line shows phase, counts and rate", () => {
  const line = formatStreamLine(
    { stream: "users", phase: "loading", objects: 5000, changes: 4000, startedAt: 0 },
    2000,
  );
  assert.match(line, /^users\s+loading\s+5,000 objects\s+4,000 changes\s+2,500\/s$/);
});

test("change events read as one line each", () => {
  const updated: ChangeEvent = {
    ...base,
    type: "updated",
    kind: "user",
    resourceId: "u1",
    data: { displayName: "Ann Lee" },
    changes: [{ property: "department", old: "Sales", new: "Ops" }],
  };
  assert.equal(describeEvent(updated), '~ user Ann Lee updated (department: "Sales" → "Ops")');
  const added: ChangeEvent = {
    ...base,
    type: "added",
    kind: "group",
    resourceId: "g1",
    data: { relation: "group:member", principalId: "u1", principalType: "user" },
  };
  assert.equal(describeEvent(added), "+ group:member g1 ← user u1");
  const gone: ChangeEvent = {
    ...base,
    type: "deleted",
    kind: "user",
    resourceId: "u2",
    data: { displayName: "Bo", "@removed": { reason: "changed" } },
  };
  assert.equal(describeEvent(gone), "- user Bo deleted (restorable)");
});

test("off a terminal, progress is plain lines; on one, it redraws in place", () => {
  const plain = new PassThrough();
  let text = "";
  plain.on("data", (d) => {
    text += d;
  });
  const p = new SyncProgress({ out: plain, tty: false, clientStats: stats, now: () => 1000 });
  p.phase("users", "loading");
  p.page("users", { objects: 10, changes: 0 });
  p.phase("users", "done");
  p.warning("roles", "PIM skipped");
  assert.equal(
    text.split("\n").filter(Boolean).length,
    3,
    `one line per phase change and warning, got:\n${text}`,
  );
  assert.doesNotMatch(text, /\x1b/);

  const tty = new PassThrough();
  let drawn = "";
  tty.on("data", (d) => {
    drawn += d;
  });
  const t = new SyncProgress({ out: tty, tty: true, clientStats: stats, now: () => 1000 });
  t.phase("users", "loading");
  t.stop();
  t.stop();
  assert.match(drawn, /\x1b\[2A\x1b\[J/, "the second draw moves up over the first");
  assert.match(drawn, /1\.5 s/);
});

test("the summary gives each stream's HTTP round trips and the requests its $batch envelopes carried", () => {
  const streamStats = (requests: number) => ({
    objects: 11,
    changes: 0,
    requests,
    resourceUnits: 12,
    throttleWaitMs: 0,
    errors: 0,
  });
  const summary: SyncSummary = {
    run: {
      id: "r",
      number: 3,
      kind: "incremental",
      status: "succeeded",
      tenantId: "t",
      startedAt: "now",
      stats: { apps: streamStats(2), users: streamStats(1) },
    },
    streams: {
      apps: { mode: "incremental", ok: true, cost: { requests: 2, batchedRequests: 11, resourceUnits: 12 } },
      users: { mode: "incremental", ok: true, cost: { requests: 1, batchedRequests: 0, resourceUnits: 1 } },
    },
    warnings: [],
    client: stats(),
    totals: { objects: 22, changes: 0, requests: 3 },
    durationMs: 100,
  };
  const [, apps, users] = formatSummary(summary);
  assert.match(
    apps ?? "",
    /^\s+apps\s+11 objects\s+0 changes\s+2 requests \(11 in \$batch\)\s+12 RU\s+incremental$/,
  );
  assert.match(users ?? "", /^\s+users\s+11 objects\s+0 changes\s+1 requests\s+12 RU\s+incremental$/);
});

test("directory text in change lines, warnings and failures is escaped, never sent raw to the terminal", () => {
  const hostile: ChangeEvent = {
    ...base,
    type: "created",
    kind: "user",
    resourceId: "u3",
    data: { displayName: "Eve\x1b]0;owned\x07\x1b[2J" },
  };
  assert.equal(describeEvent(hostile), "+ user Eve\\x1b]0;owned\\x07\\x1b[2J created");
  const out = new PassThrough();
  let text = "";
  out.on("data", (d) => {
    text += d;
  });
  new SyncProgress({ out, tty: false, clientStats: stats, now: () => 0 }).warning(
    "users",
    "bad \x1b[31mname",
  );
  assert.equal(text, "warning (users): bad \\x1b[31mname\n");
  const lines = formatSummary({
    run: { id: "r", number: 1, kind: "full", status: "failed", tenantId: "t", startedAt: "now", stats: {} },
    streams: {},
    warnings: [{ stream: "apps", message: "app \x9b6n" }],
    client: stats(),
    totals: { objects: 0, changes: 0, requests: 0 },
    durationMs: 1,
  });
  assert.equal(lines.at(-1), "  warning (apps): app \\x9b6n");
});
