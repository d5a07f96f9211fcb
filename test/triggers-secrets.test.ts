/**
 * Webhook secrets at rest: sealed with the connector key in the subscriptions table, so the SQLite
 * files (database and WAL) never hold one in clear; rows written in clear by older versions are
 * sealed on the next start; the wrong key is a clear typed error.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { isConnectorError } from "../src/errors.ts";
import { openStore } from "../src/store/index.ts";
import type { Store } from "../src/store/types.ts";
import {
  defineSubscription,
  loadSubscription,
  openSecret,
  sealStoredSecrets,
} from "../src/triggers/subscriptions.ts";

const SECRET = "whsec-plain-5f1c0a9e2b";
const target = { kind: "webhook" as const, url: "https://hooks.example.com/entra" };

/** Whether `needle` occurs in the database file or its WAL/shared-memory files. */
function inFiles(path: string, needle: string): boolean {
  return ["", "-wal", "-shm"].some((s) => existsSync(path + s) && readFileSync(path + s).includes(needle));
}

async function fileStore(): Promise<{ store: Store; path: string }> {
  const path = join(mkdtempSync(join(tmpdir(), "secrets-")), "store.db");
  return { store: await openStore(path), path };
}

describe("webhook secrets at rest", () => {
  it("are sealed in the store: neither the database nor its WAL holds them in clear", async () => {
    const { store, path } = await fileStore();
    const key = randomBytes(32);
    const defined = await defineSubscription(store, { types: ["*"], target, secret: SECRET, key });
    const generated = await defineSubscription(store, {
      types: ["*"],
      target: { kind: "webhook", url: "https://other.example.com/in" },
      key,
    });
    const generatedSecret = openSecret(generated, key);
    assert.match(generatedSecret, /^[0-9a-f]{64}$/);
    assert.ok(inFiles(path, "hooks.example.com"), "the check reads the files the rows are in");
    assert.equal(inFiles(path, SECRET), false, "the given secret is not in the files");
    assert.equal(inFiles(path, generatedSecret), false, "the generated secret is not in the files");
    const row = (await store.subscriptions.get(defined.id))?.data ?? {};
    assert.equal(row["secret"], undefined);
    assert.equal(openSecret(row as never, key), SECRET);
    await store.close();
    assert.equal(inFiles(path, SECRET), false, "nor after the WAL is checkpointed on close");
  });

  it("keep the same secret (and envelope) when the subscription is defined again, and take a new one", async () => {
    const { store } = await fileStore();
    const key = randomBytes(32);
    const first = await defineSubscription(store, { types: ["*"], target, secret: SECRET, key });
    const again = await defineSubscription(store, { types: ["user.*"], target, key });
    assert.equal(again.sealedSecret, first.sealedSecret);
    const same = await defineSubscription(store, { types: ["user.*"], target, secret: SECRET, key });
    assert.equal(same.sealedSecret, first.sealedSecret, "an unchanged secret is not re-sealed");
    const rotated = await defineSubscription(store, {
      types: ["*"],
      target,
      secret: "rotated-secret-0001",
      key,
    });
    assert.equal(openSecret(rotated, key), "rotated-secret-0001");
    await store.close();
  });

  it("opened with another key: SUBSCRIPTION_SECRET_UNREADABLE naming the subscription, never the secret", async () => {
    const { store } = await fileStore();
    const key = randomBytes(32);
    await defineSubscription(store, { types: ["*"], target, secret: SECRET, key });
    const other = randomBytes(32);
    await assert.rejects(
      defineSubscription(store, { types: ["*"], target, key: other }),
      (err: unknown) =>
        isConnectorError(err, "SUBSCRIPTION_SECRET_UNREADABLE") &&
        err.message.includes("webhook:https://hooks.example.com/entra") &&
        !JSON.stringify(err.toJSON()).includes(SECRET),
    );
    // A new secret given with the new key replaces the unreadable one.
    const replaced = await defineSubscription(store, {
      types: ["*"],
      target,
      secret: "new-secret-value-0001",
      key: other,
    });
    assert.equal(openSecret(replaced, other), "new-secret-value-0001");
    await store.close();
  });

  it("written in clear by an older version are sealed on the next start, secret unchanged", async () => {
    const { store, path } = await fileStore();
    const key = randomBytes(32);
    // Several rows share a page: the rewrite must not leave the old cells' bytes behind in it.
    const ids = Array.from({ length: 12 }, (_, i) => `webhook:https://hooks.example.com/entra/${i}`);
    for (const [i, id] of ids.entries()) {
      await store.subscriptions.put(id, {
        id,
        types: ["*"],
        filter: {},
        target: { kind: "webhook", url: `https://hooks.example.com/entra/${i}` },
        secret: `${SECRET}-${i}`,
        emitInitial: false,
        initialized: true,
      });
    }
    await store.close();
    const reopened = await openStore(path);
    assert.equal(await sealStoredSecrets(reopened, key), ids.length);
    assert.equal(await sealStoredSecrets(reopened, key), 0, "idempotent");
    for (const [i, id] of ids.entries()) {
      const sealed = await loadSubscription(reopened, id);
      assert.equal((sealed as Record<string, unknown> | undefined)?.["secret"], undefined);
      assert.equal(openSecret(sealed as never, key), `${SECRET}-${i}`);
      assert.equal(sealed?.initialized, true, "the rest of the row is kept");
    }
    await reopened.close();
    assert.deepEqual(
      ids.map((_, i) => `${SECRET}-${i}`).filter((s) => inFiles(path, s)),
      [],
      "no clear copy left in the files after the rewrite",
    );
  });

  it("a webhook subscription cannot be defined without the key (the secret would go in clear)", async () => {
    const { store } = await fileStore();
    await assert.rejects(
      defineSubscription(store, { types: ["*"], target, secret: SECRET }),
      (err: unknown) => isConnectorError(err, "CONFIG_INVALID") && /connector key/.test(err.message),
    );
    await store.close();
  });
});
