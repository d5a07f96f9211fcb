import assert from "node:assert/strict";
import { test } from "node:test";
import { silentLogger } from "../log/logger.ts";
import type { RawResponse } from "./call.ts";
import { Limiter } from "./limiter.ts";
import { createTenantSizer, parseUserCount } from "./tenant-size.ts";

const answer = (status: number, body: unknown): RawResponse => ({ status, headers: {}, body, requestId: "" });

test("reads the $count answer: text/plain digits only, from a 200", () => {
  assert.equal(parseUserCount(answer(200, "2000")), 2000);
  assert.equal(parseUserCount(answer(200, " 49\n")), 49);
  assert.equal(parseUserCount(answer(200, 7)), 7);
  for (const bad of [
    answer(403, "2000"),
    answer(200, ""),
    answer(200, "-1"),
    answer(200, "1.5"),
    answer(200, null),
  ])
    assert.equal(parseUserCount(bad), undefined);
  assert.equal(parseUserCount(answer(200, { error: { code: "x" } })), undefined);
});

test("counts once, resizes the limiter, and shares the answer between concurrent callers", async () => {
  const limiter = new Limiter({ tenantSize: "auto" });
  let calls = 0;
  const sizer = createTenantSizer(
    "auto",
    limiter,
    async () => answer(200, String(++calls * 300)),
    silentLogger(),
  );
  const sizes = await Promise.all([sizer.ready(), sizer.ready(), sizer.ready()]);
  assert.deepEqual(sizes, ["medium", "medium", "medium"]);
  assert.equal(calls, 1);
  assert.equal(limiter.readBudget, 5000);
});

test("any failure to count leaves the smallest budget and never rejects", async () => {
  for (const count of [
    async () => answer(403, { error: { code: "Authorization_RequestDenied" } }),
    async () => answer(429, { error: { code: "TooManyRequests" } }),
    async (): Promise<RawResponse> => {
      throw new Error("AADSTS7000215: invalid client secret");
    },
  ]) {
    const limiter = new Limiter({ tenantSize: "auto" });
    assert.equal(await createTenantSizer("auto", limiter, count, silentLogger()).ready(), "small");
    assert.equal(limiter.readBudget, 3500);
  }
});

test("a configured size is used as is, without counting", async () => {
  const limiter = new Limiter({ tenantSize: "large" });
  const sizer = createTenantSizer("large", limiter, () => assert.fail("must not count"), silentLogger());
  assert.equal(await sizer.ready(), "large");
});

test("a caller giving up stops waiting without cancelling the count for others", async () => {
  const limiter = new Limiter({ tenantSize: "auto" });
  let answerCount!: (r: RawResponse) => void;
  const sizer = createTenantSizer(
    "auto",
    limiter,
    () =>
      new Promise<RawResponse>((r) => {
        answerCount = r;
      }),
    silentLogger(),
  );
  const ac = new AbortController();
  const gaveUp = sizer.ready(ac.signal);
  const patient = sizer.ready();
  ac.abort(new Error("caller cancelled"));
  await assert.rejects(gaveUp, /caller cancelled/);
  answerCount(answer(200, "600"));
  assert.equal(await patient, "large");
});
