/**
 * The service state's contract, on the SQLite file and in PostgreSQL alike; two handles on one
 * location stand for two API replicas, which must agree on tokens, sessions, tickets and connections.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { dropTestSchema, testPostgresUrl, testSchema } from "../store/test-support.ts";
import { openServiceState, type ServiceState } from "./state.ts";
import { openPostgresServiceState } from "./state-postgres.ts";

interface StateAdapter {
  name: string;
  /** A new, empty location: `open` gives a handle on it (as many as wanted, as replicas would). */
  location(): { open(now?: () => Date): Promise<ServiceState> };
}

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const cleanup of cleanups) await cleanup();
});

const adapters: StateAdapter[] = [
  {
    name: "sqlite",
    location() {
      const dir = mkdtempSync(join(tmpdir(), "entra-state-"));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      return { open: async (now) => openServiceState(join(dir, "service.db"), now) };
    },
  },
  {
    name: "postgres",
    location() {
      const schema = testSchema(import.meta.filename);
      cleanups.push(() => dropTestSchema(`${schema}_service`));
      return { open: (now) => openPostgresServiceState(testPostgresUrl(schema), now) };
    },
  },
];

/** Runs `use` on handles opened on one new location, closing them after. */
async function withStates(
  adapter: StateAdapter,
  count: number,
  use: (...states: ServiceState[]) => Promise<void>,
  now?: () => Date,
): Promise<void> {
  const location = adapter.location();
  const states: ServiceState[] = [];
  try {
    for (let i = 0; i < count; i++) states.push(await location.open(now));
    await use(...states);
  } finally {
    for (const s of states) await s.close();
  }
}

for (const adapter of adapters) {
  describe(`service state on ${adapter.name}`, () => {
    test("a pending browser sign-in is taken once, and not after it expired", async () => {
      let t = new Date("2026-01-01T00:00:00Z").getTime();
      await withStates(
        adapter,
        1,
        async (state) => {
          const expiresAt = new Date(t + 600_000);
          const pending = { connectionId: "c", actor: "admin", verifier: "sealed" };
          await state.putOAuthState({ digest: "a", ...pending, expiresAt });
          await state.putOAuthState({ digest: "b", ...pending, expiresAt });
          assert.deepEqual(await state.takeOAuthState("a"), pending);
          assert.equal(await state.takeOAuthState("a"), undefined, "used once");
          t += 601_000;
          assert.equal(await state.takeOAuthState("b"), undefined, "expired");
        },
        () => new Date(t),
      );
    });

    test("a token, a user and their sessions keep the connections they are limited to; none means all", async () => {
      await withStates(adapter, 1, async (state) => {
        const limited = await state.createToken({ name: "a-ops", role: "operator", connections: ["a", "c"] });
        const all = await state.createToken({ name: "ops", role: "operator" });
        assert.deepEqual(limited.info.connections, ["a", "c"]);
        assert.deepEqual((await state.verifyToken(limited.token))?.connections, ["a", "c"]);
        assert.equal((await state.verifyToken(all.token))?.connections, undefined);
        assert.deepEqual(
          (await state.listTokens()).map((t) => [t.name, t.connections]),
          [
            ["a-ops", ["a", "c"]],
            ["ops", undefined],
          ],
        );
        const password = "a long password";
        const user = await state.addUser({ name: "ada", role: "viewer", password, connections: ["b"] });
        assert.deepEqual(user.connections, ["b"]);
        assert.deepEqual((await state.verifyUser("ada", password))?.connections, ["b"]);
        const session = await state.createSession({
          kind: "user",
          name: "ada",
          role: "viewer",
          connections: ["b"],
        });
        assert.deepEqual((await state.verifySession(session.sessionId))?.connections, ["b"]);
        const open = await state.createSession({ kind: "token", name: "ops", role: "operator" });
        assert.equal((await state.verifySession(open.sessionId))?.connections, undefined);
      });
    });

    test("names are unique; revoking a token or removing a user ends their sessions", async () => {
      await withStates(adapter, 1, async (state) => {
        await state.createToken({ name: "ci", role: "viewer" });
        await assert.rejects(state.createToken({ name: "ci", role: "admin" }), {
          code: "API_TOKEN_NAME_TAKEN",
        });
        await state.addUser({ name: "bo", role: "admin", password: "another long one" });
        await assert.rejects(state.addUser({ name: "bo", role: "viewer", password: "another long one" }), {
          code: "LOCAL_USER_NAME_TAKEN",
        });
        assert.equal(await state.verifyUser("bo", "not the password"), undefined);
        const byToken = await state.createSession({ kind: "token", name: "ci", role: "viewer" });
        const byUser = await state.createSession({ kind: "user", name: "bo", role: "admin" });
        await state.revokeToken("ci");
        await state.removeUser("bo");
        assert.equal(await state.verifySession(byToken.sessionId), undefined);
        assert.equal(await state.verifySession(byUser.sessionId), undefined);
        await assert.rejects(state.revokeToken("ci"), { code: "API_TOKEN_NOT_FOUND" });
        await assert.rejects(state.removeUser("bo"), { code: "LOCAL_USER_NOT_FOUND" });
      });
    });

    test("two replicas on one location share tokens, sessions, one-time tickets and connections", async () => {
      await withStates(adapter, 2, async (one, two) => {
        const { token } = await one.createToken({ name: "ops", role: "operator", connections: ["a"] });
        const seen = await two.verifyToken(token);
        assert.deepEqual([seen?.name, seen?.role, seen?.connections], ["ops", "operator", ["a"]]);
        const { sessionId } = await one.createSession({ kind: "token", name: "ops", role: "operator" });
        assert.equal((await two.verifySession(sessionId))?.name, "ops");
        await two.endSession(sessionId);
        assert.equal(await one.verifySession(sessionId), undefined);

        const ticket = await one.createSignInTicket("viewer", 60_000);
        const redeemed = await Promise.all([one.redeemSignInTicket(ticket), two.redeemSignInTicket(ticket)]);
        assert.deepEqual(
          redeemed.filter((r) => r !== undefined),
          [{ role: "viewer" }],
          "a ticket signs in once, whichever replica is asked",
        );

        const record = {
          id: "contoso",
          name: "Contoso",
          tenantId: "t",
          clientId: "c",
          cloud: "global",
          credentialType: "secret" as const,
          credential: "sealed",
          credentialChangedAt: null,
          options: { kinds: "users", schedule: "every 1h" },
          createdAt: "2026-01-01T00:00:00.000Z",
          updatedAt: "2026-01-01T00:00:00.000Z",
        };
        await one.insertConnection(record);
        await assert.rejects(two.insertConnection(record), { code: "CONNECTION_ID_TAKEN" });
        await two.updateConnection({ ...record, name: "Contoso Ltd" });
        assert.deepEqual(await one.listConnections(), [{ ...record, name: "Contoso Ltd" }]);
        await one.audit({
          actor: "admin",
          action: "create",
          connectionId: "contoso",
          detail: { name: "Contoso" },
        });
        await two.audit({
          actor: "admin",
          action: "update",
          connectionId: "contoso",
          detail: { changed: ["name"] },
        });
        await two.audit({ actor: "admin", action: "create", connectionId: "other", detail: {} });
        assert.deepEqual(
          (await one.listAudit("contoso")).map((e) => [e.action, e.detail]),
          [
            ["update", { changed: ["name"] }],
            ["create", { name: "Contoso" }],
          ],
        );
        assert.equal((await two.listAudit()).length, 3);
        await two.deleteConnection("contoso");
        assert.deepEqual(await one.listConnections(), []);
      });
    });
  });
}
