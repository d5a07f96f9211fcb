import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConnectorError, createError } from "../../errors.ts";
import { invalidInput, StoreError } from "../errors.ts";
import { decodeError, encodeError } from "./protocol.ts";

/** What crosses the thread boundary is cloned: round-trip through structuredClone as postMessage does. */
const across = (error: unknown) => decodeError(structuredClone(encodeError(error)));

describe("errors crossing the store's thread", () => {
  it("keep a store error's class, code, message, fix and field", () => {
    const original = invalidInput("upserts[3].kind", "must be one of user, group");
    const copy = across(original);
    assert.ok(copy instanceof StoreError);
    assert.equal(copy.code, "STORE_INPUT_INVALID");
    assert.equal(copy.message, original.message);
    assert.match(copy.message, /upserts\[3\]\.kind/);
    assert.deepEqual(copy.toJSON(), original.toJSON());
  });

  it("keep another connector error's code and retryability, and not make it a store error", () => {
    const original = createError("INTERNAL", { detail: "boom" }, { retryable: true });
    const copy = across(original);
    assert.ok(copy instanceof ConnectorError);
    assert.ok(!(copy instanceof StoreError));
    assert.equal(copy.code, "INTERNAL");
    assert.equal(copy.retryable, true);
  });

  it("keep a plain error's name, message and code (SQLite's ERR_SQLITE_ERROR)", () => {
    const original = Object.assign(new Error("database is locked"), { code: "ERR_SQLITE_ERROR" });
    const copy = across(original);
    assert.equal(copy.message, "database is locked");
    assert.equal((copy as Error & { code?: string }).code, "ERR_SQLITE_ERROR");
    assert.equal(across("not an Error").message, "not an Error");
  });
});
