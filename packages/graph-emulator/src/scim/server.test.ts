import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CliUsageError, scimFromFlags } from "../cli-options.ts";
import { startScimServer } from "./server.ts";

describe("the SCIM service", () => {
  it("demands its bearer token, and pages users as asked with startIndex and count", async () => {
    const scim = await startScimServer({ token: "scim-test-token" });
    try {
      const get = (path: string, token = "scim-test-token") =>
        fetch(`${scim.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal((await get("/Users", "wrong")).status, 401);
      assert.equal((await fetch(`${scim.url}/Users`)).status, 401);
      for (let i = 0; i < 45; i++)
        scim.users.set(`u${i}`, { id: `u${i}`, userName: `user${i}@contoso.test` });
      const pages = [];
      for (const start of [1, 11, 41]) {
        const body = (await (await get(`/Users?startIndex=${start}&count=10`)).json()) as {
          totalResults: number;
          startIndex: number;
          Resources: { id: string }[];
        };
        pages.push([body.totalResults, body.startIndex, body.Resources.map((r) => r.id).join(",")]);
      }
      assert.deepEqual(pages, [
        [45, 1, "u0,u1,u2,u3,u4,u5,u6,u7,u8,u9"],
        [45, 11, "u10,u11,u12,u13,u14,u15,u16,u17,u18,u19"],
        [45, 41, "u40,u41,u42,u43,u44"],
      ]);
      const config = (await (await get("/ServiceProviderConfig")).json()) as Record<
        string,
        { supported: boolean }
      >;
      assert.deepEqual([config.patch?.supported, config.filter?.supported], [true, true]);
    } finally {
      await scim.close();
    }
  });

  it("will not start without a token: the library refuses a blank one, the CLI a missing variable", async () => {
    await assert.rejects(startScimServer({ token: "" }), /bearer token/);
    assert.throws(
      () => scimFromFlags({ scimPort: "0", scimTokenEnv: "ASSETS_SCIM_TOKEN" }, {}),
      (err: unknown) => err instanceof CliUsageError && /ASSETS_SCIM_TOKEN/.test(err.message),
    );
    assert.deepEqual(scimFromFlags({ scimPort: "8080" }, { SCIM_TOKEN: "t0k" }), {
      port: 8080,
      token: "t0k",
    });
    assert.equal(scimFromFlags({}, {}), undefined);
  });
});
