/**
 * Webhook delivery against a real local receiver that fails, hangs past the timeout and goes down for
 * a while: every event arrives, in order, signed; nothing twice unless the process "crashes" between
 * the receiver's 2xx and the commit, and then with the same id; dead letters and their replay.
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { storeWithRun, user } from "../src/store/test-support.ts";
import type { Store } from "../src/store/types.ts";
import {
  EVENT_ID_HEADER,
  loadSubscription,
  SIGNATURE_HEADER,
  type Subscription,
  SubscriptionDelivery,
  TIMESTAMP_HEADER,
  verifySignature,
  webhookSink,
} from "../src/triggers/index.ts";

const SECRET = "receiver-shared-secret";

type Mode = "ok" | "fail" | "hang";

/**
 * The delivery's timeout, and how long a hanging receiver holds a request: long enough that a loaded
 * machine never answers an "ok" after the timeout (which would deliver that event twice, as
 * at-least-once delivery allows, and fail the exactly-once count below).
 */
const TIMEOUT_MS = 1000;
const HANG_MS = 1500;

interface Received {
  id: string;
  seq: number;
  type: string;
}

/** A receiver that answers as `decide` says and records what it accepted (2xx) with a valid signature. */
class Receiver {
  accepted: Received[] = [];
  attempts = 0;
  badSignatures = 0;
  decide: (event: Received, attempt: number) => Mode = () => "ok";
  server: Server;
  port = 0;
  readonly #tries = new Map<string, number>();

  constructor() {
    this.server = createServer((req, res) => void this.#handle(req, res));
  }

  async listen(port = 0): Promise<void> {
    // A port taken meanwhile (by another test's server) fails the test instead of hanging it.
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, "127.0.0.1", () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Goes down: refuses connections until `listen` again on the same port. */
  async down(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server = createServer((req, res) => void this.#handle(req, res));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.attempts++;
    let body = "";
    for await (const chunk of req) body += chunk;
    const valid = verifySignature(
      SECRET,
      req.headers[TIMESTAMP_HEADER] as string | undefined,
      body,
      req.headers[SIGNATURE_HEADER] as string | undefined,
    );
    const event = JSON.parse(body) as Received;
    assert.equal(req.headers[EVENT_ID_HEADER], event.id);
    if (!valid) this.badSignatures++;
    const attempt = (this.#tries.get(event.id) ?? 0) + 1;
    this.#tries.set(event.id, attempt);
    const mode = this.decide(event, attempt);
    if (mode === "hang") {
      setTimeout(() => res.destroy(), HANG_MS).unref();
      return;
    }
    if (mode === "fail") {
      res.writeHead(attempt % 2 === 0 ? 503 : 500).end();
      return;
    }
    this.accepted.push({ id: event.id, seq: event.seq, type: event.type });
    res.writeHead(204).end();
  }
}

async function storeWithUsers(n: number): Promise<Store> {
  const { store, runId } = await storeWithRun();
  for (let i = 0; i < n; i++)
    await store.sync.applyPage({ runId, stream: "users", upserts: [user(`u${i}`)] });
  // Updates too, so one subscription's events come from different kinds of change.
  for (let i = 0; i < n; i += 3) {
    await store.sync.applyPage({ runId, stream: "users", upserts: [user(`u${i}`, { jobTitle: "Lead" })] });
  }
  return store;
}

function subscription(url: string): Subscription {
  return {
    id: `webhook:${url}`,
    types: ["user.*"],
    filter: {},
    target: { kind: "webhook", redactedUrl: url },
    emitInitial: true,
    initialized: true,
  };
}

function delivery(
  store: Store,
  url: string,
  deadLetterAfterMs = 60_000,
  stored: Subscription = subscription(url),
): SubscriptionDelivery {
  return new SubscriptionDelivery({
    store,
    subscription: stored,
    sink: webhookSink({ url, secret: SECRET, timeoutMs: TIMEOUT_MS }),
    policy: { retry: { baseMs: 10, maxMs: 80 }, deadLetterAfterMs },
  });
}

async function expectedIds(store: Store): Promise<string[]> {
  const { deriveEvents } = await import("../src/triggers/derive.ts");
  return (await store.outbox.read({ limit: 10_000 })).flatMap(deriveEvents).map((e) => e.id);
}

describe("webhook delivery", () => {
  it("delivers every event in order, signed, through failures, timeouts and an outage", async () => {
    const store = await storeWithUsers(24);
    const receiver = new Receiver();
    await receiver.listen();
    receiver.decide = (e, attempt) => {
      if (e.seq % 5 === 0 && attempt <= 2) return "fail";
      if (e.seq % 7 === 0 && attempt === 1) return "hang";
      return "ok";
    };
    let outage: Promise<void> | undefined;
    const base = receiver.decide;
    receiver.decide = (e, attempt) => {
      // Halfway through, the receiver goes down for 600 ms (this request is lost with it).
      if (e.seq === 15 && !outage) {
        const port = receiver.port;
        outage = receiver.down().then(async () => {
          await new Promise((r) => setTimeout(r, 600));
          await receiver.listen(port);
        });
        return "hang";
      }
      return base(e, attempt);
    };
    const d = delivery(store, receiver.url);
    await d.drain();
    await outage;
    assert.deepEqual(
      receiver.accepted.map((r) => r.id),
      await expectedIds(store),
      "every event once, in outbox order",
    );
    assert.equal(receiver.badSignatures, 0);
    assert.ok(receiver.attempts > receiver.accepted.length + 5, "failures and timeouts were retried");
    assert.deepEqual(await store.subscriptions.deadLetters(subscription(receiver.url).id), []);
    await receiver.down();
    await store.close();
  });

  it("a crash between the receiver's 2xx and the commit redelivers that event with the same id, once", async () => {
    const store = await storeWithUsers(6);
    const receiver = new Receiver();
    await receiver.listen();
    // The "process" dies on its third commit: that event was accepted but not marked delivered.
    let commits = 0;
    const crashing: Store = {
      ...store,
      subscriptions: store.subscriptions,
      outbox: {
        ...store.outbox,
        read: (o) => store.outbox.read(o),
        position: (c) => store.outbox.position(c),
        head: () => store.outbox.head(),
        commit: async (c, seq) => {
          if (++commits === 3) throw new Error("killed");
          await store.outbox.commit(c, seq);
        },
      },
    };
    await assert.rejects(delivery(crashing, receiver.url).drain(), /killed/);
    const beforeRestart = receiver.accepted.length;
    await delivery(store, receiver.url).drain();
    const ids = receiver.accepted.map((r) => r.id);
    const expected = await expectedIds(store);
    assert.deepEqual([...new Set(ids)], expected, "nothing lost, order kept");
    const repeated = ids.filter((id, i) => ids.indexOf(id) !== i);
    assert.deepEqual(repeated, [ids[beforeRestart - 1]], "exactly the uncommitted event came again");
    await receiver.down();
    await store.close();
  });

  it("dead-letters an event after the bounded time, goes on in order, and replays it later", async () => {
    const store = await storeWithUsers(5);
    const receiver = new Receiver();
    await receiver.listen();
    const expected = await expectedIds(store);
    const poison = expected[2] as string;
    receiver.decide = (e) => (e.id === poison ? "fail" : "ok");
    const d = delivery(store, receiver.url, 150);
    await d.drain();
    assert.deepEqual(
      receiver.accepted.map((r) => r.id),
      expected.filter((id) => id !== poison),
    );
    const letters = await store.subscriptions.deadLetters(subscription(receiver.url).id);
    assert.deepEqual(
      letters.map((l) => l.eventId),
      [poison],
    );
    assert.match(letters[0]?.error ?? "", /^POST http:\/\/127\.0\.0\.1:\d+\/hooks: HTTP 50[03]$/);
    receiver.decide = () => "ok";
    assert.deepEqual(await d.replayDeadLetters(), { replayed: 1, failed: 0 });
    assert.equal(receiver.accepted.at(-1)?.id, poison);
    assert.deepEqual(await store.subscriptions.deadLetters(subscription(receiver.url).id), []);
    await receiver.down();
    await store.close();
  });

  it("keeps the dead-letter clock across a restart", async () => {
    const store = await storeWithUsers(2);
    const receiver = new Receiver();
    await receiver.listen();
    const poison = (await expectedIds(store))[0] as string;
    let tries = 0;
    receiver.decide = (e) => {
      if (e.id !== poison) return "ok";
      tries++;
      return "fail";
    };
    // Killed while retrying, before the 300 ms bound…
    await assert.rejects(delivery(store, receiver.url, 300).drain(AbortSignal.timeout(120)));
    await new Promise((r) => setTimeout(r, 250));
    // …the restarted process knows since when the event has failed, and gives up at its first failure.
    const stored = await loadSubscription(store, subscription(receiver.url).id);
    assert.equal(stored?.failing?.eventId, poison);
    const before = tries;
    await delivery(store, receiver.url, 300, stored).drain();
    assert.equal(tries - before, 1);
    assert.deepEqual(
      (await store.subscriptions.deadLetters(subscription(receiver.url).id)).map((l) => l.eventId),
      [poison],
    );
    assert.equal((await loadSubscription(store, subscription(receiver.url).id))?.failing, undefined);
    await receiver.down();
    await store.close();
  });
});
