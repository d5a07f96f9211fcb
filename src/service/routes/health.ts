import { z } from "zod";
import type { ServiceContext } from "../app.ts";
import { route } from "../route.ts";

export function healthRoutes(ctx: ServiceContext) {
  return [
    route({
      method: "GET",
      path: "/healthz",
      access: "public",
      summary: "Alive",
      tags: ["operations"],
      response: z.object({ status: z.literal("ok") }),
      handler: () => ({ status: "ok" as const }),
    }),
    route({
      method: "GET",
      path: "/readyz",
      access: "public",
      summary: "Ready: every connection's store answers and the service is not stopping",
      tags: ["operations"],
      response: z.object({
        status: z.enum(["ready", "unavailable"]),
        checks: z.record(z.string(), z.string()),
      }),
      handler: async ({ reply }) => {
        const checks: Record<string, string> = { service: ctx.ready() ? "ok" : "stopping" };
        for (const c of ctx.connections.list()) {
          try {
            await (await c.queries()).runs.list({ limit: 1 });
            checks[`store:${c.id}`] = "ok";
          } catch (err) {
            checks[`store:${c.id}`] = (err as { code?: string }).code ?? "unavailable";
          }
        }
        const ok = Object.values(checks).every((v) => v === "ok");
        reply.status(ok ? 200 : 503);
        return { status: ok ? ("ready" as const) : ("unavailable" as const), checks };
      },
    }),
    route({
      method: "GET",
      path: "/metrics",
      access: "viewer",
      summary: "Prometheus metrics (open without a token when the service is configured so)",
      tags: ["operations"],
      produces: "text/plain; version=0.0.4",
      handler: async ({ reply }) => {
        reply.type(ctx.metrics.registry.contentType);
        return ctx.metrics.registry.metrics();
      },
    }),
  ];
}
