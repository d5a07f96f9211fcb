/**
 * The actions' logic against a recording fake GraphClient: what is (and is not) sent, in which order,
 * and how Graph's answers become results and errors. Behaviour against a real server (the emulator)
 * is in the other actions-*.test.ts files.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { recentlyCreated } from "../src/actions/context.ts";
import { searchAny } from "../src/actions/filter.ts";
import { planLicenceChange, type Sku } from "../src/actions/licenses.ts";
import { explainRefusal } from "../src/actions/refusals.ts";
import { retryWhileReplicating } from "../src/actions/replication.ts";
import { runAction } from "../src/actions/runner.ts";
import { continueRequest, encodeCursor } from "../src/actions/search.ts";
import type { ActionContext, AuditRecord } from "../src/actions/types.ts";
import { isConnectorError } from "../src/errors.ts";
import {
  addRemoveUserLicense,
  addUserToGroup,
  createGroup,
  createUser,
  getAction,
  getUser,
  parseEntitlement,
  removeGroupOwner,
  resetPassword,
  revokeSessions,
} from "../src/index.ts";
import { FakeGraph, GROUP_ID, graphError, USER_ID } from "./actions-support.ts";

const user = { id: USER_ID, displayName: "Ann", userPrincipalName: "ann@contoso.com" };
const group = {
  id: GROUP_ID,
  displayName: "Finance",
  mailEnabled: false,
  securityEnabled: true,
  groupTypes: [],
};

function auditLog() {
  const records: AuditRecord[] = [];
  return { records, sink: { record: async (r: AuditRecord) => records.push(r) } };
}

function expectCode(code: string) {
  return (err: unknown) => {
    assert.ok(isConnectorError(err), `expected a ConnectorError, got ${err}`);
    assert.equal(err.code, code, err.message);
    return true;
  };
}

describe("input validation happens before any request", () => {
  test("wrong types and missing fields name each field", async () => {
    const graph = new FakeGraph();
    await assert.rejects(
      runAction(getAction("create-user"), { displayName: 5, password: "x" }, { graph, writesEnabled: true }),
      (err: unknown) => {
        expectCode("INPUT_INVALID")(err);
        const msg = (err as Error).message;
        for (const field of ["displayName", "userPrincipalName", "password"])
          assert.match(msg, new RegExp(field));
        return true;
      },
    );
    assert.deepEqual(graph.requests, []);
  });

  test("unknown properties are refused rather than silently dropped", async () => {
    const graph = new FakeGraph();
    await assert.rejects(
      getUser({ graph }, { user: "ann", colour: "red" } as never),
      expectCode("INPUT_INVALID"),
    );
    assert.deepEqual(graph.requests, []);
  });

  test("a weak password is refused locally with the rule", async () => {
    const graph = new FakeGraph();
    const input = { displayName: "A", userPrincipalName: "a@contoso.com", password: "password" };
    await assert.rejects(createUser({ graph, writesEnabled: true }, input), /three of/);
    assert.deepEqual(graph.requests, []);
  });
});

describe("the provisioning gate", () => {
  test("refuses writes and says how to enable them; sends nothing", async () => {
    const graph = new FakeGraph();
    await assert.rejects(addUserToGroup({ graph }, { user: USER_ID, group: GROUP_ID }), (err: unknown) => {
      expectCode("PROVISIONING_DISABLED")(err);
      assert.match((err as { fix: string }).fix, /--provisioning or ENTRA_PROVISIONING=true/);
      return true;
    });
    assert.deepEqual(graph.requests, []);
  });

  test("lets reads and dry runs through", async () => {
    const graph = new FakeGraph()
      .on("GET", /^\/users\//, { body: user })
      .on("GET", /^\/groups\/[^/]+\?/, { body: group })
      .on("GET", /\/members\?\$filter=/, { body: { value: [] } });
    const out = await addUserToGroup({ graph }, { user: USER_ID, group: GROUP_ID }, { dryRun: true });
    assert.equal(out.changed, true);
    assert.deepEqual(out.requests, [
      {
        method: "POST",
        url: `/groups/${GROUP_ID}/members/$ref`,
        body: { "@odata.id": `https://graph.microsoft.com/v1.0/directoryObjects/${USER_ID}` },
      },
    ]);
    assert.deepEqual(graph.writes(), [], "a dry run sends no write");
  });
});

describe("idempotent membership", () => {
  test("an existing member is changed:false, recognised from Graph's 400", async () => {
    const graph = new FakeGraph()
      .on("GET", /^\/users\//, { body: user })
      .on("GET", /^\/groups\//, { body: group })
      .on(
        "POST",
        /\/members\/\$ref$/,
        graphError(
          400,
          "One or more added object references already exist for the following modified properties: 'members'.",
        ),
      );
    const audit = auditLog();
    const out = await addUserToGroup(
      { graph, writesEnabled: true, audit: audit.sink },
      { user: USER_ID, group: GROUP_ID },
    );
    assert.equal(out.changed, false);
    assert.equal(audit.records.length, 1);
    assert.equal(audit.records[0]!.result, "succeeded");
    assert.equal(audit.records[0]!.target, `group:${GROUP_ID}`);
    assert.deepEqual(audit.records[0]!.detail, { changed: false });
  });

  test("removing the last owner is explained, not passed through raw", async () => {
    const graph = new FakeGraph()
      .on("GET", /^\/users\//, { body: user })
      .on("GET", /^\/groups\//, { body: group })
      .on(
        "DELETE",
        /\/owners\//,
        graphError(400, "The group must have at least one owner, hence this owner cannot be removed."),
      );
    await assert.rejects(
      removeGroupOwner({ graph, writesEnabled: true }, { group: GROUP_ID, owner: USER_ID }),
      expectCode("GROUP_LAST_OWNER"),
    );
  });
});

describe("references", () => {
  test("hostile display names are escaped into the filter, never concatenated", async () => {
    const name = "O'Brien' or displayName eq 'x";
    const graph = new FakeGraph().on("GET", /^\/users\?/, { body: { value: [user] } });
    await getUser({ graph }, { user: name });
    const url = decodeURIComponent(graph.requests[0]!.url);
    assert.match(url, /\$filter=displayName eq 'O''Brien'' or displayName eq ''x'&/);
  });

  test("$search text cannot close its clause", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const q = searchAny(["displayName"], s);
        const inner = q.slice('"displayName:'.length, -1);
        assert.doesNotMatch(inner.replace(/\\[\\"]/g, ""), /"/);
      }),
    );
  });

  test("an ambiguous display name lists the candidates", async () => {
    const twin = {
      ...user,
      id: "33333333-3333-4333-8333-333333333333",
      userPrincipalName: "ann2@contoso.com",
    };
    const graph = new FakeGraph().on("GET", /^\/users\?/, { body: { value: [user, twin] } });
    await assert.rejects(getUser({ graph }, { user: "Ann" }), (err: unknown) => {
      expectCode("OBJECT_AMBIGUOUS")(err);
      assert.match((err as Error).message, /ann@contoso\.com.*ann2@contoso\.com/);
      return true;
    });
  });
});

describe("replication lag", () => {
  const ctxWith = (recent: ReturnType<typeof recentlyCreated>, replicationWaitMs: number) =>
    ({ recent, replicationWaitMs }) as ActionContext;

  test("a just-created object's 404 is retried until it appears", async () => {
    const recent = recentlyCreated();
    recent.add(USER_ID);
    let calls = 0;
    const out = await retryWhileReplicating(ctxWith(recent, 2000), "user", USER_ID, async () => {
      if (++calls < 3) throw graphError(404, "Resource does not exist");
      return "ok";
    });
    assert.equal(out, "ok");
    assert.equal(calls, 3);
  });

  test("gives up with REPLICATION_LAG after the wait", async () => {
    const recent = recentlyCreated();
    recent.add(USER_ID);
    await assert.rejects(
      retryWhileReplicating(ctxWith(recent, 250), "user", USER_ID, async () => {
        throw graphError(404, "Resource does not exist");
      }),
      expectCode("REPLICATION_LAG"),
    );
  });

  test("a 404 naming an object that is not fresh is reported at once, though another is fresh", async () => {
    const recent = recentlyCreated();
    recent.add(GROUP_ID);
    let calls = 0;
    await assert.rejects(
      retryWhileReplicating(ctxWith(recent, 2000), "object", [GROUP_ID, USER_ID], async () => {
        calls++;
        throw graphError(
          404,
          `Resource '${USER_ID}' does not exist or one of its queried reference-property objects are not present.`,
        );
      }),
      (err: unknown) => (err as { httpStatus?: number }).httpStatus === 404,
    );
    assert.equal(calls, 1);
  });

  test("a fresh object's id is found by its key until it is deleted or has surely replicated", () => {
    let now = 0;
    const recent = recentlyCreated(1000, () => now);
    recent.add(USER_ID, `role:x:${GROUP_ID}`);
    recent.add(GROUP_ID);
    assert.equal(recent.idFor(`role:x:${GROUP_ID}`), USER_ID);
    recent.forget(USER_ID);
    assert.equal(recent.idFor(`role:x:${GROUP_ID}`), undefined);
    recent.add(USER_ID, "app:y");
    now = 1001;
    assert.deepEqual([recent.idFor("app:y"), recent.has(GROUP_ID)], [undefined, false]);
  });

  test("a 404 on anything else is reported at once", async () => {
    let calls = 0;
    await assert.rejects(
      retryWhileReplicating(ctxWith(recentlyCreated(), 2000), "user", USER_ID, async () => {
        calls++;
        throw graphError(404, "Resource does not exist");
      }),
      (err: unknown) => (err as { httpStatus?: number }).httpStatus === 404,
    );
    assert.equal(calls, 1);
  });
});

describe("Graph refusals become plain causes", () => {
  const cases: [number, string, string][] = [
    [403, "Insufficient privileges to complete the operation.", "PERMISSION_MISSING"],
    [400, "The specified password does not comply with password complexity requirements.", "PASSWORD_WEAK"],
    [
      400,
      "The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.",
      "UPN_DOMAIN_UNVERIFIED",
    ],
    [
      400,
      "License assignment cannot be done for user with invalid usage location.",
      "LICENSE_USAGE_LOCATION",
    ],
    [
      400,
      "Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.",
      "ON_PREMISES_SYNCED",
    ],
  ];
  for (const [status, message, code] of cases) {
    test(`${status} "${message.slice(0, 40)}…" → ${code}`, async () => {
      const graph = new FakeGraph();
      // Only an unverified domain sends for the tenant's verified domains, to list them in the fix.
      if (code === "UPN_DOMAIN_UNVERIFIED")
        graph.on("GET", /^\/organization/, {
          body: { value: [{ verifiedDomains: [{ name: "contoso.com" }] }] },
        });
      const info = { action: "create-user", permissions: ["User.ReadWrite.All"], target: "user x", graph };
      const out = await explainRefusal(graphError(status, message), info);
      expectCode(code)(out);
      if (code === "PERMISSION_MISSING") assert.match((out as Error).message, /User\.ReadWrite\.All/);
      if (code === "UPN_DOMAIN_UNVERIFIED") assert.match((out as { fix: string }).fix, /contoso\.com/);
    });
  }
});

describe("licences", () => {
  const e3: Sku = {
    skuId: "aaaaaaaa-0000-4000-8000-000000000001",
    skuPartNumber: "ENTERPRISEPACK",
    consumedUnits: 5,
    prepaidUnits: { enabled: 5 },
  };
  const e1: Sku = {
    skuId: "aaaaaaaa-0000-4000-8000-000000000002",
    skuPartNumber: "STANDARDPACK",
    consumedUnits: 1,
    prepaidUnits: { enabled: 5 },
  };

  test("no free seat names the SKU and its counts", () => {
    assert.throws(
      () => planLicenceChange({ id: USER_ID, usageLocation: "US" }, [e3], ["enterprisepack"], [], undefined),
      (err: unknown) => {
        expectCode("LICENSE_NO_SEATS")(err);
        assert.match((err as Error).message, /ENTERPRISEPACK.*5 of 5/);
        return true;
      },
    );
  });

  test("a missing usage location is refused unless one is given", () => {
    assert.throws(
      () => planLicenceChange({ id: USER_ID }, [e1], [e1.skuId], [], undefined),
      expectCode("LICENSE_USAGE_LOCATION"),
    );
    const plan = planLicenceChange({ id: USER_ID }, [e1], [e1.skuId], [], "GB");
    assert.equal(plan.setUsageLocation, "GB");
  });

  test("only the difference is planned", () => {
    const holder = { id: USER_ID, usageLocation: "US", assignedLicenses: [{ skuId: e1.skuId }] };
    const plan = planLicenceChange(holder, [e1, e3], ["STANDARDPACK"], ["ENTERPRISEPACK"], undefined);
    assert.deepEqual([plan.add, plan.remove], [[], []]);
  });

  test("an unknown SKU lists the tenant's", () => {
    assert.throws(
      () => planLicenceChange({ id: USER_ID }, [e1], ["NOPE"], [], "US"),
      (err: unknown) =>
        expectCode("LICENSE_UNKNOWN")(err) && /STANDARDPACK/.test((err as { fix: string }).fix),
    );
  });
});

describe("licence changes in two steps", () => {
  test("a refused assignment after the usage location was set says the location stays", async () => {
    const sku = {
      skuId: "aaaaaaaa-0000-4000-8000-000000000002",
      skuPartNumber: "STANDARDPACK",
      consumedUnits: 1,
      prepaidUnits: { enabled: 5 },
    };
    const graph = new FakeGraph()
      .on("GET", /^\/users\//, { body: { ...user, usageLocation: null, assignedLicenses: [] } })
      .on("GET", /^\/subscribedSkus/, { body: { value: [sku] } })
      .on("PATCH", /^\/users\//, {})
      .on("POST", /\/assignLicense$/, graphError(403, "Insufficient privileges to complete the operation."));
    await assert.rejects(
      addRemoveUserLicense(
        { graph, writesEnabled: true },
        { user: USER_ID, addLicenses: ["STANDARDPACK"], usageLocation: "fr" },
      ),
      (err: unknown) => {
        expectCode("WRITE_INCOMPLETE")(err);
        assert.match((err as Error).message, /Left in place: usage location FR on ann@contoso\.com/);
        assert.match((err as Error).message, /lacks the Graph application permission/);
        return true;
      },
    );
    assert.deepEqual(graph.writes()[0], {
      method: "PATCH",
      url: `/users/${USER_ID}`,
      body: { usageLocation: "FR" },
    });
  });
});

describe("cursors", () => {
  const filter = "$filter=department%20eq%20'Sales'";
  const request = { path: "/users", query: [filter, "$top=5"] };
  const next = `https://graph.example/v1.0/users?${filter}&$top=5&$skiptoken=abc`;
  const edit = (cursor: string, change: (c: Record<string, unknown>) => void) => {
    const c = JSON.parse(Buffer.from(cursor, "base64url").toString()) as Record<string, unknown>;
    change(c);
    return Buffer.from(JSON.stringify(c)).toString("base64url");
  };

  test("continue the caller's request with only Graph's skip token taken from the cursor", () => {
    const c = encodeCursor("search-users", request, next);
    assert.equal(continueRequest("search-users", request, c), `/users?${filter}&$top=5&$skiptoken=abc`);
    const bigger = { path: "/users", query: [filter, "$top=50"] };
    assert.equal(continueRequest("search-users", bigger, c), `/users?${filter}&$top=50&$skiptoken=abc`);
  });

  test("a cursor of another search, other filters, another group or garbage is refused", () => {
    const c = encodeCursor("search-group-members", { path: `/groups/${GROUP_ID}/members`, query: [] }, next);
    assert.throws(() => continueRequest("search-users", request, c), expectCode("CURSOR_INVALID"));
    assert.throws(
      () => continueRequest("search-group-members", { path: "/groups/other/members", query: [] }, c),
      expectCode("CURSOR_INVALID"),
    );
    const sales = encodeCursor("search-users", request, next);
    const hr = { path: "/users", query: ["$filter=department%20eq%20'HR'", "$top=5"] };
    assert.throws(
      () => continueRequest("search-users", hr, sales),
      (err: unknown) => {
        expectCode("CURSOR_INVALID")(err);
        assert.match((err as Error).message, /cursor: it was issued for other filters/);
        return true;
      },
    );
    assert.throws(() => continueRequest("search-users", request, "%%%"), expectCode("CURSOR_INVALID"));
  });

  test("a hand-made cursor cannot add query options", () => {
    const c = encodeCursor("search-users", request, next);
    const withOptions = edit(c, (x) => {
      x["q"] = "$filter=startswith(displayName,'A')&$expand=memberOf";
    });
    assert.throws(
      () => continueRequest("search-users", request, withOptions),
      (err: unknown) => {
        expectCode("CURSOR_INVALID")(err);
        assert.match((err as Error).message, /cursor: it is not a nextCursor this connector issued/);
        return true;
      },
    );
    const smuggled = edit(c, (x) => {
      x["s"] = "abc&$select=passwordProfile&$filter=true";
    });
    const url = continueRequest("search-users", request, smuggled);
    assert.equal(new URL(url, "https://x.invalid").searchParams.get("$select"), null);
    assert.deepEqual(new URL(url, "https://x.invalid").searchParams.getAll("$filter"), [
      "department eq 'Sales'",
    ]);
  });
});

describe("entitlements", () => {
  test("every form parses, names may contain colons", () => {
    assert.deepEqual(parseEntitlement("group:Team: Finance:member"), {
      kind: "group",
      object: "Team: Finance",
      relation: "member",
    });
    assert.deepEqual(parseEntitlement("role:User Administrator:eligible"), {
      kind: "role",
      object: "User Administrator",
      relation: "eligible",
    });
    assert.deepEqual(parseEntitlement("app:Salesforce:role:Admin"), {
      kind: "app",
      object: "Salesforce",
      appRole: "Admin",
    });
    assert.deepEqual(parseEntitlement("app:Salesforce:assigned"), { kind: "app", object: "Salesforce" });
    assert.deepEqual(parseEntitlement("license:ENTERPRISEPACK:assigned"), {
      kind: "license",
      object: "ENTERPRISEPACK",
    });
  });

  test("anything else is ENTITLEMENT_INVALID", () => {
    for (const bad of ["group:x", "group::member", "printer:x:member", ""]) {
      assert.throws(() => parseEntitlement(bad), expectCode("ENTITLEMENT_INVALID"));
    }
  });
});

describe("secrets and multi-step writes", () => {
  const input = {
    displayName: "Bob",
    userPrincipalName: "bob@contoso.com",
    password: "Str0ng!Passw0rd",
    groups: [GROUP_ID],
  };

  test("a dry run prints the requests with the password redacted, and audits without it", async () => {
    const graph = new FakeGraph()
      .on("GET", /^\/users\?/, { body: { value: [] } })
      .on("GET", /^\/groups\//, { body: group });
    const audit = auditLog();
    const out = await createUser({ graph, audit: audit.sink }, input, { dryRun: true });
    assert.equal(out.requests?.length, 2);
    assert.doesNotMatch(JSON.stringify(out), /Str0ng/);
    assert.doesNotMatch(JSON.stringify(audit.records), /Str0ng/);
    assert.equal(audit.records[0]!.result, "dry-run");
    assert.deepEqual(graph.writes(), []);
  });

  test("only secrets are redacted: forceChangePasswordNextSignIn stays in the requests and the audit", async () => {
    const graph = new FakeGraph()
      .on("GET", /^\/users\?/, { body: { value: [] } })
      .on("GET", /^\/users\//, { body: user });
    const audit = auditLog();
    const created = await createUser(
      { graph, audit: audit.sink },
      { ...input, groups: [], forceChangePasswordNextSignIn: false },
      { dryRun: true },
    );
    assert.deepEqual((created.requests?.[0]?.body as { passwordProfile: unknown }).passwordProfile, {
      password: "[redacted]",
      forceChangePasswordNextSignIn: false,
    });
    const reset = await resetPassword(
      { graph, audit: audit.sink },
      { user: USER_ID, password: input.password, forceChangePasswordNextSignIn: false },
      { dryRun: true },
    );
    assert.deepEqual(reset.requests?.[0]?.body, {
      passwordProfile: { password: "[redacted]", forceChangePasswordNextSignIn: false },
    });
    for (const record of audit.records) {
      const logged = record.input as { password: string; forceChangePasswordNextSignIn: boolean };
      assert.deepEqual([logged.password, logged.forceChangePasswordNextSignIn], ["[redacted]", false]);
    }
    assert.doesNotMatch(JSON.stringify([created, reset, audit.records]), /Str0ng/);
  });

  test("a failing later step reports what was left in place", async () => {
    const graph = new FakeGraph()
      .on("GET", /^\/users\?/, { body: { value: [] } })
      .on("GET", /^\/groups\//, { body: group })
      .on("POST", /^\/users$/, { status: 201, body: { id: USER_ID, userPrincipalName: "bob@contoso.com" } })
      .on("POST", /\/members\/\$ref$/, graphError(403, "Insufficient privileges to complete the operation."));
    const audit = auditLog();
    await assert.rejects(
      createUser({ graph, writesEnabled: true, audit: audit.sink }, input),
      (err: unknown) => {
        expectCode("WRITE_INCOMPLETE")(err);
        const msg = (err as Error).message;
        assert.match(msg, /step 'add to group Finance'/);
        assert.match(msg, new RegExp(`Left in place: user bob@contoso.com \\(id ${USER_ID}\\)`));
        assert.match(msg, /lacks the Graph application permission/);
        return true;
      },
    );
    assert.equal(audit.records[0]!.result, "failed");
    assert.equal(audit.records[0]!.target, `user:${USER_ID}`);
  });

  test("a repeated create returns the existing group unchanged, sending nothing", async () => {
    const existing = {
      id: GROUP_ID,
      displayName: "Finance",
      mailNickname: "finance",
      mailEnabled: false,
      securityEnabled: true,
      groupTypes: [],
    };
    const graph = new FakeGraph()
      .on("GET", /^\/groups\?/, { body: { value: [existing] } })
      .on("GET", /^\/groups\/[^/?]+\/(owners|members)\?/, { body: { value: [] } });
    const out = await createGroup(
      { graph, writesEnabled: true },
      { displayName: "Finance", mailNickname: "finance" },
    );
    assert.deepEqual([out.changed, out.group.id], [false, GROUP_ID]);
    assert.deepEqual(graph.writes(), []);
  });

  test("a conflict quotes the tenant's values with their control characters escaped", async () => {
    const existing = { ...user, displayName: "Ann\u009b31m", accountEnabled: true, mailNickname: "ann" };
    const graph = new FakeGraph().on("GET", /^\/users\?/, { body: { value: [existing] } });
    const input = { displayName: "Ann", userPrincipalName: "ann@contoso.com", password: "Str0ng!Passw0rd" };
    await assert.rejects(createUser({ graph, writesEnabled: true }, input), (err: unknown) => {
      expectCode("OBJECT_CONFLICT")(err);
      const message = (err as Error).message;
      assert.ok(message.includes('displayName is "Ann\\u009b31m" there, "Ann" asked'), message);
      assert.doesNotMatch(message, /\u009b/);
      return true;
    });
    assert.deepEqual(graph.writes(), []);
  });

  test("security groups sharing the mailNickname make a repeat ambiguous, listing them", async () => {
    const twin = (id: string) => ({ id, displayName: "Finance", mailNickname: "finance", groupTypes: [] });
    const graph = new FakeGraph().on("GET", /^\/groups\?/, {
      body: { value: [twin(GROUP_ID), twin("other-id")] },
    });
    await assert.rejects(
      createGroup({ graph, writesEnabled: true }, { displayName: "Finance", mailNickname: "finance" }),
      (err: unknown) => {
        expectCode("OBJECT_AMBIGUOUS")(err);
        assert.match((err as Error).message, new RegExp(`${GROUP_ID}.*other-id`));
        return true;
      },
    );
    assert.deepEqual(graph.writes(), []);
  });

  test("a mail-enabled security group is refused before any request", async () => {
    const graph = new FakeGraph();
    await assert.rejects(
      createGroup({ graph, writesEnabled: true }, { displayName: "Mail sec", mailEnabled: true }),
      expectCode("GROUP_MAIL_ENABLED"),
    );
    assert.deepEqual(graph.requests, []);
  });
});

describe("revoke-sessions", () => {
  // The exact request; that it really ends sessions is checked against the emulator's tokens in
  // actions-users.test.ts.
  test("posts revokeSignInSessions for the resolved user and audits it", async () => {
    const graph = new FakeGraph()
      .on("GET", /^\/users\//, { body: user })
      .on("POST", /\/revokeSignInSessions$/, { status: 200, body: { value: true } });
    const audit = auditLog();
    const out = await revokeSessions({ graph, writesEnabled: true, audit: audit.sink }, { user: USER_ID });
    assert.equal(out.changed, true);
    assert.deepEqual(graph.writes(), [{ method: "POST", url: `/users/${USER_ID}/revokeSignInSessions` }]);
    assert.equal(audit.records[0]!.target, `user:${USER_ID}`);
  });
});

describe("cancellation", () => {
  test("an aborted signal stops the action before its next request", async () => {
    const graph = new FakeGraph();
    const controller = new AbortController();
    controller.abort(new DOMException("stopped", "AbortError"));
    await assert.rejects(
      addUserToGroup(
        { graph, writesEnabled: true, signal: controller.signal },
        { user: USER_ID, group: GROUP_ID },
      ),
      (err: unknown) => (err as Error).name === "AbortError",
    );
    assert.deepEqual(graph.requests, []);
  });
});
