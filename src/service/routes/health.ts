import { z } from "zod";
import { type Caller, mayUseConnection } from "../api-tokens.ts";
import type { ServiceContext } from "../app.ts";
import { route } from "../route.ts";

const CONNECTION_LABEL = /[{,]connection="((?:[^"\\]|\\.)*)"/;

/** The samples of the caller's connections and those of no connection (HTTP, process). */
function onlyConnections(text: string, caller: Caller): string {
  return text
    .split("\n")
    .filter((line) => {
      const label = CONNECTION_LABEL.exec(line)?.[1];
      return label === undefined || mayUseConnection(caller, JSON.parse(`"${label}"`) as string);
    })
    .join("\n");
}

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
        // Anyone may ask, so the answer names no connection: the failing ones go to the log.
        const failed: string[] = [];
        for (const c of ctx.connections.list()) {
          try {
            await (await c.queries()).runs.list({ limit: 1 });
          } catch (err) {
            failed.push((err as { code?: string }).code ?? "unavailable");
            ctx.logger.warn({ err, connection: c.id }, "readiness: store unavailable");
          }
        }
        checks["stores"] =
          failed.length === 0 ? "ok" : `${failed.length} unavailable (${[...new Set(failed)].join(", ")})`;
        const ok = Object.values(checks).every((v) => v === "ok");
        reply.status(ok ? 200 : 503);
        return { status: ok ? ("ready" as const) : ("unavailable" as const), checks };
      },
    }),
    route({
      method: "GET",
      path: "/metrics",
      access: "viewer",
      summary:
        "Prometheus metrics (open without a token when the service is configured so); a caller limited to some connections sees only theirs",
      tags: ["operations"],
      limitedCallers: "filtered",
      produces: "text/plain; version=0.0.4",
      handler: async ({ reply, token }) => {
        reply.type(ctx.metrics.registry.contentType);
        const text = await ctx.metrics.registry.metrics();
        return token?.connections === undefined ? text : onlyConnections(text, token);
      },
    }),
  ];
}
