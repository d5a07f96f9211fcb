import { z } from "zod";
import { describeSchedule } from "../../config/schedule.ts";
import { type ConnectorError, toConnectorError } from "../../errors.ts";
import { mayUseConnection } from "../api-tokens.ts";
import type { ServiceContext } from "../app.ts";
import { CheckView, CreateConnectionInput, UpdateConnectionInput } from "../connection-admin.ts";
import { credentialType, type ServiceConnection } from "../connections.ts";
import { route } from "../route.ts";

export const ConnectionView = z.object({
  id: z.string(),
  name: z.string(),
  source: z.enum(["environment", "managed"]),
  tenantId: z.string(),
  clientId: z.string(),
  /** Credentials are write-only: only their type, whether one is set and when it last changed. */
  credential: z.object({
    type: z.enum(["secret", "certificate", "token", "delegated"]),
    set: z.boolean(),
    changedAt: z.string().nullable(),
  }),
  cloud: z.string(),
  provisioning: z.boolean(),
  options: z.object({
    kinds: z.string().nullable(),
    select: z.string().nullable(),
    provisioning: z.boolean(),
    schedule: z.string().nullable(),
    timeZone: z.string(),
    skipOnPremGroups: z.boolean(),
  }),
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

/** What the API (and `connection list --json`) shows of a connection: never a credential. */
export async function connectionView(
  c: ServiceConnection,
  live: { activeRunId?: string | undefined; nextRunAt?: Date | undefined } = {},
): Promise<z.infer<typeof ConnectionView>> {
  const [last] = await (await c.queries()).runs.list({ limit: 1 });
  const status = live.activeRunId
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
    credential: {
      type: credentialType(c.config),
      set: await c.credentialSet(),
      changedAt: c.credentialChangedAt,
    },
    cloud: c.config.cloud,
    provisioning: c.config.provisioning,
    options: {
      kinds: c.kinds ?? null,
      select: c.select ?? null,
      provisioning: c.config.provisioning,
      schedule: c.schedule
        ? c.schedule.kind === "cron"
          ? c.schedule.expression
          : `every ${c.schedule.everyMs / 1000}s`
        : null,
      timeZone: c.timeZone,
      skipOnPremGroups: c.config.skipAdGroups,
    },
    status,
    lastRun: last
      ? {
          runId: last.id,
          status: last.status,
          startedAt: last.startedAt,
          ...(last.finishedAt ? { finishedAt: last.finishedAt } : {}),
        }
      : null,
    activeRunId: live.activeRunId ?? null,
    schedule: c.schedule ? describeSchedule(c.schedule) : null,
    nextRunAt: live.nextRunAt?.toISOString() ?? null,
  };
}

async function view(ctx: ServiceContext, c: ServiceConnection): Promise<z.infer<typeof ConnectionView>> {
  return connectionView(c, {
    activeRunId: (await ctx.jobs.active(c.id, "sync"))?.id,
    nextRunAt: ctx.nextRun?.(c.id),
  });
}

export function connectionRoutes(ctx: ServiceContext) {
  return [
    route({
      method: "GET",
      path: "/api/v1/connections",
      access: "viewer",
      summary: "The connections this service runs (those the caller may use)",
      tags: ["connections"],
      limitedCallers: "filtered",
      response: z.object({ items: z.array(ConnectionView), next: z.string().nullable() }),
      handler: async ({ token }) => ({
        items: await Promise.all(
          ctx.connections
            .list()
            .filter((c) => mayUseConnection(token, c.id))
            .map((c) => view(ctx, c)),
        ),
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
    route({
      method: "POST",
      path: "/api/v1/connections",
      access: "admin",
      summary: "Add a connection; its test runs at once and is reported (a failing test does not prevent it)",
      tags: ["connections"],
      body: CreateConnectionInput,
      status: 201,
      response: z.object({ connection: ConnectionView, check: CheckView }),
      handler: async ({ body, token }) => {
        const { connection, check } = await ctx.admin.create(body, actorOf(token));
        return { connection: await view(ctx, connection), check };
      },
    }),
    route({
      method: "PATCH",
      path: "/api/v1/connections/:id",
      access: "admin",
      summary:
        "Change a managed connection; the test runs again when the credential, tenant, app or cloud changed",
      tags: ["connections"],
      params: ConnectionParams,
      body: UpdateConnectionInput,
      response: z.object({ connection: ConnectionView, check: CheckView.optional() }),
      handler: async ({ params, body, token }) => {
        const { connection, check } = await ctx.admin.update(params.id, body, actorOf(token));
        return { connection: await view(ctx, connection), ...(check ? { check } : {}) };
      },
    }),
    route({
      method: "DELETE",
      path: "/api/v1/connections/:id",
      access: "admin",
      summary:
        "Remove a managed connection with its store (a PostgreSQL store: its schema is dropped) and cached tokens (not while it syncs)",
      tags: ["connections"],
      params: ConnectionParams,
      status: 204,
      handler: async ({ params, token, reply }) => {
        await ctx.admin.remove(params.id, actorOf(token));
        return reply.status(204).send();
      },
    }),
    route({
      method: "GET",
      path: "/api/v1/connections/:id/changes",
      access: "admin",
      summary:
        "Who created, changed, re-credentialed or signed in a connection, newest first, paged by cursor (never a credential's value)",
      tags: ["connections"],
      params: ConnectionParams,
      query: z.object({
        limit: z.coerce.number().int().min(1).max(200).default(50),
        cursor: z.string().regex(/^\d+$/, "must be the `next` of a previous page").optional(),
      }),
      response: z.object({
        items: z.array(
          z.object({
            at: z.string(),
            action: z.enum(["create", "update", "delete", "credential", "sign-in"]),
            actor: z.string(),
            detail: z.record(z.string(), z.unknown()),
          }),
        ),
        next: z.string().nullable(),
      }),
      handler: async ({ params, query }) => {
        const { id } = ctx.connections.get(params.id);
        // A connection's changes are a few rows, not worth a paged query.
        const below = query.cursor === undefined ? Number.POSITIVE_INFINITY : Number(query.cursor);
        const rows = (await ctx.state.listAudit(id)).filter((e) => e.seq < below);
        const page = rows.slice(0, query.limit);
        return {
          items: page.map(({ at, action, actor, detail }) => ({ at, action, actor, detail })),
          // The cursor is the sequence number the next page goes below.
          next: rows.length > query.limit ? String(page.at(-1)!.seq) : null,
        };
      },
    }),
    route({
      method: "POST",
      path: "/api/v1/connections/:id/test",
      access: "operator",
      summary: "Test a connection: sign in afresh, read what the token grants, list what to add",
      tags: ["connections"],
      params: ConnectionParams,
      response: CheckView,
      handler: ({ params }) => ctx.admin.test(params.id),
    }),
    route({
      method: "POST",
      path: "/api/v1/connections/:id/oauth/start",
      access: "admin",
      summary: "Start the browser sign-in (Sign in with Microsoft) of a delegated connection",
      tags: ["connections"],
      params: ConnectionParams,
      response: z.object({ authorizeUrl: z.string() }),
      handler: ({ params, token }) => ctx.admin.startSignIn(params.id, actorOf(token)),
    }),
    route({
      method: "GET",
      path: "/oauth/callback",
      access: "public",
      summary: "Where the sign-in page sends the browser back: stores the sign-in, then opens the console",
      tags: ["connections"],
      query: z.object({
        code: z.string().optional(),
        state: z.string().optional(),
        error: z.string().optional(),
        error_description: z.string().optional(),
      }),
      produces: "text/html",
      handler: async ({ query, reply }) => {
        try {
          const { connectionId } = await ctx.admin.finishSignIn(query);
          return reply.redirect(`/console/connections/${encodeURIComponent(connectionId)}`, 302);
        } catch (err) {
          // A browser is at the other end: whatever failed, it gets a page, not JSON.
          const e = toConnectorError(err);
          if (e.code === "INTERNAL") ctx.logger.error({ err }, "browser sign-in failed");
          return reply.status(e.status).type("text/html; charset=utf-8").send(signInPage(e));
        }
      },
    }),
  ];
}

const actorOf = (token: { name: string } | undefined) => token?.name ?? "anonymous";

const html = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The small page a failed browser sign-in shows: the cause, the fix, and the admin-consent link if consent is missing. */
function signInPage(err: ConnectorError): string {
  const consent = typeof err.params["consentUrl"] === "string" ? err.params["consentUrl"] : undefined;
  return [
    '<!doctype html><meta charset="utf-8"><title>Sign-in failed · entra-connector</title>',
    `<h1>Sign-in failed</h1><p>${html(err.message)}</p>`,
    err.fix ? `<p>${html(err.fix)}</p>` : "",
    consent ? `<p><a href="${html(consent)}">Grant admin consent</a></p>` : "",
    `<p><code>${html(err.code)}</code></p>`,
  ].join("");
}
