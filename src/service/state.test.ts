import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { openServiceState } from "./state.ts";

test("a pending browser sign-in is taken once, and not after it expired", () => {
  const dir = mkdtempSync(join(tmpdir(), "entra-state-"));
  let t = new Date("2026-01-01T00:00:00Z").getTime();
  const state = openServiceState(join(dir, "service.db"), () => new Date(t));
  try {
    const expiresAt = new Date(t + 600_000);
    const pending = { connectionId: "c", actor: "admin", verifier: "sealed" };
    state.putOAuthState({ digest: "a", ...pending, expiresAt });
    state.putOAuthState({ digest: "b", ...pending, expiresAt });
    assert.deepEqual(state.takeOAuthState("a"), pending);
    assert.equal(state.takeOAuthState("a"), undefined, "used once");
    t += 601_000;
    assert.equal(state.takeOAuthState("b"), undefined, "expired");
  } finally {
    state.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
