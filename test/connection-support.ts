import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { Emulator } from "@entra-connector/graph-emulator";

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
