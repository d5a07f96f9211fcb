/**
 * Webhook subscriptions in the service, end to end: managed over the API, delivered by the service's
 * `deliver` job after a sync that found a change in the emulator (to a receiver started here, the
 * signature checked), a failing receiver retried then dead-lettered, replayed on request, the test
 * event, secret rotation, and no secret in any answer or log line.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
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
  verifySignature,
} from "../src/index.ts";
import { type Emulator, emulatorEnv } from "./sync-support.ts";

interface Received {
  headers: IncomingMessage["headers"];
  body: string;
}

describe("triggers in the service", () => {
  let emu: Emulator;
  let dir: string;
  let state: ServiceState;
  let service: RunningService;
  let receiver: Server;
  let hookUrl: string;
  const received: Received[] = [];
  /** The status the receiver answers with. */
  let answer = 200;
  const tokens: Record<string, string> = {};
  const logLines: string[] = [];

  before(async () => {
    emu = await startEmulator({
      port: 0,
      latency: "none",
      throttle: false,
      faultRate: 0,
      size: "s",
      seed: 8,
    });
    dir = mkdtempSync(join(tmpdir(), "entra-service-triggers-"));
    const env = emulatorEnv(emu, join(dir, "store.db"), "s");
    state = openServiceState(join(dir, "service.db"));
    for (const role of ["viewer", "operator"] as const) {
      tokens[role] = (await state.createToken({ name: `${role}-token`, role })).token;
    }
    receiver = createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (chunk: string) => {
        body += chunk;
      });
      req.on("end", () => {
        received.push({ headers: req.headers, body });
        res.statusCode = answer;
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    // The query is a credential of the receiver's own: it must never be shown.
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook?token=receiver-credential`;
    service = await startService({
      state,
      connections: connectionsFromEnvironment(env),
      managed: { key: await loadConnectorKey({ stateDir: dir }), env, stateDir: dir },
      logger: createLogger({
        level: "debug",
        destination: new Writable({
          write(chunk, _enc, done) {
            logLines.push(String(chunk));
            done();
          },
        }),
      }),
      version: "test",
      listen: { host: "127.0.0.1", port: 0 },
      metricsOpen: false,
      graceMs: 5000,
      triggers: {
        policy: { retry: { baseMs: 20, maxMs: 40 }, deadLetterAfterMs: 400 },
        webhookTimeoutMs: 5000,
        pollMs: 60_000,
      },
    });
  });

  after(async () => {
    await service.close();
    await new Promise((r) => receiver.close(r));
    await emu.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const as = (role: string) => ({ authorization: `Bearer ${tokens[role]}` });
  const api = async (method: "GET" | "POST" | "DELETE", url: string, role: string, payload?: object) => {
    const res = await service.app.inject({
      method,
      url: `/api/v1/connections/default${url}`,
      headers: as(role),
      ...(payload ? { payload } : {}),
    });
    bodies.push(res.body);
    return res;
  };
  const bodies: string[] = [];

  async function syncNow(): Promise<void> {
    const res = await api("POST", "/sync", "operator");
    assert.equal(res.statusCode, 202, res.body);
    const { runId } = res.json() as { runId: string };
    for (;;) {
      const run = (await api("GET", `/runs/${runId}`, "viewer")).json() as { status: string };
      if (run.status !== "queued" && run.status !== "running") {
        assert.equal(run.status, "succeeded");
        return;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
    for (let i = 0; i < 800; i++) {
      const value = await probe();
      if (value !== undefined) return value;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  let sid = "";
  let secret = "";

  test("a subscription is created with its secret shown once, checked like watch's URLs, and listed without it", async () => {
    await syncNow(); // the baseline: a first load fires nothing
    const refused = await api("POST", "/subscriptions", "operator", { url: "http://hooks.example.com/in" });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /url: .*plain http/);
    const badType = await api("POST", "/subscriptions", "operator", {
      url: hookUrl,
      types: ["user.renamed"],
    });
    assert.equal(badType.statusCode, 400);
    assert.match(badType.body, /types/);
    const asViewer = await api("POST", "/subscriptions", "viewer", { url: hookUrl });
    assert.equal(asViewer.statusCode, 403);

    const created = await api("POST", "/subscriptions", "operator", {
      url: hookUrl,
      types: ["user.updated"],
    });
    assert.equal(created.statusCode, 201, created.body);
    const body = created.json() as { subscription: { id: string; url: string }; secret: string };
    ({ id: sid } = body.subscription);
    secret = body.secret;
    assert.match(secret, /^[0-9a-f]{64}$/);
    assert.ok(!body.subscription.url.includes("receiver-credential"));

    const list = await api("GET", "/subscriptions", "viewer");
    const items = (list.json() as { items: { id: string; secret: { set: boolean; rotatedAt: string } }[] })
      .items;
    assert.equal(items.length, 1);
    assert.equal(items[0]?.secret.set, true);
    assert.ok(items[0]?.secret.rotatedAt);
    const one = await api("GET", `/subscriptions/${sid}`, "viewer");
    assert.equal(one.statusCode, 200);
    assert.equal((await api("GET", "/subscriptions/sub-nope", "viewer")).statusCode, 404);
  });

  test("a change synced from the emulator is delivered to the receiver, signed with the subscription's secret", async () => {
    const user = emu.tenant.list("user")[0]!;
    emu.tenant.update("user", String(user["id"]), { jobTitle: "Delivered by the service" });
    await syncNow();
    const got = await until("the delivery", () =>
      received.find((r) => r.body.includes("Delivered by the service")),
    );
    const ts = String(got.headers["x-entra-connector-timestamp"]);
    assert.equal(
      verifySignature(secret, ts, got.body, String(got.headers["x-entra-connector-signature"])),
      true,
    );
    const event = JSON.parse(got.body) as { type: string; resource: { id: string } };
    assert.equal(event.type, "user.updated");
    assert.equal(event.resource.id, user["id"]);
    const deliveries = await until("the attempt recorded", async () => {
      const items = (
        (await api("GET", `/subscriptions/${sid}/deliveries`, "viewer")).json() as {
          items: { status: string; httpStatus: number; attempt: number; eventId: string }[];
        }
      ).items;
      return items.length > 0 ? items : undefined;
    });
    assert.deepEqual(
      {
        status: deliveries[0]?.status,
        httpStatus: deliveries[0]?.httpStatus,
        attempt: deliveries[0]?.attempt,
      },
      { status: "delivered", httpStatus: 200, attempt: 1 },
    );
    const metrics = await service.app.inject({ url: "/metrics", headers: as("viewer") });
    assert.match(
      metrics.body,
      /entra_connector_trigger_deliveries_total\{connection="default",result="delivered"\} 1/,
    );
    assert.match(metrics.body, /entra_connector_trigger_outbox_lag\{connection="default"\} 0/);
  });

  test("a failing receiver is retried, then the event dead-lettered; replaying it delivers it", async () => {
    answer = 503;
    const user = emu.tenant.list("user")[1]!;
    emu.tenant.update("user", String(user["id"]), { jobTitle: "Dead-lettered first" });
    await syncNow();
    const letters = await until("the dead letter", async () => {
      const items = (
        (await api("GET", `/subscriptions/${sid}/dead-letters`, "viewer")).json() as {
          items: { eventId: string; error: string }[];
        }
      ).items;
      return items.length > 0 ? items : undefined;
    });
    assert.match(letters[0]!.error, /HTTP 503/);
    assert.ok(!letters[0]!.error.includes("receiver-credential"));
    const attempts = (
      (await api("GET", `/subscriptions/${sid}/deliveries`, "viewer")).json() as {
        items: { status: string; httpStatus: number; eventId: string }[];
      }
    ).items.filter((a) => a.eventId === letters[0]!.eventId);
    assert.equal(attempts[0]?.status, "failed");
    assert.ok(attempts.length >= 2, "retried before giving up");
    assert.ok(attempts.slice(1).every((a) => a.status === "retrying" && a.httpStatus === 503));

    answer = 200;
    const before = received.length;
    const replay = await api(
      "POST",
      `/subscriptions/${sid}/dead-letters/${letters[0]!.eventId}/replay`,
      "operator",
    );
    assert.equal(replay.statusCode, 200, replay.body);
    assert.equal((replay.json() as { status: string }).status, "delivered");
    assert.ok(received.slice(before).some((r) => r.body.includes("Dead-lettered first")));
    const left = (await api("GET", `/subscriptions/${sid}/dead-letters`, "viewer")).json() as { items: [] };
    assert.deepEqual(left.items, []);
    const again = await api(
      "POST",
      `/subscriptions/${sid}/dead-letters/${letters[0]!.eventId}/replay`,
      "operator",
    );
    assert.equal((again.json() as { error: { code: string } }).error.code, "DEAD_LETTER_NOT_FOUND");
  });

  test("the test event goes out signed now; a rotated secret signs from then on", async () => {
    const rotated = await api("POST", `/subscriptions/${sid}/rotate-secret`, "operator");
    assert.equal(rotated.statusCode, 200, rotated.body);
    const fresh = (rotated.json() as { secret: string }).secret;
    assert.notEqual(fresh, secret);
    const sent = await api("POST", `/subscriptions/${sid}/test`, "operator");
    assert.equal(sent.statusCode, 200, sent.body);
    assert.deepEqual(
      (({ status, httpStatus }) => ({ status, httpStatus }))(
        sent.json() as { status: string; httpStatus: number },
      ),
      { status: "delivered", httpStatus: 200 },
    );
    const got = received.at(-1)!;
    assert.equal(JSON.parse(got.body).type, "subscription.test");
    const ts = String(got.headers["x-entra-connector-timestamp"]);
    const signature = String(got.headers["x-entra-connector-signature"]);
    assert.equal(verifySignature(fresh, ts, got.body, signature), true);
    assert.equal(verifySignature(secret, ts, got.body, signature), false);
    secret = fresh;
  });

  test("syncing one user over the API answers its changes and delivers them", async () => {
    const user = emu.tenant.list("user")[3]!;
    emu.tenant.update("user", String(user["id"]), { jobTitle: "Synced on its own" });
    const unknown = await api("POST", "/users/nobody@example.invalid/sync", "operator");
    assert.equal(unknown.statusCode, 404);
    assert.equal((unknown.json() as { error: { code: string } }).error.code, "OBJECT_NOT_FOUND");
    const asViewer = await api("POST", `/users/${String(user["id"])}/sync`, "viewer");
    assert.equal(asViewer.statusCode, 403);
    const res = await api(
      "POST",
      `/users/${encodeURIComponent(String(user["userPrincipalName"]))}/sync`,
      "operator",
    );
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json() as {
      userId: string;
      changes: { type: string; changes: { property: string }[] }[];
    };
    assert.equal(body.userId, user["id"]);
    assert.deepEqual(
      body.changes.map((c) => [c.type, c.changes.map((p) => p.property)]),
      [["updated", ["jobTitle"]]],
    );
    await until("the delivery", () => received.find((r) => r.body.includes("Synced on its own")));
  });

  test("changes are audited with the token; deleting removes the subscription", async () => {
    const removed = await api("DELETE", `/subscriptions/${sid}`, "operator");
    assert.equal(removed.statusCode, 200, removed.body);
    assert.equal((await api("GET", `/subscriptions/${sid}`, "viewer")).statusCode, 404);
    const audit = (await api("GET", "/audit", "operator")).json() as {
      items: { action: string; target: string; detail: { actor: string } }[];
    };
    const mine = audit.items.filter((e) => e.target === sid);
    assert.deepEqual(
      mine.map((e) => e.action),
      [
        "subscription.create",
        "subscription.replay",
        "subscription.rotate-secret",
        "subscription.test",
        "subscription.delete",
      ],
    );
    assert.ok(mine.every((e) => e.detail.actor === "operator-token"));
    assert.ok(audit.items.some((e) => e.action === "sync.user" && e.detail.actor === "operator-token"));
  });

  test("no answer and no log line holds a signing secret or the URL's query", () => {
    const everything = [...bodies.filter((b) => !b.includes('"secret":"')), ...logLines].join("\n");
    assert.ok(logLines.length > 0, "the service logged nothing: the check would prove nothing");
    assert.ok(!everything.includes(secret));
    assert.ok(!everything.includes("receiver-credential"));
    // The two answers that carry a secret carry only that.
    const withSecret = bodies.filter((b) => b.includes('"secret":"'));
    assert.equal(withSecret.length, 2);
  });
});
