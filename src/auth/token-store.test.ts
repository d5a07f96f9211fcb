import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { ConnectorConfig } from "../config/load.ts";
import { isConnectorError } from "../errors.ts";
import { connectionKey, tokenCacheKey } from "./credentials.ts";
import { fileTokenStore, parseConnectorKey } from "./token-store.ts";
import type { StoredToken } from "./types.ts";

const token = (n: number): StoredToken => ({
  tokenType: "Bearer",
  accessToken: `eyJhbGciOi.access-${n}-${"x".repeat(40)}`,
  expiresIn: 3599,
  extExpiresIn: 3599,
  expiresAt: 1_700_000_000_000 + n,
  tenantId: "t",
  refreshToken: `refresh-${n}-secretvalue`,
});

describe("encrypted token store", () => {
  test("round-trips exactly the stored fields; nothing readable on disk; key file is 0600", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ts-"));
    const store = fileTokenStore({ stateDir: dir });
    await store.set("a", token(1));
    assert.deepEqual(await store.get("a"), token(1));
    const raw = readFileSync(store.path, "utf8");
    assert.doesNotMatch(raw, /access-1|refresh-1|Bearer/);
    assert.equal(statSync(join(dir, ".entra-connector", "key")).mode & 0o777, 0o600);
    assert.equal(statSync(store.path).mode & 0o777, 0o600);
    // A second process (new store object) reads it with the same key file.
    assert.deepEqual(await fileTokenStore({ stateDir: dir }).get("a"), token(1));
  });

  test("concurrent writes keep every entry and leave no temp files", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ts-"));
    const store = fileTokenStore({ stateDir: dir, connectorKey: randomBytes(32).toString("base64") });
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.set(`k${i}`, token(i))));
    for (let i = 0; i < 20; i++)
      assert.equal((await store.get(`k${i}`))?.refreshToken, `refresh-${i}-secretvalue`);
    await store.delete("k3");
    assert.equal(await store.get("k3"), undefined);
    assert.deepEqual(
      readdirSync(join(dir, ".entra-connector")).filter((f) => f.endsWith(".tmp")),
      [],
    );
  });

  test("the wrong key is a typed error, not garbage", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ts-"));
    await fileTokenStore({ stateDir: dir, connectorKey: randomBytes(32).toString("hex") }).set("a", token(1));
    const other = fileTokenStore({ stateDir: dir, connectorKey: randomBytes(32).toString("hex") });
    await assert.rejects(other.get("a"), (e) => isConnectorError(e, "TOKEN_STORE_UNREADABLE"));
  });

  test("an unwritable store folder is a clear config error", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ts-"));
    const file = join(dir, "a-file");
    writeFileSync(file, "");
    const store = fileTokenStore({ stateDir: file }); // a file where a folder must be
    await assert.rejects(
      store.set("a", token(1)),
      (e) => isConnectorError(e, "CONFIG_INVALID") && /ENTRA_STORE/.test(e.message),
    );
  });

  test("ENTRA_CONNECTOR_KEY must be 32 bytes in base64 or hex", () => {
    assert.equal(parseConnectorKey(randomBytes(32).toString("base64"))?.length, 32);
    assert.equal(parseConnectorKey(randomBytes(32).toString("hex"))?.length, 32);
    assert.equal(parseConnectorKey(undefined), undefined);
    for (const bad of ["short", randomBytes(16).toString("base64"), "z".repeat(64)]) {
      assert.throws(
        () => parseConnectorKey(bad),
        (e) => isConnectorError(e, "CONFIG_INVALID") && /ENTRA_CONNECTOR_KEY/.test(e.message),
      );
    }
  });
});

describe("token cache key", () => {
  const base = {
    authorityHost: "https://login.microsoftonline.com",
    tenantId: "contoso.onmicrosoft.com",
    clientId: "00000000-0000-0000-0000-000000000001",
    scopes: ["https://graph.microsoft.com/.default"],
  };
  const config = (credential: ConnectorConfig["credential"]) => ({ ...base, credential }) as ConnectorConfig;

  test("differs per secret under the same key, never holds the secret, and is stable", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ts-"));
    const store = fileTokenStore({ stateDir: dir });
    const a = await tokenCacheKey(config({ kind: "secret", clientSecret: "secret-value-a" }), store);
    const b = await tokenCacheKey(config({ kind: "secret", clientSecret: "secret-value-b" }), store);
    assert.notEqual(a, b);
    assert.ok(a.startsWith(`${connectionKey(config({ kind: "secret", clientSecret: "" }))}|`));
    assert.doesNotMatch(a + b, /secret-value/);
    const again = fileTokenStore({ stateDir: dir });
    assert.equal(await tokenCacheKey(config({ kind: "secret", clientSecret: "secret-value-a" }), again), a);
    // Under another connector key the same secret hashes differently (a keyed hash, not a digest).
    const other = fileTokenStore({ stateDir: dir, connectorKey: randomBytes(32).toString("base64") });
    assert.notEqual(
      await tokenCacheKey(config({ kind: "secret", clientSecret: "secret-value-a" }), other),
      a,
    );
  });

  test("delegated sign-ins keep one entry per connection", async () => {
    const store = fileTokenStore({ stateDir: mkdtempSync(join(tmpdir(), "ts-")) });
    const c = config({ kind: "delegated", clientSecret: "s" });
    assert.equal(await tokenCacheKey(c, store), connectionKey(c));
  });
});
