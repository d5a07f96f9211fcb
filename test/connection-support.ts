import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { Emulator } from "@entra-connector/graph-emulator";
import type { Dispatcher } from "undici";
import { runCli } from "../src/cli/program.ts";

/**
 * Environment that points the connector at an emulator with its primary app, a fresh state folder,
 * and `extra` on top (an `undefined` value removes a variable).
 */
export function connectionEnv(
  emu: Emulator,
  extra: Record<string, string | undefined> = {},
): Record<string, string> {
  const all: Record<string, string | undefined> = {
    ENTRA_TENANT_ID: emu.tenantId,
    ENTRA_CLIENT_ID: emu.clientId,
    ENTRA_CLIENT_SECRET: emu.clientSecret,
    ENTRA_AUTHORITY_HOST: emu.authorityHost,
    ENTRA_GRAPH_URL: emu.graphRoot,
    ENTRA_CA_FILE: emu.caFile,
    ENTRA_STORE: join(mkdtempSync(join(tmpdir(), "conn-")), "store.db"),
    ...extra,
  };
  return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined)) as Record<string, string>;
}

/** A writable that keeps what was written; `onText` sees the text so far after each write. */
export function textSink(onText?: (all: string) => void): { stream: Writable; text(): string } {
  let text = "";
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += chunk.toString();
      onText?.(text);
      done();
    },
  });
  return { stream, text: () => text };
}

/**
 * A stderr sink for `login --no-browser` that plays the browser: it opens the authorize URL the CLI
 * prints (once) and hands the login service's redirect to `onRedirect`, by default following it to
 * the CLI's loopback listener.
 */
export function browserSink(
  dispatcher: Dispatcher,
  onRedirect: (location: string) => Promise<unknown> = (location) => fetch(location),
): { stream: Writable; text(): string } {
  let followed = false;
  return textSink((all) => {
    const url = /(https:\/\/\S+\/oauth2\/v2\.0\/authorize\S+)/.exec(all)?.[1];
    if (!url || followed) return;
    followed = true;
    void (async () => {
      const res = await fetch(url, { redirect: "manual", dispatcher } as RequestInit);
      await onRedirect(res.headers.get("location") ?? "");
    })();
  });
}

/** Runs the CLI in-process on a store, with its output captured and no environment of its own. */
export async function runStoreCli(
  storePath: string,
  argv: readonly string[],
): Promise<{ code: number; out: string; err: string }> {
  const out = textSink();
  const err = textSink();
  const code = await runCli([...argv, "--store", storePath], {
    stdout: out.stream,
    stderr: err.stream,
    env: {},
    signal: new AbortController().signal,
  });
  return { code, out: out.text(), err: err.text() };
}
