import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
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
