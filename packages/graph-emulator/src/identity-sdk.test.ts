/**
 * Microsoft's login libraries (`@azure/msal-node`, `@azure/identity`, unmodified) take their tokens
 * from the full emulator, and Microsoft's Graph client spends them there: the path a user of the
 * connector takes, end to end, rather than the login service alone (login/sdk.test.ts).
 * MSAL and @azure/identity use node:https and the Graph client the global fetch; both read the
 * process's default trust store, so the emulator's CA is added there (what NODE_EXTRA_CA_CERTS does).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import tls from "node:tls";
import { ClientSecretCredential } from "@azure/identity";
import { ConfidentialClientApplication, ServerError } from "@azure/msal-node";
import { Client } from "@microsoft/microsoft-graph-client";
import { TokenCredentialAuthenticationProvider } from "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js";
import { type Emulator, startEmulator } from "./index.ts";

const GRAPH_DEFAULT = "https://graph.microsoft.com/.default";

let emu: Emulator;
const previousCAs = tls.getCACertificates("default");

before(async () => {
  emu = await startEmulator({ size: "s", seed: 6 });
  tls.setDefaultCACertificates([...previousCAs, readFileSync(emu.caFile, "utf8")]);
});

after(async () => {
  tls.setDefaultCACertificates(previousCAs);
  await emu.close();
});

const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()) as Record<string, unknown>;

function graphClient(getAccessToken: () => Promise<string>): Client {
  return Client.initWithMiddleware({
    baseUrl: emu.graphRoot,
    customHosts: new Set([new URL(emu.graphRoot).hostname]),
    authProvider: { getAccessToken },
  });
}

/** Every user id in the tenant, read through the Graph client, one page of 999. */
async function readUserIds(client: Client): Promise<string[]> {
  const page = (await client.api("/users").select("id").top(999).get()) as { value: { id: string }[] };
  return page.value.map((u) => u.id).sort();
}

const tenantUserIds = () =>
  emu.tenant
    .list("user")
    .map((u) => u.id)
    .sort();

function msal(clientSecret: string): ConfidentialClientApplication {
  return new ConfidentialClientApplication({
    auth: {
      clientId: emu.clientId,
      clientSecret,
      authority: emu.authority,
      // Without this MSAL asks login.microsoftonline.com whether the emulator is a valid authority.
      knownAuthorities: [new URL(emu.authorityHost).host],
    },
  });
}

describe("@azure/msal-node ConfidentialClientApplication against the emulator", () => {
  it("takes an app-only token by client credentials that Graph accepts for /users", async () => {
    const cca = msal(emu.clientSecret);
    const result = await cca.acquireTokenByClientCredential({ scopes: [GRAPH_DEFAULT] });
    assert.ok(result);
    const claims = claimsOf(result.accessToken);
    assert.equal(claims["tid"], emu.tenantId);
    assert.equal(claims["appid"], emu.clientId);
    assert.equal(claims["idtyp"], "app");
    // The token's expires_in must let MSAL cache it, or every Graph call would cost a token request.
    const again = await cca.acquireTokenByClientCredential({ scopes: [GRAPH_DEFAULT] });
    assert.equal(again?.fromCache, true);
    assert.equal(again.accessToken, result.accessToken);
    assert.deepEqual(await readUserIds(graphClient(async () => again.accessToken)), tenantUserIds());
  });

  it("surfaces a bad secret as the AADSTS error", async () => {
    await assert.rejects(
      msal("not-the-secret").acquireTokenByClientCredential({ scopes: [GRAPH_DEFAULT] }),
      (err: unknown) => {
        assert.ok(err instanceof ServerError, String(err));
        assert.equal(err.errorCode, "invalid_client");
        assert.match(err.errorMessage, /AADSTS7000215: Invalid client secret provided/);
        return true;
      },
    );
  });
});

describe("@azure/identity ClientSecretCredential against the emulator", () => {
  it("takes a token with authorityHost + disableInstanceDiscovery that Graph accepts for /users", async () => {
    const credential = new ClientSecretCredential(emu.tenantId, emu.clientId, emu.clientSecret, {
      authorityHost: emu.authorityHost,
      disableInstanceDiscovery: true,
    });
    const token = await credential.getToken(GRAPH_DEFAULT);
    assert.ok(token.expiresOnTimestamp > Date.now());
    assert.equal(claimsOf(token.token)["appid"], emu.clientId);
    assert.deepEqual(await readUserIds(graphClient(async () => token.token)), tenantUserIds());
  });

  it("feeds the Graph client through its own TokenCredentialAuthenticationProvider", async () => {
    const credential = new ClientSecretCredential(emu.tenantId, emu.clientId, emu.clientSecret, {
      authorityHost: emu.authorityHost,
      disableInstanceDiscovery: true,
    });
    const client = Client.initWithMiddleware({
      baseUrl: emu.graphRoot,
      customHosts: new Set([new URL(emu.graphRoot).hostname]),
      authProvider: new TokenCredentialAuthenticationProvider(credential, { scopes: [GRAPH_DEFAULT] }),
    });
    assert.deepEqual(await readUserIds(client), tenantUserIds());
  });
});
