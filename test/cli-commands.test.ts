import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startEmulator } from "@entra-connector/graph-emulator";
import { Agent } from "undici";
import { runCli } from "../src/cli/program.ts";
import { browserSink, connectionEnv, textSink } from "./connection-support.ts";

test("`emulator` runs the emulator bin as a child; `check` reaches it with the printed settings", async () => {
  const ac = new AbortController();
  let info: Record<string, string> | undefined;
  let ready!: () => void;
  const started = new Promise<void>((r) => {
    ready = r;
  });
  const out = textSink((all) => {
    const line = all.split("\n").find((l) => l.startsWith("{"));
    if (line && !info) {
      info = JSON.parse(line);
      ready();
    }
  });
  const err = textSink();
  const running = runCli(["emulator", "--port", "0", "--permissions", "read"], {
    stdout: out.stream,
    stderr: err.stream,
    env: process.env,
    signal: ac.signal,
  });
  await Promise.race([started, running.then(() => assert.fail(`emulator exited: ${err.text()}`))]);
  try {
    const check = textSink();
    const code = await runCli(["check", "--json"], {
      stdout: check.stream,
      stderr: textSink().stream,
      env: {
        ENTRA_TENANT_ID: info!["tenantId"],
        ENTRA_CLIENT_ID: info!["clientId"],
        ENTRA_CLIENT_SECRET: info!["clientSecret"],
        ENTRA_AUTHORITY_HOST: info!["authorityHost"],
        ENTRA_GRAPH_URL: info!["graphRoot"] ?? info!["graphBaseUrl"]!.replace(/\/v1\.0$/, ""),
        ENTRA_CA_FILE: info!["caFile"],
        ENTRA_STORE: join(mkdtempSync(join(tmpdir(), "cli-")), "s.db"),
      },
      signal: new AbortController().signal,
    });
    assert.equal(code, 0, check.text());
    assert.equal(JSON.parse(check.text()).organization.id, info!["tenantId"]);
  } finally {
    ac.abort();
  }
  assert.equal(await running, 0);
});

test("`login --no-browser` prints the URL, receives the code on loopback and stores the refresh token", async () => {
  const emu = await startEmulator({ port: 0, size: "s", seed: 7 });
  const browser = new Agent({ connect: { ca: readFileSync(emu.caFile, "utf8") } });
  try {
    const d = emu.apps.delegated;
    const env = connectionEnv(emu, { ENTRA_CLIENT_ID: d.clientId, ENTRA_CLIENT_SECRET: d.clientSecret });
    // The emulator auto-approves this user and redirects to our listener.
    const stderr = browserSink(browser);
    const stdout = textSink();
    const code = await runCli(["login", "--no-browser"], {
      stdout: stdout.stream,
      stderr: stderr.stream,
      env,
      signal: new AbortController().signal,
    });
    assert.equal(code, 0, stderr.text());
    assert.match(stdout.text(), new RegExp(`Signed in as ${d.user.userPrincipalName.replace(".", "\\.")}`));

    const check = textSink();
    const checked = await runCli(["check", "--auth", "delegated", "--capabilities", "sync.users", "--json"], {
      stdout: check.stream,
      stderr: textSink().stream,
      env,
      signal: new AbortController().signal,
    });
    const report = JSON.parse(check.text());
    assert.equal(report.token.kind, "delegated");
    assert.equal(checked, 0, check.text());
  } finally {
    await browser.close();
    await emu.close();
  }
});
