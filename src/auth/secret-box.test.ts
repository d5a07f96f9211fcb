import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { isConnectorError } from "../errors.ts";
import { loadConnectorKey, open, seal } from "./secret-box.ts";

test("an envelope opens only with its key and label, and not after tampering", () => {
  const key = randomBytes(32);
  const sealed = seal(key, Buffer.from("s3cret-value"), "use/a");
  assert.doesNotMatch(sealed, /s3cret/);
  assert.equal(open(key, sealed, "use/a").toString(), "s3cret-value");
  assert.throws(() => open(key, sealed, "use/b"), "another use's label");
  assert.throws(() => open(randomBytes(32), sealed, "use/a"), "another key");
  const e = JSON.parse(sealed) as { data: string };
  const flipped = Buffer.from(e.data, "base64");
  flipped[0] = (flipped[0] ?? 0) ^ 1;
  assert.throws(() => open(key, JSON.stringify({ ...e, data: flipped.toString("base64") }), "use/a"));
});

test("the key: ENTRA_CONNECTOR_KEY wins; otherwise one key file shared by every user of the folder", async () => {
  const stateDir = mkdtempSync(join(tmpdir(), "box-"));
  const explicit = randomBytes(32);
  assert.deepEqual(await loadConnectorKey({ stateDir, connectorKey: explicit.toString("base64") }), explicit);
  const [a, b] = await Promise.all([loadConnectorKey({ stateDir }), loadConnectorKey({ stateDir })]);
  assert.deepEqual(a, b, "concurrent first uses agree on one generated key");
  assert.deepEqual(await loadConnectorKey({ stateDir }), a);
});

test("a state folder that cannot be used is a CONFIG_INVALID naming ENTRA_STORE", async () => {
  const file = join(mkdtempSync(join(tmpdir(), "box-")), "a-file");
  writeFileSync(file, "");
  await assert.rejects(
    loadConnectorKey({ stateDir: file }),
    (e) => isConnectorError(e, "CONFIG_INVALID") && /ENTRA_STORE/.test(e.message),
  );
});

test("a key file open to other users is refused, naming the file and the fix, unless ENTRA_CONNECTOR_KEY is set", async () => {
  const stateDir = mkdtempSync(join(tmpdir(), "box-"));
  const dir = join(stateDir, ".entra-connector");
  mkdirSync(dir, { mode: 0o700 });
  const file = join(dir, "key");
  const key = randomBytes(32);
  writeFileSync(file, `${key.toString("base64")}\n`);
  for (const mode of [0o644, 0o640, 0o604, 0o660]) {
    chmodSync(file, mode);
    await assert.rejects(loadConnectorKey({ stateDir }), (e) => {
      assert.ok(isConnectorError(e, "CONFIG_INVALID"), String(e));
      assert.ok(e.message.includes(file), e.message);
      assert.ok(e.message.includes(`chmod 600 ${file}`), e.message);
      assert.match(e.message, new RegExp(`mode 0${mode.toString(8)}`));
      return true;
    });
  }
  const explicit = randomBytes(32);
  assert.deepEqual(await loadConnectorKey({ stateDir, connectorKey: explicit.toString("hex") }), explicit);
  chmodSync(file, 0o600);
  assert.deepEqual(await loadConnectorKey({ stateDir }), key);
  chmodSync(file, 0o400);
  assert.deepEqual(await loadConnectorKey({ stateDir }), key, "read-only for its owner is stricter still");
});
