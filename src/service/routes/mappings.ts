/**
 * A connection's mappings over the API: definitions (admin; secrets write-only), runs as `mapping`
 * jobs (operator), their history and the per-record log (viewer). A dry run and a one-user run are
 * waited for, so the answer carries the plan or the steps.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { createError } from "../../errors.ts";
import type { MappingRun, Store } from "../../store/types.ts";
import type { ServiceContext } from "../app.ts";
import { recordApiCall } from "../audit.ts";
import type { JobRecord } from "../jobs.ts";
import {
  definitionView,
  findDefinition,
  MAPPING_JOB,
  type MappingJobInput,
  mappingSettings,
  type SaveKind,
  saveMapping,
} from "../mappings.ts";
import { type RouteInput, route } from "../route.ts";
import { ConnectionParams } from "./connections.ts";
import { cancelJob } from "./runs.ts";

type AuditOf = Pick<RouteInput<unknown, unknown, unknown>, "token" | "requestId" | "request">;

const MappingParams = ConnectionParams.extend({ name: z.string().min(1).max(128) });
const RunParams = MappingParams.extend({ run: z.string().min(1).max(128) });

const RunView = z.object({
  /** The job's id while the service knows it, else the store's run id. */
  runId: z.string(),
  /** The store's run number (`logs?run=`), once the run has started writing. */
  number: z.number().optional(),
  status: z.enum(["queued", "running", "succeeded", "failed", "cancelled", "quarantined"]),
  kind: z.enum(["full", "incremental", "user"]).optional(),
  dryRun: z.boolean(),
  trigger: z.string().optional(),
  queuedAt: z.string().optional(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  /** Records per `action.result`, e.g. `create.ok`, `update.failed`, `disable.held`. */
  counts: z.record(z.string(), z.number()),
  error: z
    .object({ code: z.string().optional(), message: z.string(), fix: z.string().optional() })
    .optional(),
  /** The job's report: failures, held actions, quarantine; a dry run's plan; one user's steps. */
  report: z.record(z.string(), z.unknown()).optional(),
});
type RunView = z.infer<typeof RunView>;

const Quarantine = z.object({ reason: z.string(), since: z.string(), until: z.string(), count: z.number() });

const MappingView = z.object({
  name: z.string(),
  /** As given, secrets left out; `${NAME}` references shown as written. */
  document: z.record(z.string(), z.unknown()),
  /** Secrets are write-only: whether each is set and when it last changed. */
  secrets: z.record(z.string(), z.object({ set: z.boolean(), changedAt: z.string() })),
  target: z.string(),
  schedule: z.string().nullable(),
  afterSync: z.boolean(),
  nextRunAt: z.string().nullable(),
  quarantine: Quarantine.nullable(),
  lastRun: RunView.nullable(),
  activeRunId: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const LogEntry = z.object({
  seq: z.number(),
  runId: z.string(),
  userId: z.string(),
  action: z.enum(["create", "update", "disable", "delete", "skip"]),
  result: z.enum(["ok", "failed", "held"]),
  reason: z.string(),
  targetId: z.string().optional(),
  changes: z.array(z.object({ path: z.string(), old: z.unknown(), new: z.unknown() })).optional(),
  detail: z.string().optional(),
  at: z.string(),
});

const Page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), next: z.string().nullable() });

/** A definition: YAML or JSON text (a JSON string, or a body sent as application/yaml), or a JSON object. */
const Definition = z.union([
  z
    .string()
    .min(1)
    .max(256 * 1024),
  z.record(z.string(), z.unknown()),
]);

const RunInput = z
  .object({
    mode: z.enum(["incremental", "full"]).default("incremental"),
    dryRun: z.boolean().default(false),
    /** One user (object id or userPrincipalName), provisioned now with each step reported. */
    user: z.string().min(1).max(256).optional(),
    /** Carry out disables and deletes beyond the deletion threshold. */
    allowDeletes: z.boolean().default(false),
  })
  .strict()
  .superRefine((input, ctx) => {
    if (input.user && input.mode === "full")
      ctx.addIssue({ code: "custom", path: ["mode"], message: "a run for one user takes no full mode" });
  });

/** How long a dry run or a one-user run is waited for before the answer is the queued job. */
const WAIT_MS = 60_000;
const POLL_MS = 50;

const isLive = (job: JobRecord) => job.status === "queued" || job.status === "running";

function fromJob(job: JobRecord): RunView {
  const input = job.input as unknown as MappingJobInput;
  const result = job.result ?? {};
  const run = result["run"] as MappingRun | undefined;
  const status = run?.status === "quarantined" ? "quarantined" : job.status;
  const { run: _run, counts, status: _status, ...report } = result;
  return {
    runId: job.id,
    ...(run ? { number: run.number } : {}),
    status,
    ...(typeof result["kind"] === "string" ? { kind: result["kind"] as RunView["kind"] } : {}),
    dryRun: input.dryRun === true,
    ...(input.trigger ? { trigger: input.trigger } : {}),
    queuedAt: job.queuedAt,
    ...(job.startedAt ? { startedAt: job.startedAt } : {}),
    ...(job.endedAt ? { finishedAt: job.endedAt } : {}),
    counts: (counts ?? {}) as Record<string, number>,
    ...(job.error
      ? {
          error: {
            code: job.error.code,
            message: job.error.message,
            ...(job.error.fix ? { fix: job.error.fix } : {}),
          },
        }
      : {}),
    ...(job.result ? { report } : {}),
  };
}

function fromRun(run: MappingRun): RunView {
  return {
    runId: run.id,
    number: run.number,
    status: run.status,
    kind: run.kind,
    dryRun: false,
    startedAt: run.startedAt,
    ...(run.finishedAt ? { finishedAt: run.finishedAt } : {}),
    counts: run.counts,
    ...(run.error ? { error: { message: run.error } } : {}),
  };
}

export function mappingRoutes(ctx: ServiceContext) {
  async function jobsOf(connectionId: string, name: string): Promise<JobRecord[]> {
    return (await ctx.jobs.list({ connectionId, kind: MAPPING_JOB })).filter(
      (j) => j.input["mapping"] === name,
    );
  }

  async function view(connectionId: string, store: Store, name: string) {
    const definition = await findDefinition(ctx.connections.get(connectionId), store, name);
    const { document, secrets } = definitionView(definition);
    const { schedule, afterSync } = mappingSettings(definition);
    const jobs = await jobsOf(connectionId, name);
    const active = jobs.find((j) => isLive(j) && j.input["dryRun"] !== true);
    const [last] = await store.mappings.runs(name, { limit: 1 });
    const quarantine = await store.mappings.quarantine(name);
    const next = ctx.mappingSchedules?.next(connectionId, name);
    const target = document["target"] as { type?: unknown; url?: unknown; path?: unknown } | undefined;
    return {
      name,
      document,
      secrets,
      target: [target?.type, target?.url ?? target?.path].filter((p) => typeof p === "string").join(" "),
      schedule: typeof document["schedule"] === "string" && schedule ? document["schedule"] : null,
      afterSync,
      nextRunAt: next ? next.toISOString() : null,
      quarantine: quarantine ? { ...quarantine, until: new Date(quarantine.until).toISOString() } : null,
      lastRun: last ? fromRun(last) : null,
      activeRunId: active?.id ?? null,
      createdAt: definition.createdAt,
      updatedAt: definition.updatedAt,
    };
  }

  async function save(
    kind: SaveKind,
    input: { params: { id: string; name?: string }; body: unknown } & AuditOf,
  ) {
    const connection = ctx.connections.get(input.params.id);
    const { mapping } = await saveMapping(connection, {
      kind,
      ...(input.params.name ? { name: input.params.name } : {}),
      body: input.body,
    });
    const store = await connection.queries();
    await recordApiCall(store, {
      action: `mapping.${kind}`,
      target: mapping.name,
      token: input.token,
      requestId: input.requestId,
      ip: input.request.ip,
      input: { target: mapping.target.type },
    });
    await ctx.mappingSchedules?.refresh(connection.id);
    return view(connection.id, store, mapping.name);
  }

  /** Queues a run; a dry run or a one-user run is waited for, so its plan or steps are the answer. */
  async function submit(connectionId: string, name: string, input: MappingJobInput): Promise<RunView> {
    const { job, conflict } = await ctx.jobs.submit({
      kind: MAPPING_JOB,
      connectionId,
      input: input as unknown as Record<string, unknown>,
      // A dry run writes nothing, so it may run beside a real one.
      singleton: input.dryRun !== true,
      singletonKey: name,
    });
    if (conflict)
      throw createError("MAPPING_ALREADY_RUNNING", {
        connection: connectionId,
        mapping: name,
        runId: conflict.id,
      });
    if (input.dryRun !== true && input.user === undefined) return fromJob(job);
    const until = Date.now() + WAIT_MS;
    let current = job;
    while (isLive(current) && Date.now() < until) {
      await sleep(POLL_MS);
      current = (await ctx.jobs.get(job.id)) ?? current;
    }
    return fromJob(current);
  }

  async function runOf(connectionId: string, store: Store, name: string, ref: string): Promise<RunView> {
    const job = await ctx.jobs.get(ref);
    if (job && job.connectionId === connectionId && job.input["mapping"] === name) return fromJob(job);
    const run = await store.mappings.run(ref);
    if (run === undefined || run.mapping !== name) throw createError("STORE_RUN_NOT_FOUND", { run: ref });
    return fromRun(run);
  }

  return [
    route({
      method: "GET",
      path: "/api/v1/connections/:id/mappings",
      access: "viewer",
      summary: "The connection's mappings, with their last run, next scheduled run and quarantine",
      tags: ["mappings"],
      params: ConnectionParams,
      response: Page(MappingView),
      handler: async ({ params }) => {
        const store = await ctx.connections.get(params.id).queries();
        const items = [];
        for (const d of await store.mappings.definitions()) items.push(await view(params.id, store, d.name));
        return { items, next: null };
      },
    }),
    route({
      method: "POST",
      path: "/api/v1/connections/:id/mappings",
      access: "admin",
      summary:
        "Define a mapping (YAML or JSON, as `mapping run` takes it, plus `schedule`, `timeZone` and `afterSync`); secrets are sealed and never answered back; an invalid one is a 400 naming the line and field",
      tags: ["mappings"],
      params: ConnectionParams,
      body: Definition,
      status: 201,
      response: MappingView,
      handler: ({ params, body, token, requestId, request }) =>
        save("create", { params, body, token, requestId, request }),
    }),
    route({
      method: "GET",
      path: "/api/v1/connections/:id/mappings/:name",
      access: "viewer",
      summary: "One mapping: its definition (secrets only as set, and when), last run, quarantine",
      tags: ["mappings"],
      params: MappingParams,
      response: MappingView,
      handler: async ({ params }) =>
        view(params.id, await ctx.connections.get(params.id).queries(), params.name),
    }),
    route({
      method: "PUT",
      path: "/api/v1/connections/:id/mappings/:name",
      access: "admin",
      summary:
        "Replace a mapping's definition; a secret left out keeps the one held, a secret given as null is removed",
      tags: ["mappings"],
      params: MappingParams,
      body: Definition,
      response: MappingView,
      handler: ({ params, body, token, requestId, request }) =>
        save("replace", { params, body, token, requestId, request }),
    }),
    route({
      method: "PATCH",
      path: "/api/v1/connections/:id/mappings/:name",
      access: "admin",
      summary: "Change part of a mapping's definition (a JSON merge patch: null removes a key)",
      tags: ["mappings"],
      params: MappingParams,
      body: z.record(z.string(), z.unknown()),
      response: MappingView,
      handler: ({ params, body, token, requestId, request }) =>
        save("patch", { params, body, token, requestId, request }),
    }),
    route({
      method: "DELETE",
      path: "/api/v1/connections/:id/mappings/:name",
      access: "admin",
      summary:
        "Remove a mapping's definition; its run history, log and links stay, so one defined again under the name carries on",
      tags: ["mappings"],
      params: MappingParams,
      response: z.object({ name: z.string(), removed: z.boolean() }),
      handler: async ({ params, token, requestId, request }) => {
        const connection = ctx.connections.get(params.id);
        const store = await connection.queries();
        await findDefinition(connection, store, params.name);
        const removed = await store.mappings.removeDefinition(params.name);
        await recordApiCall(store, {
          action: "mapping.delete",
          target: params.name,
          token,
          requestId,
          ip: request.ip,
        });
        await ctx.mappingSchedules?.refresh(connection.id);
        return { name: params.name, removed };
      },
    }),
    route({
      method: "POST",
      path: "/api/v1/connections/:id/mappings/:name/runs",
      access: "operator",
      summary:
        "Sync now: an incremental or full run, one at a time per mapping. A dry run (the plan, nothing written) and a one-user run (each step) are waited for and answer their report",
      tags: ["mappings"],
      params: MappingParams,
      body: RunInput.optional(),
      status: 202,
      response: RunView,
      handler: async ({ params, body, token, requestId, request }) => {
        const connection = ctx.connections.get(params.id);
        const store = await connection.queries();
        await findDefinition(connection, store, params.name);
        const input = body ?? RunInput.parse({});
        const run = await submit(connection.id, params.name, {
          mapping: params.name,
          mode: input.mode,
          dryRun: input.dryRun,
          ...(input.user ? { user: input.user } : {}),
          allowDeletes: input.allowDeletes,
          trigger: "api",
        });
        if (!input.dryRun) {
          await recordApiCall(store, {
            action: "mapping.run",
            target: params.name,
            token,
            requestId,
            ip: request.ip,
            input,
          });
        }
        return run;
      },
    }),
    route({
      method: "POST",
      path: "/api/v1/connections/:id/mappings/:name/allow-deletes",
      access: "operator",
      summary:
        "Carry out the disables and deletes the deletion threshold held: an incremental run allowed past it",
      tags: ["mappings"],
      params: MappingParams,
      status: 202,
      response: RunView,
      handler: async ({ params, token, requestId, request }) => {
        const connection = ctx.connections.get(params.id);
        const store = await connection.queries();
        await findDefinition(connection, store, params.name);
        const run = await submit(connection.id, params.name, {
          mapping: params.name,
          mode: "incremental",
          allowDeletes: true,
          trigger: "api",
        });
        await recordApiCall(store, {
          action: "mapping.allow-deletes",
          target: params.name,
          token,
          requestId,
          ip: request.ip,
        });
        return run;
      },
    }),
    route({
      method: "GET",
      path: "/api/v1/connections/:id/mappings/:name/runs",
      access: "viewer",
      summary: "Runs, newest first: those queued or running here, then the store's history",
      tags: ["mappings"],
      params: MappingParams,
      query: z.object({ limit: z.coerce.number().int().min(1).max(200).default(20) }),
      response: Page(RunView),
      handler: async ({ params, query }) => {
        const connection = ctx.connections.get(params.id);
        const store = await connection.queries();
        await findDefinition(connection, store, params.name);
        const live = (await jobsOf(connection.id, params.name)).filter(isLive).map(fromJob);
        const history = (await store.mappings.runs(params.name, { limit: query.limit }))
          .filter((r) => r.status !== "running")
          .map(fromRun);
        return { items: [...live, ...history].slice(0, query.limit), next: null };
      },
    }),
    route({
      method: "GET",
      path: "/api/v1/connections/:id/mappings/:name/runs/:run",
      access: "viewer",
      summary: "One run (its job id, store id or number): status, counts, error, and the report once done",
      tags: ["mappings"],
      params: RunParams,
      response: RunView,
      handler: async ({ params }) => {
        const connection = ctx.connections.get(params.id);
        return runOf(connection.id, await connection.queries(), params.name, params.run);
      },
    }),
    route({
      method: "POST",
      path: "/api/v1/connections/:id/mappings/:name/runs/:run/cancel",
      access: "operator",
      summary: "Cancel a queued or running run: it stops after the batch it is writing",
      tags: ["mappings"],
      params: RunParams,
      status: 202,
      response: z.object({ runId: z.string(), cancelled: z.boolean() }),
      handler: ({ params, token, requestId, request }) =>
        cancelJob(
          ctx,
          { connectionId: params.id, runId: params.run, kind: MAPPING_JOB, mapping: params.name },
          { action: "mapping.cancel", token, requestId, ip: request.ip },
        ),
    }),
    route({
      method: "GET",
      path: "/api/v1/connections/:id/mappings/:name/logs",
      access: "viewer",
      summary:
        "The per-record log, oldest first: action, target id, attributes changed old → new, result, the target's answer; filtered by run, user and result, paged by `cursor`",
      tags: ["mappings"],
      params: MappingParams,
      query: z.object({
        /** A run's store id or number. */
        run: z.string().min(1).max(128).optional(),
        /** Object id or userPrincipalName. */
        user: z.string().min(1).max(256).optional(),
        status: z.enum(["ok", "failed", "held"]).optional(),
        limit: z.coerce.number().int().min(1).max(1000).default(100),
        cursor: z.string().regex(/^\d+$/, "must be the `next` of a previous page").optional(),
      }),
      response: Page(LogEntry),
      handler: async ({ params, query }) => {
        const connection = ctx.connections.get(params.id);
        const store = await connection.queries();
        await findDefinition(connection, store, params.name);
        let runId: string | undefined;
        if (query.run !== undefined) {
          const job = await ctx.jobs.get(query.run);
          const run = await store.mappings.run(
            String((job?.result?.["run"] as MappingRun | undefined)?.id ?? query.run),
          );
          if (run === undefined || run.mapping !== params.name)
            throw createError("STORE_RUN_NOT_FOUND", { run: query.run });
          runId = run.id;
        }
        const userId =
          query.user === undefined
            ? undefined
            : ((await store.query.resolve(query.user, "user"))?.id ?? query.user);
        const rows = await store.mappings.log(params.name, {
          ...(runId ? { runId } : {}),
          ...(userId ? { userId } : {}),
          ...(query.status ? { result: query.status } : {}),
          ...(query.cursor ? { afterSeq: Number(query.cursor) } : {}),
          limit: query.limit + 1,
        });
        const items = rows.slice(0, query.limit);
        return { items, next: rows.length > query.limit ? String(items.at(-1)!.seq) : null };
      },
    }),
  ];
}
