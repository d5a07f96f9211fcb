import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { createError } from "../../errors.ts";
import type { RunRecord } from "../../store/types.ts";
import { syncUser } from "../../sync/one-user.ts";
import { parseKinds } from "../../sync/options.ts";
import type { ServiceContext } from "../app.ts";
import { type ApiCall, recordApiCall } from "../audit.ts";
import type { JobRecord } from "../jobs.ts";
import { route } from "../route.ts";
import { ConnectionParams } from "./connections.ts";

const RunView = z.object({
  runId: z.string(),
  status: z.enum(["queued", "running", "succeeded", "failed", "cancelled", "interrupted"]),
  full: z.boolean().optional(),
  queuedAt: z.string().optional(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  /** Per stream while running: phase, objects and changes so far. */
  progress: z.record(z.string(), z.unknown()).optional(),
  /** The store's record of the run: kind, per-stream figures, errors. */
  run: z.record(z.string(), z.unknown()).optional(),
  error: z.object({ code: z.string(), message: z.string(), fix: z.string().optional() }).optional(),
});
type RunView = z.infer<typeof RunView>;

function fromJob(job: JobRecord): RunView {
  const run = job.result?.["run"] as Record<string, unknown> | undefined;
  return {
    runId: job.id,
    status: job.status,
    full: job.input["full"] === true,
    queuedAt: job.queuedAt,
    ...(job.startedAt ? { startedAt: job.startedAt } : {}),
    ...(job.endedAt ? { finishedAt: job.endedAt } : {}),
    ...(job.progress ? { progress: job.progress } : {}),
    ...(run ? { run } : {}),
    ...(job.error
      ? {
          error: {
            code: job.error.code,
            message: job.error.message,
            ...(job.error.fix ? { fix: job.error.fix } : {}),
          },
        }
      : {}),
  };
}

function fromRecord(run: RunRecord): RunView {
  return {
    runId: run.id,
    status: run.status,
    full: run.kind === "full",
    startedAt: run.startedAt,
    ...(run.finishedAt ? { finishedAt: run.finishedAt } : {}),
    run: run as unknown as Record<string, unknown>,
    ...(run.error ? { error: { code: "SYNC_FAILED", message: run.error } } : {}),
  };
}

/** How often a live run's figures are looked at for the event stream. */
const PROGRESS_EVERY_MS = 250;

async function* progressEvents(
  ctx: ServiceContext,
  jobId: string,
  socket: NodeJS.EventEmitter,
): AsyncGenerator<string> {
  let closed = false;
  socket.once("close", () => {
    closed = true;
  });
  let last = "";
  while (!closed) {
    const job = await ctx.jobs.get(jobId);
    if (job === undefined) return;
    const view = fromJob(job);
    if (job.status !== "queued" && job.status !== "running") {
      yield `event: end\ndata: ${JSON.stringify(view)}\n\n`;
      return;
    }
    const text = JSON.stringify(view);
    if (text !== last) {
      last = text;
      yield `event: progress\ndata: ${text}\n\n`;
    }
    await sleep(PROGRESS_EVERY_MS);
  }
}

const ChangeView = z.object({
  seq: z.number(),
  id: z.string(),
  type: z.enum(["created", "updated", "deleted", "added", "removed"]),
  kind: z.string(),
  resourceId: z.string(),
  data: z.record(z.string(), z.unknown()),
  changes: z.array(z.object({ property: z.string(), old: z.unknown(), new: z.unknown() })).optional(),
});

/** Cancels a job of the connection (a run id of another kind or connection is not found), audited. */
export async function cancelJob(
  ctx: ServiceContext,
  which: { connectionId: string; runId: string; kind: string; mapping?: string },
  audit: Omit<ApiCall, "target" | "result">,
): Promise<{ runId: string; cancelled: boolean }> {
  const connection = ctx.connections.get(which.connectionId);
  const job = await ctx.jobs.get(which.runId);
  if (
    job === undefined ||
    job.connectionId !== connection.id ||
    job.kind !== which.kind ||
    (which.mapping !== undefined && job.input["mapping"] !== which.mapping)
  ) {
    throw createError("STORE_RUN_NOT_FOUND", { run: which.runId });
  }
  const cancelled = await ctx.jobs.cancel(job.id);
  await recordApiCall(await connection.queries(), {
    ...audit,
    target: job.id,
    result: cancelled ? "succeeded" : "failed",
  });
  return { runId: job.id, cancelled };
}

const RunParams = ConnectionParams.extend({ runId: z.string().min(1).max(128) });

export function runRoutes(ctx: ServiceContext) {
  return [
    route({
      method: "POST",
      path: "/api/v1/connections/:id/sync",
      access: "operator",
      summary: "Sync now (incremental unless `full`); one sync per connection at a time",
      tags: ["sync"],
      params: ConnectionParams,
      body: z
        .object({
          full: z.boolean().optional(),
          kinds: z
            .string()
            .optional()
            .superRefine((value, issue) => {
              try {
                parseKinds(value);
              } catch (err) {
                issue.addIssue({ code: "custom", message: (err as Error).message });
              }
            }),
        })
        .strict()
        .optional(),
      status: 202,
      response: z.object({ runId: z.string(), status: z.string() }),
      handler: async ({ params, body, token, requestId, request }) => {
        const connection = ctx.connections.get(params.id);
        const { job, conflict } = await ctx.jobs.submit({
          kind: "sync",
          connectionId: connection.id,
          input: { full: body?.full === true, ...(body?.kinds ? { kinds: body.kinds } : {}) },
          singleton: true,
        });
        if (conflict)
          throw createError("SYNC_ALREADY_RUNNING", { connection: connection.id, runId: conflict.id });
        await recordApiCall(await connection.queries(), {
          action: "sync.start",
          target: job.id,
          token,
          requestId,
          ip: request.ip,
          input: body ?? {},
        });
        return { runId: job.id, status: job.status };
      },
    }),
    route({
      method: "GET",
      path: "/api/v1/connections/:id/runs",
      access: "viewer",
      summary: "Runs, newest first: those this service queued or is running, then the store's history",
      tags: ["sync"],
      params: ConnectionParams,
      query: z.object({
        limit: z.coerce.number().int().min(1).max(200).default(20),
        cursor: z.string().regex(/^\d+$/, "must be the `next` of a previous page").optional(),
      }),
      response: z.object({ items: z.array(RunView), next: z.string().nullable() }),
      handler: async ({ params, query }) => {
        const connection = ctx.connections.get(params.id);
        // Runs this service queued or runs lead the first page; the store's history follows, by number.
        const live =
          query.cursor === undefined
            ? (await ctx.jobs.list({ connectionId: connection.id, kind: "sync" })).filter(
                (j) => j.status === "queued" || j.status === "running",
              )
            : [];
        const want = Math.max(0, query.limit - live.length);
        const rows = await (await connection.queries()).runs.list({
          limit: want + 1,
          ...(query.cursor === undefined ? {} : { before: Number(query.cursor) }),
        });
        const page = rows.slice(0, want);
        const items = [...live.map(fromJob), ...page.filter((r) => r.status !== "running").map(fromRecord)];
        // The cursor is the run number the next page goes below.
        const next = rows.length > want ? String(page.at(-1)?.number ?? rows[0]!.number + 1) : null;
        return { items, next };
      },
    }),
    route({
      method: "GET",
      path: "/api/v1/connections/:id/runs/:runId",
      access: "viewer",
      summary: "One run: status, live progress while running, figures when done",
      tags: ["sync"],
      params: RunParams,
      response: RunView,
      handler: async ({ params }) => {
        const connection = ctx.connections.get(params.id);
        const job = await ctx.jobs.get(params.runId);
        if (job && job.connectionId === connection.id) return fromJob(job);
        const run = await (await connection.queries()).runs.get(params.runId);
        if (run === undefined) throw createError("STORE_RUN_NOT_FOUND", { run: params.runId });
        return fromRecord(run);
      },
    }),
    route({
      method: "GET",
      path: "/api/v1/connections/:id/runs/:runId/events",
      access: "viewer",
      summary:
        "Live progress as server-sent events: a `progress` event whenever the figures change, then `end` with the run",
      tags: ["sync"],
      params: RunParams,
      produces: "text/event-stream",
      handler: async ({ params, reply }) => {
        const connection = ctx.connections.get(params.id);
        const job = await ctx.jobs.get(params.runId);
        if (job === undefined || job.connectionId !== connection.id) {
          throw createError("STORE_RUN_NOT_FOUND", { run: params.runId });
        }
        reply.header("cache-control", "no-store");
        return Readable.from(progressEvents(ctx, job.id, reply.raw));
      },
    }),
    route({
      method: "POST",
      path: "/api/v1/connections/:id/runs/:runId/cancel",
      access: "operator",
      summary: "Cancel a run: it stops after the page it is writing, with that page's checkpoint",
      tags: ["sync"],
      params: RunParams,
      status: 202,
      response: z.object({ runId: z.string(), cancelled: z.boolean() }),
      handler: async ({ params, token, requestId, request }) =>
        cancelJob(
          ctx,
          { connectionId: params.id, runId: params.runId, kind: "sync" },
          {
            action: "sync.cancel",
            token,
            requestId,
            ip: request.ip,
          },
        ),
    }),
    route({
      method: "POST",
      path: "/api/v1/connections/:id/users/:ref/sync",
      access: "operator",
      summary:
        "Sync one user now (object id or userPrincipalName): its properties, group memberships, licences and directory roles, in one transaction; answers the changes applied",
      tags: ["sync"],
      params: ConnectionParams.extend({ ref: z.string().min(1).max(256) }),
      response: z.object({ userId: z.string(), runId: z.string(), changes: z.array(ChangeView) }),
      handler: async ({ params, token, requestId, request }) => {
        const connection = ctx.connections.get(params.id);
        const store = await connection.queries();
        const result = await syncUser({
          client: connection.graph().graph,
          store,
          tenantId: connection.config.tenantId,
          ref: params.ref,
          ...(connection.config.properties ? { properties: connection.config.properties } : {}),
        });
        await recordApiCall(store, {
          action: "sync.user",
          target: result.userId,
          token,
          requestId,
          ip: request.ip,
          input: { ref: params.ref, changes: result.changes.length },
        });
        // What the page committed goes out to the webhooks now.
        await ctx.triggers?.wake(connection.id);
        return { userId: result.userId, runId: result.run.id, changes: result.changes };
      },
    }),
  ];
}
