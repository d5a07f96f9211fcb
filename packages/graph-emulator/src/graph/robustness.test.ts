/**
 * Hostile input never crashes a route or leaks an internal error: every answer to random methods,
 * paths, query options and bodies is a success or a Graph error with a 4xx status.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { generateTenant } from "../tenant/generator.ts";
import { registerGraphRoutes } from "./routes.ts";
import { testRouter } from "./test-router.ts";

const { model } = generateTenant({ size: "s", seed: 21, permissions: [] });
const t = testRouter({ tenant: model, register: [registerGraphRoutes] });
const someUser = model.list("user")[4]?.id ?? "";
const someGroup = model.list("group")[2]?.id ?? "";

const segment = fc.oneof(
  fc.constantFrom(
    "users",
    "groups",
    "members",
    "owners",
    "transitiveMembers",
    "memberOf",
    "transitiveMemberOf",
    "manager",
    "directReports",
    "$ref",
    "$count",
    "microsoft.graph.user",
    "microsoft.graph.group",
    "delta",
    someUser,
    someGroup,
    "('x@contoso.com')",
    "%23EXT%23",
    "%E0%A4",
  ),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
);
const query = fc.oneof(
  fc.constant(""),
  fc.constantFrom(
    "$top=0",
    "$top=abc",
    "$select=id,,",
    "$filter=displayName eq 'O''Brien'",
    "$filter=(((",
    "$orderby=nope",
    "$expand=members,owners",
    "$skiptoken=garbage",
    "$count=maybe",
    '$search="displayName:x"',
  ),
  fc.string({ maxLength: 20 }).map((s) => `$filter=${encodeURIComponent(s)}`),
);
const body = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue(),
  fc.record({
    "@odata.id": fc.oneof(
      fc.string(),
      fc.constant(`https://graph.microsoft.com/v1.0/directoryObjects/${someUser}`),
    ),
  }),
  fc.record(
    {
      displayName: fc.oneof(fc.string(), fc.integer()),
      mailNickname: fc.string(),
      mailEnabled: fc.oneof(fc.boolean(), fc.string()),
      securityEnabled: fc.boolean(),
      accountEnabled: fc.boolean(),
      userPrincipalName: fc.string(),
      passwordProfile: fc.oneof(fc.string(), fc.record({ password: fc.string() })),
      "members@odata.bind": fc.array(fc.string(), { maxLength: 25 }),
      groupTypes: fc.array(fc.string(), { maxLength: 3 }),
    },
    { requiredKeys: [] },
  ),
);

describe("robustness", () => {
  it("answers random requests with successes or Graph errors, never a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GET", "POST", "PATCH", "DELETE", "PUT"),
        fc.array(segment, { minLength: 1, maxLength: 5 }),
        query,
        body,
        async (method, segments, q, payload) => {
          const url = `/v1.0/${segments.join("/")}${q ? `?${q}` : ""}`;
          let reply: Awaited<ReturnType<typeof t.call>>;
          try {
            new URL(url, "https://graph.test");
          } catch {
            return;
          }
          try {
            reply = await t.call(method, url, payload === undefined ? {} : { body: payload });
          } catch (error) {
            assert.fail(`${method} ${url} threw ${String(error)}`);
          }
          assert.ok(reply.status < 500, `${method} ${url} → ${reply.status} ${JSON.stringify(reply.body)}`);
          if (reply.status >= 400) {
            const error = (reply.body as { error?: { code?: unknown; message?: unknown } }).error;
            assert.equal(typeof error?.code, "string");
            assert.equal(typeof error?.message, "string");
          }
        },
      ),
      { numRuns: 1500, seed: 4242 },
    );
  });
});
