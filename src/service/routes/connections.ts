import { z } from "zod";
import { describeSchedule } from "../../config/schedule.ts";
import type { ServiceContext } from "../app.ts";
import type { ServiceConnection } from "../connections.ts";
import { route } from "../route.ts";

export const ConnectionView = z.object({
  id: z.string(),
  name: z.string(),
  source: z.enum(["environment"]),
  tenantId: z.string(),
  clientId: z.string(),
  /** Credentials are write-only: only their kind is shown. */
  credential: z.object({ kind: z.string(), set: z.boolean() }),
  cloud: z.string(),
  provisioning: z.boolean(),
  status: z.enum(["never-synced", "syncing", "connected", "error"]),
  lastRun: z
    .object({
      runId: z.string(),
      status: z.string(),
      startedAt: z.string(),
      finishedAt: z.string().optional(),
    })
    .nullable(),
  activeRunId: z.string().nullable(),
  schedule: z.string().nullable(),
  nextRunAt: z.string().nullable(),
});

export const ConnectionParams = z.object({ id: z.string().min(1).max(128) });

async function view(ctx: ServiceContext, c: ServiceConnection): Promise<z.infer<typeof ConnectionView>> {
  const [last] = await (await c.queries()).runs.list({ limit: 1 });
  const active = await ctx.jobs.active(c.id, "sync");
  const status = active
    ? "syncing"
    : last === undefined
      ? "never-synced"
      : last.status === "succeeded" || last.status === "running"
        ? "connected"
        : "error";
  return {
    id: c.id,
    name: c.name,
    source: c.source,
    tenantId: c.config.tenantId,
    clientId: c.config.clientId,
    credential: { kind: c.config.credential.kind, set: true },
    cloud: c.config.cloud,
    provisioning: c.config.provisioning,
    status,
    lastRun: last
      ? {
          runId: last.id,
          status: last.status,
          startedAt: last.startedAt,
          ...(last.finishedAt ? { finishedAt: last.finishedAt } : {}),
        }
      : null,
    activeRunId: active?.id ?? null,
    schedule: c.schedule ? describeSchedule(c.schedule) : null,
    nextRunAt: ctx.nextRun?.(c.id)?.toISOString() ?? null,
  };
}

export function connectionRoutes(ctx: ServiceContext) {
  return [
    route({
      method: "GET",
      path: "/api/v1/connections",
      access: "viewer",
      summary: "The connections this service runs",
      tags: ["connections"],
      response: z.object({ items: z.array(ConnectionView), next: z.string().nullable() }),
      handler: async () => ({
        items: await Promise.all(ctx.connections.list().map((c) => view(ctx, c))),
        next: null,
      }),
    }),
    route({
      method: "GET",
      path: "/api/v1/connections/:id",
      access: "viewer",
      summary: "One connection with its status",
      tags: ["connections"],
      params: ConnectionParams,
      response: ConnectionView,
      handler: ({ params }) => view(ctx, ctx.connections.get(params.id)),
    }),
  ];
}
