import { API_DOCS_HEADERS, renderApiDocs } from "../api-docs.ts";
import type { ServiceContext } from "../app.ts";
import { openApiDocument } from "../openapi.ts";
import { type RouteSpec, route } from "../route.ts";
import type { FailureThrottle } from "../sign-in-throttle.ts";
import { actionRoutes } from "./actions.ts";
import { connectionRoutes } from "./connections.ts";
import { consoleRoutes } from "./console.ts";
import { healthRoutes } from "./health.ts";
import { jobRoutes } from "./jobs.ts";
import { mappingRoutes } from "./mappings.ts";
import { resourceRoutes } from "./resources.ts";
import { runRoutes } from "./runs.ts";
import { sessionRoutes } from "./session.ts";
import { subscriptionRoutes } from "./subscriptions.ts";

/** Every route the service answers, the OpenAPI document (generated from the others) included. */
export function allRoutes(ctx: ServiceContext, signInThrottle: FailureThrottle): RouteSpec[] {
  if (ctx.role === "worker") return healthRoutes(ctx);
  const routes: RouteSpec[] = [
    ...healthRoutes(ctx),
    ...connectionRoutes(ctx),
    ...runRoutes(ctx),
    ...resourceRoutes(ctx),
    ...actionRoutes(ctx),
    ...sessionRoutes(ctx, signInThrottle),
    ...consoleRoutes(),
    ...subscriptionRoutes(ctx),
    ...mappingRoutes(ctx),
    ...jobRoutes(ctx),
  ];
  let document: Record<string, unknown> | undefined;
  let page: string | undefined;
  const openApi = () => {
    document ??= openApiDocument(routes, { version: ctx.version });
    return document;
  };
  routes.push(
    route({
      method: "GET",
      path: "/api/v1/openapi.json",
      access: "public",
      summary: "This API's OpenAPI 3.1 document",
      hidden: true,
      handler: openApi,
    }),
    route({
      method: "GET",
      path: "/api/v1/docs",
      access: "public",
      summary: "This API's reference as an HTML page, rendered from the OpenAPI document",
      hidden: true,
      handler: ({ reply }) => {
        page ??= renderApiDocs(openApi());
        reply.headers(API_DOCS_HEADERS).type("text/html; charset=utf-8");
        return page;
      },
    }),
  );
  return routes;
}
