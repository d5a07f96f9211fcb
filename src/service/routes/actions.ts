import { z } from "zod";
import { ACTIONS, describeAction, getAction } from "../../actions/registry.ts";
import { runAction } from "../../actions/runner.ts";
import { createError } from "../../errors.ts";
import { roleAllows } from "../api-tokens.ts";
import type { ServiceContext } from "../app.ts";
import { route } from "../route.ts";
import { ConnectionParams } from "./connections.ts";

const ActionView = z.object({
  name: z.string(),
  summary: z.string(),
  write: z.boolean(),
  permissions: z.array(z.string()),
  inputSchema: z.unknown(),
  outputSchema: z.unknown(),
});

const AuditView = z.object({
  seq: z.number(),
  at: z.string(),
  action: z.string(),
  target: z.string(),
  input: z.unknown(),
  result: z.string(),
  detail: z.unknown().optional(),
  requestId: z.string().optional(),
});

export function actionRoutes(ctx: ServiceContext) {
  return [
    route({
      method: "GET",
      path: "/api/v1/actions",
      access: "viewer",
      summary: "Every action with its input and output JSON Schemas",
      tags: ["actions"],
      limitedCallers: "unrelated",
      response: z.object({ items: z.array(ActionView), next: z.string().nullable() }),
      handler: () => ({
        items: ACTIONS.map((a) => describeAction(a) as z.infer<typeof ActionView>),
        next: null,
      }),
    }),
    route({
      method: "POST",
      path: "/api/v1/connections/:id/actions/:name",
      access: "operator",
      summary:
        "Run an action: reads and dry runs (the Graph requests it would send) need operator; a write for real needs admin and the connection's provisioning gate",
      tags: ["actions"],
      params: ConnectionParams.extend({ name: z.string().min(1).max(64) }),
      body: z.object({ input: z.unknown(), dryRun: z.boolean().optional() }).strict(),
      response: z.record(z.string(), z.unknown()),
      handler: async ({ params, body, token, request }) => {
        const connection = ctx.connections.get(params.id);
        const def = getAction(params.name);
        const dryRun = body.dryRun === true;
        if (def.write && !dryRun && token && !roleAllows(token.role, "admin")) {
          throw createError("API_FORBIDDEN", { token: token.name, held: token.role, needed: "admin" });
        }
        const store = await connection.queries();
        const actor = token?.name ?? "anonymous";
        const output = await runAction(
          def,
          body.input ?? {},
          {
            graph: connection.graph().graph,
            writesEnabled: connection.config.provisioning,
            // Who did it goes with every audit record the action writes.
            audit: {
              record: (entry) =>
                store.audit.record({
                  ...entry,
                  detail: {
                    ...(entry.detail as object | undefined),
                    actor,
                    requestId: request.id,
                    ip: request.ip,
                  },
                }),
            },
          },
          { dryRun },
        );
        return output as Record<string, unknown>;
      },
    }),
    route({
      method: "GET",
      path: "/api/v1/connections/:id/audit",
      access: "operator",
      summary: "The audit log of writes and dry runs, newest last, filtered by action, paged by cursor",
      tags: ["actions"],
      params: ConnectionParams,
      query: z.object({
        action: z.string().max(64).optional(),
        cursor: z.string().regex(/^\d+$/, "must be the `next` of a previous page").optional(),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      }),
      response: z.object({ items: z.array(AuditView), next: z.string().nullable() }),
      handler: async ({ params, query }) => {
        const store = await ctx.connections.get(params.id).queries();
        const entries = await store.audit.list({
          limit: query.limit + 1,
          ...(query.cursor ? { afterSeq: Number(query.cursor) } : {}),
          ...(query.action ? { action: query.action } : {}),
        });
        const page = entries.slice(0, query.limit);
        return {
          items: page as z.infer<typeof AuditView>[],
          next: entries.length > query.limit ? String(page.at(-1)!.seq) : null,
        };
      },
    }),
  ];
}
