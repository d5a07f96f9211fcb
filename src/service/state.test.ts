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

test("a token, a user and their sessions keep the connections they are limited to; none means all", async () => {
  const dir = mkdtempSync(join(tmpdir(), "entra-state-"));
  const state = openServiceState(join(dir, "service.db"));
  try {
    const limited = state.createToken({ name: "a-ops", role: "operator", connections: ["a", "c"] });
    const all = state.createToken({ name: "ops", role: "operator" });
    assert.deepEqual(limited.info.connections, ["a", "c"]);
    assert.deepEqual(state.verifyToken(limited.token)?.connections, ["a", "c"]);
    assert.equal(state.verifyToken(all.token)?.connections, undefined);
    assert.deepEqual(
      state.listTokens().map((t) => [t.name, t.connections]),
      [
        ["a-ops", ["a", "c"]],
        ["ops", undefined],
      ],
    );
    const user = await state.addUser({
      name: "ada",
      role: "viewer",
      password: "a long password",
      connections: ["b"],
    });
    assert.deepEqual(user.connections, ["b"]);
    assert.deepEqual((await state.verifyUser("ada", "a long password"))?.connections, ["b"]);
    const session = state.createSession({ kind: "user", name: "ada", role: "viewer", connections: ["b"] });
    assert.deepEqual(state.verifySession(session.sessionId)?.connections, ["b"]);
    const open = state.createSession({ kind: "token", name: "ops", role: "operator" });
    assert.equal(state.verifySession(open.sessionId)?.connections, undefined);
  } finally {
    state.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
