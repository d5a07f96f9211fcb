/**
 * For tests that drive the emulator with Microsoft's Graph JS client: trusts the emulator's CA in this
 * process (what NODE_EXTRA_CA_CERTS does at start-up), takes an app-only token for the primary app and
 * builds a client whose customHosts let it send that token to the emulator.
 */
import { readFile } from "node:fs/promises";
import tls from "node:tls";
import { Client } from "@microsoft/microsoft-graph-client";
import type { Emulator } from "../emulator.ts";

export async function sdkClient(emu: Emulator): Promise<{ client: Client; token: string }> {
  tls.setDefaultCACertificates([...tls.getCACertificates("default"), await readFile(emu.caFile, "utf8")]);
  const form = new URLSearchParams({
    grant_type: "client_credentials",
    client_id: emu.clientId,
    client_secret: emu.clientSecret,
    scope: "https://graph.microsoft.com/.default",
  });
  const response = await fetch(`${emu.authority}/oauth2/v2.0/token`, { method: "POST", body: form });
  const { access_token: token } = (await response.json()) as { access_token: string };
  const client = Client.init({
    authProvider: (done) => done(null, token),
    baseUrl: emu.graphRoot,
    customHosts: new Set([new URL(emu.graphRoot).hostname]),
  });
  return { client, token };
}
