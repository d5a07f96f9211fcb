/**
 * The dead letters of a connection: jobs that failed for good (a queue's retries used up), for an
 * operator to queue again or drop. Under the connection's path, so its scope check covers them.
 */
import { z } from "zod";
import { createError } from "../../errors.ts";
import type { ServiceContext } from "../app.ts";
import { recordApiCall } from "../audit.ts";
import type { JobRecord } from "../jobs.ts";
import { route } from "../route.ts";
import { ConnectionParams } from "./connections.ts";

const FailedJobView = z.object({
  id: z.string(),
  kind: z.string(),
  connectionId: z.string(),
  /** The mapping a `mapping` job ran. */
  mapping: z.string().optional(),
  attempts: z.number().int(),
  queuedAt: z.string(),
  failedAt: z.string().optional(),
  error: z.object({ code: z.string(), message: z.string(), fix: z.string().optional() }).optional(),
});

/** What is shown of a failed job: never its input, which may carry what a delivery sends. */
function failedView(job: JobRecord): z.infer<typeof FailedJobView> {
  const mapping = job.input["mapping"];
  // A sync that ran and failed returns its store run, whose error is what the run history shows.
  const runError = (job.result?.["run"] as { error?: unknown } | undefined)?.error;
  const error =
    job.error ?? (typeof runError === "string" ? { code: "SYNC_FAILED", message: runError } : undefined);
  return {
    id: job.id,
    kind: job.kind,
    connectionId: job.connectionId,
    ...(typeof mapping === "string" ? { mapping } : {}),
    attempts: job.attempts ?? 1,
    queuedAt: job.queuedAt,
    ...(job.endedAt ? { failedAt: job.endedAt } : {}),
    ...(error
      ? {
          error: {
            code: error.code,
            message: error.message,
            ...("fix" in error && error.fix ? { fix: error.fix } : {}),
          },
        }
      : {}),
  };
}

const JobParams = ConnectionParams.extend({ jobId: z.string().min(1).max(128) });

export function jobRoutes(ctx: ServiceContext) {
  /** The connection's failed job `jobId`; another connection's is not found. */
  async function failedJob(connectionId: string, jobId: string): Promise<JobRecord> {
    const job = await ctx.jobs.get(jobId);
    if (job === undefined || job.connectionId !== connectionId || job.status !== "failed") {
      throw createError("JOB_NOT_FAILED", { connection: connectionId, id: jobId });
    }
    return job;
  }

  return [
    route({
      method: "GET",
      path: "/api/v1/connections/:id/jobs/dead",
      access: "viewer",
      summary: "Failed jobs: those whose retries ran out (sync, mapping, delivery), newest first",
      tags: ["jobs"],
      params: ConnectionParams,
      response: z.object({ items: z.array(FailedJobView) }),
      handler: async ({ params }) => {
        const connection = ctx.connections.get(params.id);
        return { items: (await ctx.jobs.failed(connection.id)).map(failedView) };
      },
    }),
    route({
      method: "POST",
      path: "/api/v1/connections/:id/jobs/dead/:jobId/retry",
      access: "operator",
      summary: "Queue a failed job again as it was first submitted; the failed one is then gone",
      tags: ["jobs"],
      params: JobParams,
      status: 202,
      response: z.object({ id: z.string(), status: z.string() }),
      handler: async ({ params, token, requestId, request }) => {
        const connection = ctx.connections.get(params.id);
        const failed = await failedJob(connection.id, params.jobId);
        const answer = await ctx.jobs.retry(failed.id);
        if (answer === undefined)
          throw createError("JOB_NOT_FAILED", { connection: connection.id, id: failed.id });
        if (answer.conflict) {
          throw createError("JOB_ALREADY_QUEUED", {
            kind: failed.kind,
            connection: connection.id,
            id: answer.conflict.id,
          });
        }
        await recordApiCall(await connection.queries(), {
          action: "job.retry",
          target: failed.id,
          token,
          requestId,
          ip: request.ip,
          input: { kind: failed.kind, job: answer.job.id },
        });
        return { id: answer.job.id, status: answer.job.status };
      },
    }),
    route({
      method: "DELETE",
      path: "/api/v1/connections/:id/jobs/dead/:jobId",
      access: "operator",
      summary: "Discard a failed job",
      tags: ["jobs"],
      params: JobParams,
      status: 204,
      handler: async ({ params, token, requestId, request }) => {
        const connection = ctx.connections.get(params.id);
        const failed = await failedJob(connection.id, params.jobId);
        if (!(await ctx.jobs.discard(failed.id))) {
          throw createError("JOB_NOT_FAILED", { connection: connection.id, id: failed.id });
        }
        await recordApiCall(await connection.queries(), {
          action: "job.discard",
          target: failed.id,
          token,
          requestId,
          ip: request.ip,
          input: { kind: failed.kind },
        });
      },
    }),
  ];
}
