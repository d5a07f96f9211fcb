/**
 * What docs/configuration.md ("Store location") promises about `--store` / ENTRA_STORE: the forms of a
 * SQLite location that open, and what any other `scheme://…` URL answers.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { StoreError } from "./errors.ts";
import { openStore } from "./open.ts";

const dir = mkdtempSync(join(tmpdir(), "entra-store-location-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("store locations", () => {
  it("opens a SQLite file given as a path, sqlite:<path>, file:<path>, or :memory:", async () => {
    for (const [location, file] of [
      [join(dir, "plain.db"), join(dir, "plain.db")],
      [`sqlite:${join(dir, "sqlite.db")}`, join(dir, "sqlite.db")],
      [`file:${join(dir, "file.db")}`, join(dir, "file.db")],
      [":memory:", undefined],
    ] as const) {
      const store = await openStore(location);
      await store.runs.start({ kind: "full", tenantId: "t" });
      assert.equal((await store.runs.list()).length, 1, location);
      await store.close();
      if (file) assert.ok(existsSync(file), `${location} creates ${file}`);
    }
  });

  it("refuses every scheme:// URL but PostgreSQL's with STORE_UNSUPPORTED, echoing only the scheme", async () => {
    for (const url of [
      "mysql://entra:s3cret@db.example.com/entra",
      "mongodb://entra:s3cret@db/entra",
      `sqlite://${join(dir, "x.db")}`,
      `file://${join(dir, "y.db")}`,
    ]) {
      await assert.rejects(openStore(url), (e: unknown) => {
        assert.ok(e instanceof StoreError && e.code === "STORE_UNSUPPORTED", String(e));
        assert.match(e.message, /^Store locations of the form [a-z]+:\/\/… are not supported yet\.$/);
        assert.doesNotMatch(e.message, /s3cret|db\.example/);
        assert.equal(e.exitCode, 2);
        return true;
      });
    }
    assert.equal(existsSync(join(dir, "x.db")), false);
  });

  it("is what the configuration page says", () => {
    const page = readFileSync(new URL("../../docs/configuration.md", import.meta.url), "utf8");
    assert.match(
      page,
      /`mysql:\/\/user:pw@db\/entra` answers `Store locations of the form mysql:\/\/… are not supported yet\.`/,
    );
    assert.match(page, /a PostgreSQL URL, `postgres:\/\/user:password@host:5432\/database\?schema=entra`/);
  });
});
