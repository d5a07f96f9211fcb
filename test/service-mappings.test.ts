/**
 * Mappings in service mode over HTTP: defined through the API with a sealed SCIM token (never answered
 * back), validated with the line and field named, a dry run that writes nothing, a full run that makes
 * the SCIM test service equal the mapped source, a run after each sync that makes it equal again, the
 * per-record log filtered and paged, and the roles each route needs.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startEmulator } from "@entra-connector/graph-emulator";
import {
  connectionsFromEnvironment,
  createLogger,
  loadConnectorKey,
  openServiceState,
  type RunningService,
  type ServiceState,
  startService,
} from "../src/index.ts";
import { EXAMPLE } from "../src/mapping/test-support.ts";
import {
  activeRecords,
  addExampleGroups,
  duplicates,
  type ExampleTenant,
  expectedActive,
  sorted,
} from "./mapping-support.ts";
import { type ScimServer, startScimServer } from "./support/scim-server.ts";
import { type Emulator, emulatorEnv, type Harness } from "./sync-support.ts";

type Obj = Record<string, unknown>;

describe("mappings in the service", () => {
  let emu: Emulator;
  let dir: string;
  let state: ServiceState;
  let service: RunningService;
  let scim: ScimServer;
  let groups: ExampleTenant;
  const tokens: Record<string, string> = {};
  const bodies: string[] = [];
  const harness = () => ({ emu }) as unknown as Harness;

  before(async () => {
    emu = await startEmulator({
      port: 0,
      latency: "none",
      throttle: false,
      faultRate: 0,
      size: "s",
      seed: 13,
    });
    groups = addExampleGroups(harness());
    scim = await startScimServer("scim-bearer-7d41e0c2b9");
    dir = mkdtempSync(join(tmpdir(), "entra-service-mappings-"));
    const env = emulatorEnv(emu, join(dir, "store.db"), "s");
    state = openServiceState(join(dir, "service.db"));
    for (const role of ["viewer", "operator", "admin"] as const) {
      tokens[role] = (await state.createToken({ name: `${role}-token`, role })).token;
    }
    service = await startService({
      state,
      connections: connectionsFromEnvironment(env),
      managed: { key: await loadConnectorKey({ stateDir: dir }), env, stateDir: dir },
      logger: createLogger({ level: "silent" }),
      version: "test",
      listen: { host: "127.0.0.1", port: 0 },
      metricsOpen: true,
      graceMs: 5000,
    });
    await syncNow();
  });

  after(async () => {
    await service.close();
    await scim.close();
    await emu.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const api = async (
    method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
    url: string,
    role: string,
    payload?: object | string,
    contentType?: string,
  ) => {
    const res = await service.app.inject({
      method,
      url: `/api/v1/connections/default${url}`,
      headers: {
        authorization: `Bearer ${tokens[role]}`,
        ...(contentType ? { "content-type": contentType } : {}),
      },
      ...(payload === undefined ? {} : { payload }),
    });
    bodies.push(res.body);
    return res;
  };

  async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
    for (let i = 0; i < 1200; i++) {
      const value = await probe();
      if (value !== undefined) return value;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`gave up waiting for ${what}`);
  }

  async function syncNow(): Promise<void> {
    const res = await api("POST", "/sync", "operator");
    assert.equal(res.statusCode, 202, res.body);
    const { runId } = res.json() as { runId: string };
    const run = await until("the sync", async () => {
      const r = (await api("GET", `/runs/${runId}`, "viewer")).json() as { status: string };
      return r.status === "queued" || r.status === "running" ? undefined : r;
    });
    assert.equal(run.status, "succeeded");
  }

  async function finished(runId: string): Promise<Obj> {
    return until("the mapping run", async () => {
      const run = (await api("GET", `/mappings/assets/runs/${runId}`, "viewer")).json() as Obj;
      return run["status"] === "queued" || run["status"] === "running" ? undefined : run;
    });
  }

  const definition = (token: string) =>
    EXAMPLE.replace("http://127.0.0.1:8080/scim/v2", scim.url).replace(/\$\{ASSETS_SCIM_TOKEN\}/, token);

  test("a viewer or operator cannot define a mapping", async () => {
    for (const role of ["viewer", "operator"]) {
      const res = await api("POST", "/mappings", role, definition(scim.token), "application/yaml");
      assert.equal(res.statusCode, 403, res.body);
    }
  });

  test("an invalid definition is refused with its line and field named, and nothing is kept", async () => {
    const bad = definition(scim.token).replace(`url: ${scim.url}`, "url: ftp://nowhere");
    const res = await api("POST", "/mappings", "admin", bad, "application/yaml");
    assert.equal(res.statusCode, 400, res.body);
    const error = (res.json() as { error: { code: string; message: string } }).error;
    assert.equal(error.code, "MAPPING_INVALID");
    assert.match(error.message, /:17 target\.url/);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a reference to the environment is what is sent
    const unset = definition("${SERVICE_MAPPINGS_UNSET_VARIABLE}");
    const missing = await api("POST", "/mappings", "admin", unset, "application/yaml");
    assert.equal(missing.statusCode, 400, missing.body);
    assert.match(missing.body, /target\.token.*SERVICE_MAPPINGS_UNSET_VARIABLE is not set/);
    const list = (await api("GET", "/mappings", "viewer")).json() as { items: unknown[] };
    assert.deepEqual(list.items, []);
  });

  test("a mapping defined with its token keeps it sealed and answers only that it is set", async () => {
    const res = await api("POST", "/mappings", "admin", definition(scim.token), "application/yaml");
    assert.equal(res.statusCode, 201, res.body);
    const view = res.json() as Obj & { secrets: Record<string, { set: boolean; changedAt: string }> };
    assert.equal(view["name"], "assets");
    assert.equal(view["target"], `scim ${scim.url}`);
    assert.equal(view["secrets"]["target.token"]?.set, true);
    assert.equal((view["document"] as { target: Obj }).target["token"], undefined);
    for (const file of ["store.db", "store.db-wal"]) {
      const path = join(dir, file);
      if (existsSync(path))
        assert.ok(!readFileSync(path).includes(scim.token), `${file} holds the token in clear`);
    }
    const again = await api("POST", "/mappings", "admin", definition(scim.token), "application/yaml");
    assert.equal(again.statusCode, 409, again.body);
    assert.equal((await api("GET", "/mappings/assets", "viewer")).statusCode, 200);
  });

  test("a viewer cannot run a mapping", async () => {
    const res = await api("POST", "/mappings/assets/runs", "viewer", { mode: "full" });
    assert.equal(res.statusCode, 403, res.body);
  });

  test("a dry run answers the plan and writes nothing", async () => {
    const res = await api("POST", "/mappings/assets/runs", "operator", { mode: "full", dryRun: true });
    assert.equal(res.statusCode, 202, res.body);
    const run = res.json() as Obj & { report: { plan: { actions: { kind: string }[] } } };
    assert.equal(run["status"], "succeeded", res.body);
    const creates = run.report.plan.actions.filter((a) => a.kind === "create").length;
    assert.equal(creates, expectedActive(harness(), groups).size);
    assert.equal(scim.users.size, 0);
    assert.deepEqual(
      scim.requests.filter((r) => r.method !== "GET"),
      [],
    );
    const runs = (await api("GET", "/mappings/assets/runs", "viewer")).json() as { items: unknown[] };
    assert.deepEqual(runs.items, []);
  });

  test("a full run makes the target equal the mapped source", async () => {
    const res = await api("POST", "/mappings/assets/runs", "operator", { mode: "full" });
    assert.equal(res.statusCode, 202, res.body);
    const run = await finished((res.json() as { runId: string }).runId);
    assert.equal(run["status"], "succeeded", JSON.stringify(run));
    assert.deepEqual(sorted(activeRecords(scim)), sorted(expectedActive(harness(), groups)));
    assert.deepEqual(duplicates(scim), []);
  });

  test("after each sync, a mapping that asks for it runs and makes the target equal again", async () => {
    const patched = await api("PATCH", "/mappings/assets", "admin", { afterSync: true });
    assert.equal(patched.statusCode, 200, patched.body);
    assert.equal((patched.json() as Obj)["afterSync"], true);
    const before = (
      (await api("GET", "/mappings/assets", "viewer")).json() as { lastRun: { number: number } }
    ).lastRun.number;
    const tenant = emu.tenant;
    const finance = [...tenant.transitiveMembersOf(groups.finance)];
    tenant.update("user", finance[0]!, { displayName: "Renamed In Service" });
    tenant.removeMember(groups.finance, finance[1]!);
    await syncNow();
    const view = await until("the run after the sync", async () => {
      const v = (await api("GET", "/mappings/assets", "viewer")).json() as {
        lastRun: { number: number; status: string; counts: Record<string, number> } | null;
        activeRunId: string | null;
      };
      return v.activeRunId === null && v.lastRun && v.lastRun.number > before ? v : undefined;
    });
    assert.equal(view.lastRun?.status, "succeeded");
    assert.equal(view.lastRun?.counts["update.ok"], 1);
    assert.equal(view.lastRun?.counts["disable.ok"], 1);
    assert.deepEqual(sorted(activeRecords(scim)), sorted(expectedActive(harness(), groups)));
  });

  test("the log is filtered by user and result and paged", async () => {
    const tenant = emu.tenant;
    const someone = tenant.get("user", [...tenant.transitiveMembersOf(groups.finance)][0]!)!;
    const byUpn = (
      await api("GET", `/mappings/assets/logs?user=${someone["userPrincipalName"]}`, "viewer")
    ).json() as {
      items: { userId: string; action: string }[];
    };
    assert.ok(byUpn.items.length >= 2, JSON.stringify(byUpn));
    assert.ok(byUpn.items.every((e) => e.userId === someone["id"]));
    assert.deepEqual(
      byUpn.items.map((e) => e.action),
      ["create", "update"],
    );
    const failed = (await api("GET", "/mappings/assets/logs?status=failed", "viewer")).json() as {
      items: unknown[];
    };
    assert.deepEqual(failed.items, []);
    const first = (await api("GET", "/mappings/assets/logs?limit=2", "viewer")).json() as {
      items: { seq: number }[];
      next: string;
    };
    assert.equal(first.items.length, 2);
    const second = (
      await api("GET", `/mappings/assets/logs?limit=2&cursor=${first.next}`, "viewer")
    ).json() as {
      items: { seq: number }[];
    };
    assert.ok(second.items[0]!.seq > first.items[1]!.seq);
  });

  test("a schedule is checked when given, planned at once, and dropped with null", async () => {
    const bad = await api("PATCH", "/mappings/assets", "admin", { schedule: "every 0s" });
    assert.equal(bad.statusCode, 400, bad.body);
    assert.match(bad.body, /schedule/);
    const zone = await api("PATCH", "/mappings/assets", "admin", {
      schedule: "0 3 * * *",
      timeZone: "Mars/Olympus",
    });
    assert.equal(zone.statusCode, 400, zone.body);
    assert.match(zone.body, /timeZone/);
    const set = await api("PATCH", "/mappings/assets", "admin", {
      schedule: "0 3 * * *",
      timeZone: "Europe/Paris",
    });
    assert.equal(set.statusCode, 200, set.body);
    const next = (set.json() as { nextRunAt: string | null }).nextRunAt;
    assert.ok(next !== null && Date.parse(next) > Date.now(), set.body);
    const dropped = await api("PATCH", "/mappings/assets", "admin", { schedule: null });
    assert.equal((dropped.json() as Obj)["nextRunAt"], null, dropped.body);
  });

  test("a replace without the token keeps the one held; the token is in no answer", async () => {
    const withoutToken = definition(scim.token).replace(/\n\s+token: .*\n/, "\n");
    const res = await api("PUT", "/mappings/assets", "admin", withoutToken, "application/yaml");
    assert.equal(res.statusCode, 200, res.body);
    // Sent elsewhere, the token must be given again.
    const moved = withoutToken.replace(scim.url, "http://127.0.0.1:9/scim/v2");
    const refused = await api("PUT", "/mappings/assets", "admin", moved, "application/yaml");
    assert.equal(refused.statusCode, 400, refused.body);
    assert.match(refused.body, /target\.token: give exactly one of token or oauth/);
    const run = await api("POST", "/mappings/assets/runs", "operator", { mode: "full", dryRun: true });
    assert.equal((run.json() as Obj)["status"], "succeeded", run.body);
    const metrics = await service.app.inject({ method: "GET", url: "/metrics" });
    assert.match(
      metrics.body,
      /entra_connector_mapping_runs_total\{[^}]*mapping="assets",result="succeeded"\} [1-9]/,
    );
    assert.ok(bodies.length > 10);
    for (const body of bodies) assert.ok(!body.includes(scim.token), body);
  });
});
