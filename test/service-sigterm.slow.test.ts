/**
 * `serve` in a real child process: SIGTERM in the middle of a sync of an m tenant ends the process
 * within the grace period with exit 0; the next start resumes from the checkpoint, and the store then
 * equals the emulator's snapshot. Its log, at trace level, holds neither the client secret nor the API token.
 */
import assert from "node:assert/strict";
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { once } from "node:events";
import { test } from "node:test";
import { Agent, request } from "undici";
import { CLI } from "./support/child-process.ts";
import { comparison, type Harness, startHarness } from "./sync-support.ts";

const GRACE_SECONDS = 20;

function cli(args: string[], env: NodeJS.ProcessEnv): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
}

async function output(child: ChildProcessWithoutNullStreams): Promise<string> {
  let out = "";
  child.stdout.on("data", (d) => {
    out += d;
  });
  const [code] = await once(child, "exit");
  assert.equal(code, 0);
  return out;
}

/** Starts `serve` and resolves with its URL once it listens. */
async function serve(
  h: Harness,
  logs: string[],
): Promise<{ child: ChildProcessWithoutNullStreams; url: string }> {
  const child = cli(["serve", "--listen", "127.0.0.1:0", "--json", "--shutdown-grace", `${GRACE_SECONDS}s`], {
    ...h.env,
    ENTRA_LOG_LEVEL: "trace",
  });
  child.stderr.on("data", (d) => {
    logs.push(String(d));
  });
  let out = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (d) => {
      out += d;
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once("exit", (code) => reject(new Error(`serve exited with ${code}`)));
  });
  return { child, url };
}

const agent = new Agent();
async function api(url: string, token: string, method: "GET" | "POST" = "GET", body?: unknown) {
  const res = await request(url, {
    method,
    dispatcher: agent,
    headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
}

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("SIGTERM during a sync stops the service in its grace period; the next start resumes and ends exact", async () => {
  const h: Harness = await startHarness({ size: "m", seed: 21 });
  try {
    await h.emu.setFaults({ latency: "graph" });
    const created = await output(
      cli(["token", "create", "--name", "ops", "--role", "operator", "--json"], h.env),
    );
    const { token } = JSON.parse(created) as { token: string };

    const logs: string[] = [];
    const first = await serve(h, logs);
    const base = `${first.url}/api/v1/connections/default`;
    const started = await api(`${base}/sync`, token, "POST", { full: true });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const runId = String(started.body["runId"]);
    // Wait until pages are being committed, then stop the service mid-sync.
    await waitFor(async () => {
      const run = (await api(`${base}/runs/${runId}`, token)).body;
      const streams =
        (run["progress"] as { streams?: Record<string, { objects: number }> } | undefined)?.streams ?? {};
      return Object.values(streams).some((s) => s.objects > 0);
    }, "the sync to commit its first pages");
    const stopAt = Date.now();
    first.child.kill("SIGTERM");
    const [code] = await once(first.child, "exit");
    assert.equal(code, 0, "a SIGTERM is a clean stop");
    assert.ok(Date.now() - stopAt < GRACE_SECONDS * 1000, "stopped within the grace period");
    const [stopped] = await h.store.runs.list({ limit: 1 });
    assert.notEqual(stopped?.status, "succeeded", "the sync was stopped mid-way, not finished");

    const second = await serve(h, logs);
    const again = await api(`${second.url}/api/v1/connections/default/sync`, token, "POST", {});
    assert.equal(again.status, 202);
    await waitFor(async () => {
      const run = (
        await api(`${second.url}/api/v1/connections/default/runs/${String(again.body["runId"])}`, token)
      ).body;
      if (run["status"] === "failed") throw new Error(JSON.stringify(run));
      return run["status"] === "succeeded";
    }, "the resumed sync to finish");
    second.child.kill("SIGTERM");
    assert.equal((await once(second.child, "exit"))[0], 0);

    const logged = logs.join("");
    assert.match(logged, /listening on/);
    assert.ok(
      !logged.includes(String(h.env["ENTRA_CLIENT_SECRET"])),
      "the client secret is in the service's log",
    );
    assert.ok(!logged.includes(token), "the API token is in the service's log");

    const compared = await comparison(h.store, (await h.emu.snapshot()) as Record<string, unknown>);
    for (const [kind, { actual, expected }] of Object.entries(compared)) {
      assert.deepEqual(actual, expected, `${kind} differ from the emulator's snapshot`);
    }
  } finally {
    await agent.close();
    await h.close();
  }
});
