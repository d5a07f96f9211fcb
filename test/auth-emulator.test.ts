import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { type Emulator, startEmulator } from "@entra-connector/graph-emulator";
import { Agent } from "undici";
import { fileTokenStore } from "../src/auth/token-store.ts";
import { runCli } from "../src/cli/program.ts";
import { createConnection, decodeClaims, EXIT, interactiveLogin, loadConfig } from "../src/index.ts";
import { browserSink, connectionEnv, textSink } from "./connection-support.ts";

let emu: Emulator;

before(async () => {
  emu = await startEmulator({ port: 0, size: "s", seed: 1, permissions: "write", latency: "none" });
});
after(() => emu.close());

function env(extra: Record<string, string | undefined> = {}): Record<string, string> {
  return connectionEnv(emu, { ENTRA_MAX_RETRIES: "2", ...extra });
}

async function organization(e: Record<string, string>) {
  const conn = createConnection(loadConfig({ env: e }), { env: e });
  try {
    return await conn.graph.get<{ value: { id: string }[] }>("/organization");
  } finally {
    await conn.close();
  }
}

async function signInError(
  e: Record<string, string>,
): Promise<{ code: string; message: string; fix?: string }> {
  const conn = createConnection(loadConfig({ env: e }), { env: e, persistTokens: false });
  try {
    await conn.tokens.getToken();
  } catch (err) {
    return err as { code: string; message: string; fix?: string };
  } finally {
    await conn.close();
  }
  assert.fail("sign-in unexpectedly succeeded");
}

describe("credentials against the emulator", () => {
  test("client secret", async () => {
    const org = await organization(env());
    assert.equal(org.value[0]?.id, emu.tenantId);
  });

  test("client certificate (signed assertion with x5t)", async () => {
    const c = emu.apps.certificate;
    const org = await organization(
      env({
        ENTRA_CLIENT_ID: c.clientId,
        ENTRA_CLIENT_SECRET: undefined,
        ENTRA_CLIENT_CERTIFICATE: c.certificateFile,
        ENTRA_CLIENT_KEY: c.keyFile,
      }),
    );
    assert.equal(org.value[0]?.id, emu.tenantId);
  });

  test("pre-issued access token (tenant and client read from the token)", async () => {
    const e = env();
    const conn = createConnection(loadConfig({ env: e }), { env: e, persistTokens: false });
    const token = await conn.tokens.getToken();
    await conn.close();
    const org = await organization({
      ENTRA_ACCESS_TOKEN: token.accessToken,
      ENTRA_AUTHORITY_HOST: emu.authorityHost,
      ENTRA_GRAPH_URL: emu.graphRoot,
      ENTRA_CA_FILE: emu.caFile,
    });
    assert.equal(org.value[0]?.id, emu.tenantId);
  });

  test("delegated: login with PKCE on a loopback listener, then silent refresh with a rotated, persisted refresh token", async () => {
    const d = emu.apps.delegated;
    const e = env({
      ENTRA_AUTH: "delegated",
      ENTRA_CLIENT_ID: d.clientId,
      ENTRA_CLIENT_SECRET: d.clientSecret,
    });
    const config = loadConfig({ env: e });
    const conn = createConnection(config, { env: e });
    const browser = new Agent({ connect: { ca: readFileSync(emu.caFile, "utf8") } });
    let sawUrl = "";
    const token = await interactiveLogin(
      config,
      { dispatcher: conn.dispatcher, logger: conn.logger, store: conn.store },
      {
        async openUrl(url) {
          sawUrl = url;
          // The emulator auto-approves this user: follow its redirect back to our listener, as a browser would.
          const res = await fetch(url, { redirect: "manual", dispatcher: browser } as RequestInit);
          const location = res.headers.get("location");
          assert.ok(location, `authorize answered ${res.status}`);
          await fetch(location);
        },
      },
    );
    await browser.close();
    const params = new URL(sawUrl).searchParams;
    assert.equal(params.get("code_challenge_method"), "S256");
    assert.match(params.get("redirect_uri") ?? "", /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.ok(token.refreshToken);
    await conn.close();

    // A new process: the stored refresh token is used, and the rotated one persisted.
    const store = fileTokenStore({ stateDir: config.stateDir });
    const key = [config.authorityHost, config.tenantId, config.clientId, config.scopes.join(" ")].join("|");
    const stored = await store.get(key);
    assert.equal(stored?.refreshToken, token.refreshToken);
    await store.set(key, { ...stored!, expiresAt: 0 }); // force a refresh
    const conn2 = createConnection(config, { env: e });
    const me = await conn2.graph.get<{ userPrincipalName: string }>(`/users/${d.user.id}`);
    assert.equal(me.userPrincipalName, d.user.userPrincipalName);
    assert.equal(decodeClaims((await conn2.tokens.getToken()).accessToken)?.oid, d.user.id);
    assert.equal(conn2.tokens.acquisitions, 1);
    await conn2.close();
    const after = await store.get(key);
    assert.ok(after?.refreshToken);
    assert.notEqual(after.refreshToken, token.refreshToken, "the rotated refresh token was persisted");
    assert.ok(after.expiresAt > Date.now());
  });

  test("delegated without a saved sign-in says to run login", async () => {
    const d = emu.apps.delegated;
    const err = await signInError(
      env({ ENTRA_AUTH: "delegated", ENTRA_CLIENT_ID: d.clientId, ENTRA_CLIENT_SECRET: d.clientSecret }),
    );
    assert.equal(err.code, "AUTH_LOGIN_REQUIRED");
    assert.match(err.fix ?? "", /entra-connector login/);
  });
});

describe("token reuse", () => {
  test("100 concurrent Graph calls cause one token request; later calls reuse the stored token", async () => {
    const e = env();
    const conn = createConnection(loadConfig({ env: e }), { env: e });
    await Promise.all(Array.from({ length: 100 }, () => conn.graph.get("/organization")));
    assert.equal(conn.tokens.acquisitions, 1);
    await conn.close();
    const again = createConnection(loadConfig({ env: e }), { env: e });
    await again.graph.get("/organization");
    assert.equal(again.tokens.acquisitions, 0, "the encrypted store's token was reused");
    await again.close();
  });
});

describe("each sign-in failure names its cause", () => {
  test("wrong secret, secret ID pasted, expired secret, disabled app, unknown client, unknown tenant", async () => {
    assert.equal(
      (await signInError(env({ ENTRA_CLIENT_SECRET: "not-the-secret" }))).code,
      "AUTH_INVALID_SECRET",
    );
    assert.equal(
      (await signInError(env({ ENTRA_CLIENT_SECRET: "5b0e1c2d-3f4a-4b5c-8d6e-7f8091a2b3c4" }))).code,
      "AUTH_SECRET_ID_PASTED",
    );
    const x = emu.apps.expiredSecret;
    assert.equal(
      (await signInError(env({ ENTRA_CLIENT_ID: x.clientId, ENTRA_CLIENT_SECRET: x.clientSecret }))).code,
      "AUTH_SECRET_EXPIRED",
    );
    const dis = emu.apps.disabled;
    assert.equal(
      (await signInError(env({ ENTRA_CLIENT_ID: dis.clientId, ENTRA_CLIENT_SECRET: dis.clientSecret }))).code,
      "AUTH_APP_DISABLED",
    );
    assert.equal(
      (await signInError(env({ ENTRA_CLIENT_ID: "00000000-0000-0000-0000-00000000abcd" }))).code,
      "AUTH_UNKNOWN_CLIENT",
    );
    assert.equal(
      (await signInError(env({ ENTRA_TENANT_ID: "nosuchtenant.onmicrosoft.com" }))).code,
      "AUTH_UNKNOWN_TENANT",
    );
  });

  test("`login` asking for a delegated permission nobody consented to is AUTH_CONSENT_REQUIRED with the consent URL", async () => {
    const d = emu.apps.delegated;
    const e = env({
      ENTRA_CLIENT_ID: d.clientId,
      ENTRA_CLIENT_SECRET: d.clientSecret,
      // The emulated tenant lets no user consent on their own, and no admin granted Mail.Send.
      ENTRA_SCOPE: "offline_access https://graph.microsoft.com/Mail.Send",
    });
    const browser = new Agent({ connect: { ca: readFileSync(emu.caFile, "utf8") } });
    const consentUrl = `${emu.authorityHost}/${emu.tenantId}/adminconsent?client_id=${d.clientId}`;
    try {
      for (const json of [false, true]) {
        const stdout = textSink();
        // The login service sends the consent error back to the loopback listener.
        const stderr = browserSink(browser, async (redirect) => {
          const location = new URL(redirect);
          assert.equal(location.searchParams.get("error"), "consent_required");
          await fetch(location);
        });
        const code = await runCli(["login", "--no-browser", ...(json ? ["--json"] : [])], {
          stdout: stdout.stream,
          stderr: stderr.stream,
          env: e,
          signal: new AbortController().signal,
        });
        assert.equal(code, EXIT.auth, stderr.text());
        if (json) {
          // Errors go to stderr, after the sign-in prompt: the last line.
          const last = stderr.text().trimEnd().split("\n").at(-1) ?? "";
          const { error } = JSON.parse(last) as { error: { code: string; fix: string } };
          assert.equal(error.code, "AUTH_CONSENT_REQUIRED");
          assert.equal(error.fix, `Grant admin consent: ${consentUrl}`);
        } else {
          assert.match(stderr.text(), /error AUTH_CONSENT_REQUIRED: .*AADSTS65001/);
          assert.ok(stderr.text().includes(`fix: Grant admin consent: ${consentUrl}\n`), stderr.text());
        }
      }
      // The URL given is one the login service answers: the tenant's admin-consent page for this app.
      const page = await fetch(consentUrl, { dispatcher: browser } as RequestInit);
      assert.equal(page.status, 200);
    } finally {
      await browser.close();
    }
  });

  test("a token minted for another cloud's Graph is refused as the wrong cloud", async () => {
    const err = await signInError(env({ ENTRA_CLOUD: "usgov" }));
    assert.equal(err.code, "AUTH_WRONG_CLOUD", err.message);
  });

  test("a pre-issued access token for another cloud's Graph is refused as the wrong cloud too", async () => {
    const e = env();
    const conn = createConnection(loadConfig({ env: e }), { env: e, persistTokens: false });
    const token = await conn.tokens.getToken();
    await conn.close();
    const preIssued = {
      ENTRA_ACCESS_TOKEN: token.accessToken,
      ENTRA_AUTHORITY_HOST: emu.authorityHost,
      ENTRA_GRAPH_URL: emu.graphRoot,
      ENTRA_CA_FILE: emu.caFile,
    };
    const err = await signInError({ ...preIssued, ENTRA_CLOUD: "usgov" });
    assert.equal(err.code, "AUTH_WRONG_CLOUD", err.message);
    assert.match(err.message, /issued for https:\/\/graph\.microsoft\.com \(global cloud\)/);
    assert.match(err.message, /uses https:\/\/graph\.microsoft\.us/);
    // The same token in its own cloud is used as it is.
    const org = await organization(preIssued);
    assert.equal(org.value[0]?.id, emu.tenantId);
  });

  test("an untrusted TLS certificate (no ENTRA_CA_FILE) is a TLS error with the fix", async () => {
    const err = await signInError(env({ ENTRA_CA_FILE: undefined }));
    assert.equal(err.code, "NET_TLS");
    assert.match(err.fix ?? "", /ENTRA_CA_FILE/);
  });

  test("a clock far from the login service's is reported as clock skew", async () => {
    emu.setClock(30 * 60_000);
    try {
      const err = await signInError(env({ ENTRA_CLIENT_SECRET: "not-the-secret" }));
      assert.equal(err.code, "AUTH_CLOCK_SKEW");
    } finally {
      emu.setClock(0);
    }
  });
});

describe("a token store sealed with another ENTRA_CONNECTOR_KEY", () => {
  const key = () => randomBytes(32).toString("base64");

  async function cli(args: string[], e: Record<string, string>, stderr = textSink()) {
    const stdout = textSink();
    const code = await runCli(args, {
      stdout: stdout.stream,
      stderr: stderr.stream,
      env: e,
      signal: new AbortController().signal,
    });
    return { code, stdout: stdout.text(), stderr: stderr.text() };
  }
  /** Whether `check` signed in (the delegated user may lack some sync permissions: that is not asked here). */
  const signsIn = async (e: Record<string, string>) =>
    JSON.parse((await cli(["check", "--json"], e)).stdout).error === undefined;

  test("app sign-in: the unreadable cache is dropped with a warning (no secrets) and the app signs in again", async () => {
    const e = env({ ENTRA_CONNECTOR_KEY: key() });
    assert.equal((await cli(["check"], e)).code, 0);
    const other = { ...e, ENTRA_CONNECTOR_KEY: key() };
    const r = await cli(["check"], other);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stderr, /token cache cannot be decrypted with this ENTRA_CONNECTOR_KEY/);
    assert.ok(!r.stderr.includes(emu.clientSecret) && !r.stderr.includes(other.ENTRA_CONNECTOR_KEY));
    // Sealed anew with the key now in use: read without a warning.
    const again = await cli(["check"], other);
    assert.equal(again.code, 0);
    assert.doesNotMatch(again.stderr, /cannot be decrypted/);
    assert.ok(await organization(other));
  });

  test("delegated: a typed error that says to log in again, which then replaces the store", async () => {
    const d = emu.apps.delegated;
    const e = env({
      ENTRA_AUTH: "delegated",
      ENTRA_CLIENT_ID: d.clientId,
      ENTRA_CLIENT_SECRET: d.clientSecret,
      ENTRA_CONNECTOR_KEY: key(),
    });
    const browser = new Agent({ connect: { ca: readFileSync(emu.caFile, "utf8") } });
    try {
      assert.equal((await cli(["login", "--no-browser"], e, browserSink(browser))).code, 0);
      const other = { ...e, ENTRA_CONNECTOR_KEY: key() };
      const r = await cli(["check", "--json"], other);
      assert.equal(r.code, EXIT.auth, r.stdout);
      const { error } = JSON.parse(r.stdout) as { error: { code: string; fix: string } };
      assert.equal(error.code, "AUTH_LOGIN_UNREADABLE");
      assert.match(error.fix, /entra-connector login/);
      // Nothing was dropped: the key that sealed it still reads it.
      assert.ok(await signsIn(e));

      const login = await cli(["login", "--no-browser"], other, browserSink(browser));
      assert.equal(login.code, 0, login.stderr);
      assert.match(login.stderr, /cannot be decrypted/);
      assert.ok(await signsIn(other));
    } finally {
      await browser.close();
    }
  });
});
