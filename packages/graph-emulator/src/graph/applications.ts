/** App registrations: GET /applications and /applications/{id} (graph-behaviour.md §7). */
import { applications } from "../odata/index.ts";
import { listReply, objectReply } from "./collection.ts";
import { PERMISSIONS } from "./permissions.ts";
import type { Router } from "./router.ts";

export function registerApplicationRoutes(router: Router): void {
  router.add({
    method: "GET",
    path: "/applications",
    permissions: PERMISSIONS.appsRead,
    cost: 2,
    handler: (ctx) =>
      listReply(ctx, ctx.tenant.list("application"), { spec: applications, fragment: "applications" }),
  });
  router.add({
    method: "GET",
    path: "/applications/{id}",
    permissions: PERMISSIONS.appsRead,
    handler: (ctx) =>
      objectReply(ctx, ctx.lookup("application", ctx.params["id"] as string), {
        spec: applications,
        fragment: "applications",
      }),
  });
}
