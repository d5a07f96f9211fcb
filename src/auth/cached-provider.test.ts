import assert from "node:assert/strict";
import { test } from "node:test";
import { cachedTokenProvider } from "./cached-provider.ts";
import type { StoredToken } from "./types.ts";

function fakeClock() {
  let now = 1_000_000;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

function issuer(clock: { now: () => number }, lifetimeS = 3600) {
  let n = 0;
  const calls: (StoredToken | undefined)[] = [];
  return {
    calls,
    acquire: async (current: StoredToken | undefined): Promise<StoredToken> => {
      calls.push(current);
      await new Promise((r) => setTimeout(r, 10));
      n++;
      return {
        tokenType: "Bearer",
        accessToken: `at-${n}`,
        expiresIn: lifetimeS,
        extExpiresIn: lifetimeS,
        expiresAt: clock.now() + lifetimeS * 1000,
        tenantId: "t",
        refreshToken: `rt-${n}`,
      };
    },
  };
}

test("100 concurrent callers cause one token request and share its token", async () => {
  const clock = fakeClock();
  const iss = issuer(clock);
  const p = cachedTokenProvider({ acquire: iss.acquire, now: clock.now });
  const tokens = await Promise.all(Array.from({ length: 100 }, () => p.getToken()));
  assert.equal(iss.calls.length, 1);
  assert.equal(p.acquisitions, 1);
  assert.ok(tokens.every((t) => t.accessToken === "at-1"));
});

test("reused until five minutes before expiry, then refreshed once with the last refresh token", async () => {
  const clock = fakeClock();
  const iss = issuer(clock);
  const p = cachedTokenProvider({ acquire: iss.acquire, now: clock.now });
  await p.getToken();
  clock.advance(3600_000 - 300_001);
  assert.equal((await p.getToken()).accessToken, "at-1");
  clock.advance(2);
  const [a, b] = await Promise.all([p.getToken(), p.getToken()]);
  assert.equal(a.accessToken, "at-2");
  assert.equal(b.accessToken, "at-2");
  assert.equal(iss.calls.length, 2);
  assert.equal(iss.calls[1]?.refreshToken, "rt-1");
});

test("invalidate drops the access token but keeps the refresh token; failures are not cached", async () => {
  const clock = fakeClock();
  const iss = issuer(clock);
  let fail = false;
  const p = cachedTokenProvider({
    acquire: (c) => (fail ? Promise.reject(new Error("down")) : iss.acquire(c)),
    now: clock.now,
  });
  const first = await p.getToken();
  p.invalidate("some-other-token");
  assert.equal((await p.getToken()).accessToken, first.accessToken);
  p.invalidate(first.accessToken);
  fail = true;
  await assert.rejects(p.getToken(), /down/);
  fail = false;
  const next = await p.getToken();
  assert.equal(next.accessToken, "at-2");
  assert.equal(iss.calls.at(-1)?.refreshToken, "rt-1");
});

test("starts from the persisted token and saves each new one", async () => {
  const clock = fakeClock();
  const iss = issuer(clock);
  const saved: StoredToken[] = [];
  const persisted: StoredToken = {
    tokenType: "Bearer",
    accessToken: "stored",
    expiresIn: 3600,
    extExpiresIn: 3600,
    expiresAt: clock.now() + 3600_000,
    tenantId: "t",
  };
  const p = cachedTokenProvider({
    acquire: iss.acquire,
    now: clock.now,
    load: async () => persisted,
    save: async (t) => {
      saved.push(t);
    },
  });
  assert.equal((await p.getToken()).accessToken, "stored");
  assert.equal(iss.calls.length, 0);
  clock.advance(3600_000);
  assert.equal((await p.getToken()).accessToken, "at-1");
  assert.deepEqual(
    saved.map((t) => t.accessToken),
    ["at-1"],
  );
});

test("signIn acquires a new token even while a fresh one is cached, and getToken reuses it", async () => {
  const clock = fakeClock();
  const iss = issuer(clock);
  const p = cachedTokenProvider({ acquire: iss.acquire, now: clock.now });
  assert.equal((await p.getToken()).accessToken, "at-1");
  assert.equal((await p.signIn()).accessToken, "at-2");
  assert.equal((await p.getToken()).accessToken, "at-2");
  assert.equal(iss.calls.length, 2);
});
