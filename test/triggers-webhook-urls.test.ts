/**
 * Webhook target URLs and secrets as a user gives them: a credential in the URL (user info, query
 * values) is refused or kept sealed and is shown redacted everywhere — errors, stderr, dead letters,
 * `--list`, the store files; URLs that differ only in their query are two subscriptions; short
 * secrets and plain http to other hosts are refused before anything is stored or sent.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { planWatch } from "../src/cli/commands/watch.ts";
import { runCli } from "../src/cli/program.ts";
import { isConnectorError } from "../src/errors.ts";
import { redactString, redactUrl } from "../src/log/redact.ts";
import { openStore } from "../src/store/index.ts";
import { user } from "../src/store/test-support.ts";
import type { Store } from "../src/store/types.ts";
import {
  checkWebhookUrl,
  consumerName,
  defineSubscription,
  loadSubscription,
  openSecret,
  openTargetUrl,
  SubscriptionDelivery,
  sealStoredSecrets,
  webhookSink,
} from "../src/triggers/index.ts";

const KEY = randomBytes(32);
const TOKEN = "tok-9f8e7d6c5b4a3921";
const PASSWORD = "pa55-w0rd-in-the-url";
const SECRET = "a-long-enough-signing-secret";

/** Counts requests and answers 500, so every delivery fails; keeps the query strings it saw. */
let server: Server;
let base: string;
const queries: string[] = [];
before(async () => {
  server = createServer((req, res) => {
    queries.push(new URL(req.url ?? "/", "http://x").search);
    req.resume();
    req.on("end", () => res.writeHead(500).end());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

async function fileStore(): Promise<{ store: Store; path: string }> {
  const path = join(mkdtempSync(join(tmpdir(), "webhook-urls-")), "store.db");
  return { store: await openStore(path), path };
}

function inFiles(path: string, needle: string): boolean {
  return ["", "-wal", "-shm"].some((s) => existsSync(path + s) && readFileSync(path + s).includes(needle));
}

async function cli(args: string[], env: Record<string, string>) {
  let text = "";
  const sink = new Writable({
    write(chunk, _e, cb) {
      text += chunk.toString();
      cb();
    },
  });
  const code = await runCli(args, {
    stdout: sink,
    stderr: sink,
    env: {
      ENTRA_TENANT_ID: "11111111-1111-1111-1111-111111111111",
      ENTRA_CLIENT_ID: "22222222-2222-2222-2222-222222222222",
      ENTRA_CLIENT_SECRET: "client-secret-for-tests",
      ENTRA_CONNECTOR_KEY: KEY.toString("hex"),
      ...env,
    },
    signal: new AbortController().signal,
  });
  return { code, output: text };
}

const refused = (field: string, pattern: RegExp, secret?: string) => (err: unknown) =>
  isConnectorError(err, "CONFIG_INVALID") &&
  err.message.startsWith(`${field}: `) &&
  pattern.test(err.message) &&
  (secret === undefined || !JSON.stringify(err.toJSON()).includes(secret));

describe("webhook URLs with credentials", () => {
  it("a user name and password in the URL are refused, naming --webhook and the fix, the password not echoed", () => {
    assert.throws(
      () => checkWebhookUrl(`https://ann:${PASSWORD}@hooks.example.com/in`),
      refused("--webhook", /remove the "user:password@" part.*signature/, PASSWORD),
    );
  });

  it("watch --webhook with a password exits 2 before sending anything, the password in no output", async () => {
    const { path } = await fileStore();
    const sent = queries.length;
    const url = `${base.replace("http://", `http://ann:${PASSWORD}@`)}/in`;
    for (const json of [[], ["--json"]]) {
      const { code, output } = await cli(["watch", "--webhook", url, "--once", ...json], {
        ENTRA_STORE: path,
        ENTRA_GRAPH_URL: base,
        ENTRA_AUTHORITY_HOST: base,
      });
      assert.equal(code, 2, output);
      assert.match(output, /--webhook/);
      assert.doesNotMatch(output, new RegExp(PASSWORD));
    }
    assert.equal(queries.length, sent, "nothing was sent");
  });

  it("query values are sealed at rest and redacted in errors, reports, dead letters and --list", async () => {
    const { store, path } = await fileStore();
    const { runId } = { runId: (await store.runs.start({ kind: "full", tenantId: "t" })).id };
    const url = `${base}/in?token=${TOKEN}`;
    const subscription = await defineSubscription(store, {
      types: ["user.*"],
      target: { kind: "webhook", url },
      secret: SECRET,
      key: KEY,
      emitInitial: true,
    });
    await store.subscriptions.put(subscription.id, { ...subscription, initialized: true });
    await store.sync.applyPage({ runId, stream: "users", upserts: [user("u1"), user("u2")] });
    const problems: string[] = [];
    const sent = queries.length;
    await new SubscriptionDelivery({
      store,
      subscription: { ...subscription, initialized: true },
      sink: webhookSink({
        url: openTargetUrl(subscription, KEY),
        secret: openSecret(subscription, KEY),
        timeoutMs: 10_000,
      }),
      policy: { retry: { baseMs: 1, maxMs: 1 }, deadLetterAfterMs: 0 },
      report: { problem: (_id, message) => problems.push(message) },
    }).drain();
    assert.deepEqual(
      queries.slice(sent),
      [`?token=${TOKEN}`, `?token=${TOKEN}`],
      "the receiver got the full URL, opened from its envelope",
    );
    const letters = await store.subscriptions.deadLetters(subscription.id);
    assert.equal(letters.length, 2);
    for (const text of [...letters.map((l) => l.error), ...problems]) {
      assert.match(text, /POST http:\/\/127\.0\.0\.1:\d+\/in\?token=\[redacted\]: HTTP 500/);
      assert.doesNotMatch(text, new RegExp(TOKEN));
    }
    assert.doesNotMatch(subscription.id, new RegExp(TOKEN));
    assert.deepEqual(subscription.target, {
      kind: "webhook",
      redactedUrl: `${base}/in?token=[redacted]`,
    });
    await store.close();
    assert.ok(inFiles(path, "/in?token=[redacted]"), "the check reads the files the row is in");
    assert.equal(inFiles(path, TOKEN), false, "the token is in clear in no store file");

    const listed = await cli(["watch", "--list"], { ENTRA_STORE: path });
    assert.equal(listed.code, 0, listed.output);
    const row = JSON.parse(listed.output.trim()) as Record<string, unknown>;
    assert.deepEqual(row["target"], subscription.target);
    assert.equal(row["sealedUrl"], undefined);
    assert.equal(row["deadLetters"], 2);
    assert.doesNotMatch(listed.output, new RegExp(TOKEN));
  });

  it("the redaction helper: user info and query values in a URL, user info in any message", () => {
    assert.equal(
      redactUrl(`https://ann:${PASSWORD}@h.example.com:8443/a/b?tenant=A&sig=${TOKEN}&flag#frag`),
      "https://[redacted]@h.example.com:8443/a/b?tenant=[redacted]&sig=[redacted]&[redacted]#[redacted]",
    );
    assert.equal(redactUrl("not a url"), "[redacted]");
    assert.equal(
      redactString(
        `Request cannot be constructed from a URL that includes credentials: http://ann:${PASSWORD}@h/in`,
      ),
      "Request cannot be constructed from a URL that includes credentials: http://[redacted]@h/in",
    );
  });

  it("a store written by an earlier version: the clear URL is sealed, and the subscription moves to its new id with position and dead letters", async () => {
    const { store, path } = await fileStore();
    const url = `https://hooks.example.com/in?token=${TOKEN}`;
    const legacyId = "webhook:https://hooks.example.com/in";
    // What earlier versions' dead letters said of a URL with user info: fetch quotes it whole.
    const withPassword = `https://ann:${PASSWORD}@hooks.example.com/in?token=${TOKEN}`;
    const quoted = `POST https://hooks.example.com/in: Request cannot be constructed from a URL that includes credentials: ${withPassword}`;
    await store.subscriptions.put(legacyId, {
      id: legacyId,
      types: ["*"],
      filter: {},
      target: { kind: "webhook", url },
      secret: SECRET,
      emitInitial: false,
      initialized: true,
    });
    await store.outbox.commit(consumerName(legacyId), 7);
    const event = { id: "e1", type: "user.created" };
    await store.subscriptions.deadLetter({
      subscription: legacyId,
      seq: 3,
      eventId: "e1",
      event,
      error: "HTTP 500",
    });
    const otherId = "webhook:https://hooks.example.com/other";
    await store.subscriptions.put(otherId, {
      id: otherId,
      types: ["*"],
      filter: {},
      target: { kind: "webhook", url: withPassword.replace("/in", "/other") },
      secret: SECRET,
      emitInitial: false,
      initialized: true,
    });
    const letter = { seq: 4, eventId: "e2", event, error: quoted.replaceAll("/in", "/other") };
    await store.subscriptions.deadLetter({ subscription: otherId, ...letter });
    assert.equal(await sealStoredSecrets(store, KEY), 2);
    assert.equal(await sealStoredSecrets(store, KEY), 0, "idempotent");
    const rows = (await store.subscriptions.list()).filter((r) => r.id.includes("/in"));
    assert.equal(rows.length, 1);
    const moved = await loadSubscription(store, rows[0]!.id);
    assert.match(moved!.id, /^webhook:https:\/\/hooks\.example\.com\/in\?token=\[redacted\]#[0-9a-f]{16}$/);
    assert.equal(moved!.id, rows[0]!.data["id"]);
    assert.equal(openTargetUrl(moved!, KEY), url);
    assert.equal(openSecret(moved!, KEY), SECRET);
    assert.equal(await store.outbox.position(consumerName(moved!.id)), 7, "the position came along");
    assert.deepEqual(
      (await store.subscriptions.deadLetters(moved!.id)).map((l) => [l.eventId, l.error]),
      [["e1", "HTTP 500"]],
    );
    assert.deepEqual(await store.subscriptions.deadLetters(legacyId), []);
    const other = (await store.subscriptions.list()).find((r) => r.id.includes("/other"))!;
    assert.deepEqual(
      (await store.subscriptions.deadLetters(other.id)).map((l) => l.error),
      [
        "POST https://hooks.example.com/other: Request cannot be constructed from a URL that includes credentials: https://[redacted]@hooks.example.com/other?token=[redacted]",
      ],
      "the password and token quoted in an old dead letter are scrubbed",
    );
    assert.equal(
      (other.data["target"] as Record<string, unknown>)["redactedUrl"],
      "https://[redacted]@hooks.example.com/other?token=[redacted]",
    );
    // Defining it again, as the next `watch --webhook` does, finds the moved row.
    const again = await defineSubscription(store, {
      types: ["*"],
      target: { kind: "webhook", url },
      key: KEY,
    });
    assert.equal(again.id, moved!.id);
    assert.equal(openSecret(again, KEY), SECRET);
    await store.close();
    assert.equal(inFiles(path, TOKEN), false, "no clear copy of the URL left in the files");
    assert.equal(inFiles(path, PASSWORD), false, "nor of the password");
  });
});

describe("webhook subscription identity", () => {
  it("URLs that differ only in their query are two subscriptions, each keeping its own URL and secret", async () => {
    const { store } = await fileStore();
    const define = (tenant: string, secret?: string) =>
      defineSubscription(store, {
        types: ["*"],
        target: { kind: "webhook", url: `https://hooks.example.com/hook?tenant=${tenant}` },
        ...(secret ? { secret } : {}),
        key: KEY,
      });
    const a = await define("A", `${SECRET}-for-A`);
    const b = await define("B", `${SECRET}-for-B`);
    assert.notEqual(a.id, b.id);
    assert.equal((await store.subscriptions.list()).length, 2);
    const storedA = await loadSubscription(store, a.id);
    assert.equal(openTargetUrl(storedA!, KEY), "https://hooks.example.com/hook?tenant=A");
    assert.equal(openSecret(storedA!, KEY), `${SECRET}-for-A`);
    assert.equal(openSecret((await loadSubscription(store, b.id))!, KEY), `${SECRET}-for-B`);
    assert.equal((await define("A")).id, a.id, "the same URL finds the same subscription");
    const noQuery = await defineSubscription(store, {
      types: ["*"],
      target: { kind: "webhook", url: "https://hooks.example.com/hook" },
      key: KEY,
    });
    assert.equal(noQuery.id, "webhook:https://hooks.example.com/hook", "a URL without a query keeps its id");
    await store.close();
  });
});

describe("webhook secret and transport rules", () => {
  it("a secret under 16 characters is refused, by the library and from ENTRA_WEBHOOK_SECRET, before anything is stored", async () => {
    const { store, path } = await fileStore();
    const target = { kind: "webhook" as const, url: "https://hooks.example.com/in" };
    await assert.rejects(
      defineSubscription(store, { types: ["*"], target, secret: "x", key: KEY }),
      refused("secret", /1 characters, fewer than 16/),
    );
    assert.deepEqual(await store.subscriptions.list(), []);
    await store.close();
    const short = "abc123xyz789";
    const { code, output } = await cli(["watch", "--webhook", target.url, "--once", "--json"], {
      ENTRA_STORE: path,
      ENTRA_WEBHOOK_SECRET: short,
    });
    assert.equal(code, 2, output);
    assert.match(output, /ENTRA_WEBHOOK_SECRET: the webhook signing secret has 12 characters/);
    assert.doesNotMatch(output, new RegExp(short));
    const reopened = await openStore(path);
    assert.deepEqual(await reopened.subscriptions.list(), [], "nothing was defined");
    await reopened.close();
  });

  it("plain http is accepted only to loopback, unless --allow-insecure-webhook", async () => {
    for (const url of [
      "http://127.0.0.1:8080/in",
      "http://127.9.8.7/in",
      "http://[::1]:9/in",
      "http://localhost/in",
    ]) {
      assert.doesNotThrow(() => checkWebhookUrl(url), url);
    }
    for (const url of [
      "http://10.0.0.5/in",
      "http://hooks.example.com/in",
      "http://localhost.example.com/in",
      "http://128.0.0.1/in",
    ]) {
      assert.throws(() => planWatch({ webhook: url }), refused("--webhook", /--allow-insecure-webhook/), url);
      assert.equal(planWatch({ webhook: url, allowInsecureWebhook: true }).targets[0]?.kind, "webhook");
    }
    const { store } = await fileStore();
    const target = { kind: "webhook" as const, url: "http://10.0.0.5/in" };
    await assert.rejects(
      defineSubscription(store, { types: ["*"], target, key: KEY }),
      refused("target.url", /plain http/),
    );
    await defineSubscription(store, { types: ["*"], target, key: KEY, allowInsecureHttp: true });
    assert.throws(
      () => webhookSink({ url: target.url, secret: SECRET, timeoutMs: 1000 }),
      refused("--webhook", /plain http/),
    );
    await store.close();
  });
});
