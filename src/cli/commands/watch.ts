/**
 * `entra-connector watch [--interval 30s] [--types …] [--filter k=v] [--webhook URL] [--out events.jsonl]
 * [--emit-initial] [--once] [--replay-dead-letters] [--app-assignments-every 10m]`: incremental sync on the interval, change events
 * to stdout as JSON lines (default), appended to a file, or POSTed to a webhook, signed. Problems go
 * to stderr as one line each; secrets never do.
 */
import { resolve } from "node:path";
import type { Command } from "commander";
import {
  type ConfigFlags,
  checkWebhookSecret,
  checkWebhookUrl,
  consumerName,
  createConnection,
  type DeliveryTarget,
  defineSubscription,
  EXIT,
  fileSink,
  holdLeases,
  loadConfig,
  loadConnectorKey,
  openSecret,
  openStore,
  openTargetUrl,
  parseDuration,
  parseFilter,
  parseKinds,
  parseTypes,
  runSync,
  runWatch,
  type Sink,
  type Store,
  type Subscription,
  SubscriptionDelivery,
  SYNC_KINDS,
  sealStoredSecrets,
  streamSink,
  terminalSafe,
  webhookSink,
} from "../../index.ts";
import type { CommandIO, CommandSpec } from "../command.ts";

export interface WatchCommandOptions extends ConfigFlags {
  interval?: string;
  kinds?: string;
  appAssignmentsEvery?: string;
  types?: string;
  filter?: string[];
  webhook?: string;
  out?: string;
  emitInitial?: boolean;
  once?: boolean;
  deadLetterAfter?: string;
  webhookTimeout?: string;
  retryBase?: string;
  retryMax?: string;
  replayDeadLetters?: boolean;
  showSecret?: boolean;
  list?: boolean;
  allowInsecureWebhook?: boolean;
  wait?: boolean;
}

interface WatchPlan {
  intervalMs: number;
  kinds: ReturnType<typeof parseKinds>;
  appAssignmentsEveryMs: number;
  types: string[];
  filter: ReturnType<typeof parseFilter>;
  targets: DeliveryTarget[];
  deadLetterAfterMs: number;
  webhookTimeoutMs: number;
  retry: { baseMs: number; maxMs: number };
  allowInsecureHttp: boolean;
}

/** The duration flags' defaults, stated here only: `configure` shows them, `planWatch` applies them. */
const DEFAULTS = {
  interval: "30s",
  appAssignmentsEvery: "10m",
  deadLetterAfter: "24h",
  webhookTimeout: "10s",
  retryBase: "1s",
  retryMax: "5m",
} as const;
/** A local receiver's answer and a retry may be quicker than a poll. */
const SHORT = { minMs: 10 };

/** Every flag (and the webhook secret) checked before the store or the tenant is touched. */
export function planWatch(options: WatchCommandOptions, env: NodeJS.ProcessEnv = {}): WatchPlan {
  const targets: DeliveryTarget[] = [];
  const allowInsecureHttp = options.allowInsecureWebhook === true;
  if (options.webhook !== undefined) {
    checkWebhookUrl(options.webhook, { allowInsecureHttp });
    const secret = env["ENTRA_WEBHOOK_SECRET"];
    if (secret) checkWebhookSecret(secret, "ENTRA_WEBHOOK_SECRET");
    targets.push({ kind: "webhook", url: options.webhook });
  }
  // Absolute, so the same file resumes the same subscription from any working directory.
  if (options.out !== undefined) targets.push({ kind: "file", path: resolve(options.out) });
  if (targets.length === 0) targets.push({ kind: "stdout" });
  return {
    intervalMs: parseDuration(options.interval ?? DEFAULTS.interval, "--interval"),
    kinds: parseKinds(options.kinds),
    appAssignmentsEveryMs: parseDuration(
      options.appAssignmentsEvery ?? DEFAULTS.appAssignmentsEvery,
      "--app-assignments-every",
      { zero: true },
    ),
    types: parseTypes(options.types),
    filter: parseFilter(options.filter),
    targets,
    deadLetterAfterMs: parseDuration(
      options.deadLetterAfter ?? DEFAULTS.deadLetterAfter,
      "--dead-letter-after",
    ),
    webhookTimeoutMs: parseDuration(
      options.webhookTimeout ?? DEFAULTS.webhookTimeout,
      "--webhook-timeout",
      SHORT,
    ),
    retry: {
      baseMs: parseDuration(options.retryBase ?? DEFAULTS.retryBase, "--retry-base", SHORT),
      maxMs: parseDuration(options.retryMax ?? DEFAULTS.retryMax, "--retry-max", SHORT),
    },
    allowInsecureHttp,
  };
}

export const watchCommand: CommandSpec<WatchCommandOptions> = {
  name: "watch",
  summary: "Sync on an interval and deliver change events (stdout, a JSONL file, signed webhooks)",
  configure(cmd: Command): Command {
    return cmd
      .option(
        "--interval <duration>",
        "time between incremental syncs, e.g. 30s, 5m (100ms to 24d)",
        DEFAULTS.interval,
      )
      .option("--kinds <list>", `what to sync, comma-separated: ${SYNC_KINDS.join(",")} (default: all)`)
      .option(
        "--app-assignments-every <duration>",
        "re-read every app's assignments (Graph has no delta for them) at most this often; 0 = every poll",
        DEFAULTS.appAssignmentsEvery,
      )
      .option(
        "--types <list>",
        "event types, comma- or |-separated, prefix.* wildcards (default: all); the five: user.created, user.created|user.updated, user.deleted, group.created, group.created|group.updated",
      )
      .option(
        "--filter <key=value>",
        "only events whose subject has this property (repeatable); memberOf=<group id>",
        collect,
      )
      .option(
        "--webhook <url>",
        "POST each event, signed, to this URL: https, or http to loopback (secret: ENTRA_WEBHOOK_SECRET, 16+ characters, or generated)",
      )
      .option("--allow-insecure-webhook", "allow a plain http:// webhook URL to a host other than loopback")
      .option(
        "--out <file>",
        "append events as JSON lines to this file (fsync'd, no duplicates after restart)",
      )
      .option("--emit-initial", "a new subscription also delivers what the first sync finds")
      .option("--once", "sync once, deliver everything pending, then exit")
      .option(
        "--wait",
        "if another watcher delivers the subscription, wait for it to stop instead of exiting",
      )
      .option(
        "--dead-letter-after <duration>",
        "give up on an event after failing this long",
        DEFAULTS.deadLetterAfter,
      )
      .option(
        "--webhook-timeout <duration>",
        "time a webhook receiver has to answer",
        DEFAULTS.webhookTimeout,
      )
      .option(
        "--retry-base <duration>",
        "first retry delay (doubled each attempt, with jitter)",
        DEFAULTS.retryBase,
      )
      .option("--retry-max <duration>", "longest retry delay", DEFAULTS.retryMax)
      .option("--replay-dead-letters", "deliver the subscriptions' dead-lettered events again, then exit")
      .option("--show-secret", "print the webhook subscription's signing secret, then exit")
      .option(
        "--list",
        "print every stored subscription (position, dead letters; no secrets, URLs redacted), then exit",
      );
  },
  async run(options, _args, io) {
    const plan = planWatch(options, io.env);
    const config = loadConfig({ env: io.env, flags: options });
    const store = await openStore(config.store, { thread: true });
    try {
      const key = await loadConnectorKey({
        stateDir: config.stateDir,
        connectorKey: io.env["ENTRA_CONNECTOR_KEY"],
      });
      // Stores written before webhook secrets were sealed: seal them now, whatever the mode.
      await sealStoredSecrets(store, key);
      if (options.list) return await listSubscriptions(store, io);
      const defined = await defineAll(store, plan, options, io.env, key);
      if (options.showSecret) return showSecrets(defined, key, io);
      if (options.replayDeadLetters) return await replay(store, defined, plan, key, options, io);
      const connection = createConnection(config, { env: io.env });
      try {
        await runWatch({
          store,
          sync: async (observer) => {
            const summary = await runSync({
              client: connection.graph,
              store,
              tenantId: config.tenantId,
              options: {
                kinds: plan.kinds,
                full: false,
                skipAdGroups: config.skipAdGroups,
                appAssignmentsEveryMs: plan.appAssignmentsEveryMs,
              },
              observer,
              signal: io.signal,
              // A `sync` (or another watcher's poll) writing the store delays this poll, never fails it.
              wait: true,
            });
            // Pages committed before a stream failed are delivered all the same; the failure is reported.
            if (summary.run.status === "failed") throw new Error(summary.run.error ?? "a stream failed");
          },
          intervalMs: plan.intervalMs,
          subscriptions: defined.map((subscription) => ({
            subscription,
            sink: sinkFor(subscription, plan, key, io),
          })),
          policy: { retry: plan.retry, deadLetterAfterMs: plan.deadLetterAfterMs },
          report: {
            started: (owner) => {
              for (const s of defined) {
                io.stderr.write(
                  `watch: ${s.id}: ${s.types.join(",")} every ${plan.intervalMs} ms (lease owner ${owner})\n`,
                );
              }
            },
            problem: (id, message) => io.stderr.write(`watch: ${id}: ${terminalSafe(message)}\n`),
            syncFailed: (err) =>
              io.stderr.write(
                `watch: sync failed, retrying next interval: ${terminalSafe((err as Error).message)}\n`,
              ),
          },
          once: options.once === true,
          lease: {
            wait: options.wait === true,
            waiting: (id, holder) =>
              io.stderr.write(`watch: ${id}: waiting for the lease held by ${holder}\n`),
          },
          signal: io.signal,
        });
      } finally {
        await connection.close();
      }
      return io.signal.aborted ? EXIT.cancelled : EXIT.ok;
    } finally {
      await store.close();
    }
  },
};

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

async function defineAll(
  store: Store,
  plan: WatchPlan,
  options: WatchCommandOptions,
  env: NodeJS.ProcessEnv,
  key: Buffer,
): Promise<Subscription[]> {
  const out: Subscription[] = [];
  for (const target of plan.targets) {
    const secret = target.kind === "webhook" ? env["ENTRA_WEBHOOK_SECRET"] : undefined;
    out.push(
      await defineSubscription(store, {
        types: plan.types,
        filter: plan.filter,
        target,
        ...(secret ? { secret } : {}),
        key,
        emitInitial: options.emitInitial === true,
        allowInsecureHttp: plan.allowInsecureHttp,
      }),
    );
  }
  return out;
}

function sinkFor(subscription: Subscription, plan: WatchPlan, key: Buffer, io: CommandIO): Sink {
  const target = subscription.target;
  if (target.kind === "file") return fileSink(target.path);
  if (target.kind === "webhook") {
    return webhookSink({
      url: openTargetUrl(subscription, key),
      secret: openSecret(subscription, key),
      timeoutMs: plan.webhookTimeoutMs,
      allowInsecureHttp: plan.allowInsecureHttp,
    });
  }
  return streamSink(io.stdout);
}

async function listSubscriptions(store: Store, io: CommandIO): Promise<number> {
  for (const record of await store.subscriptions.list()) {
    const { sealedSecret: _secret, sealedUrl: _url, ...shown } = record.data as unknown as Subscription;
    const position = await store.outbox.position(consumerName(record.id));
    const deadLetters = (await store.subscriptions.deadLetters(record.id)).length;
    io.stdout.write(`${JSON.stringify({ ...shown, position, deadLetters })}\n`);
  }
  return EXIT.ok;
}

/** Only on explicit request: the receiver needs the secret to verify signatures. */
function showSecrets(subscriptions: Subscription[], key: Buffer, io: CommandIO): number {
  for (const s of subscriptions) {
    if (s.sealedSecret) io.stdout.write(`${s.id}\t${openSecret(s, key)}\n`);
  }
  return EXIT.ok;
}

async function replay(
  store: Store,
  subscriptions: Subscription[],
  plan: WatchPlan,
  key: Buffer,
  options: WatchCommandOptions,
  io: CommandIO,
): Promise<number> {
  // Replaying delivers too: not while a running watcher delivers the same subscription.
  const leases = await holdLeases(
    store,
    subscriptions.map((s) => s.id),
    { wait: options.wait === true, signal: io.signal },
  );
  try {
    return await replayAll(store, subscriptions, plan, key, io);
  } finally {
    await leases.release();
  }
}

async function replayAll(
  store: Store,
  subscriptions: Subscription[],
  plan: WatchPlan,
  key: Buffer,
  io: CommandIO,
): Promise<number> {
  let failed = 0;
  for (const subscription of subscriptions) {
    const sink = sinkFor(subscription, plan, key, io);
    try {
      await sink.open(Number.MAX_SAFE_INTEGER);
      const delivery = new SubscriptionDelivery({
        store,
        subscription,
        sink,
        policy: { retry: plan.retry, deadLetterAfterMs: plan.deadLetterAfterMs },
        report: { problem: (id, message) => io.stderr.write(`watch: ${id}: ${terminalSafe(message)}\n`) },
      });
      const result = await delivery.replayDeadLetters(io.signal);
      io.stderr.write(
        `watch: ${subscription.id}: replayed ${result.replayed}, still dead-lettered ${result.failed}\n`,
      );
      failed += result.failed;
    } finally {
      await sink.close();
    }
  }
  return failed > 0 ? EXIT.network : EXIT.ok;
}
