/** App registrations: GET /applications and /applications/{id} (docs/graph.md#roles-and-apps). */
import { applications } from "../odata/index.ts";
import { objectReply } from "./collection.ts";
import { graphErrors } from "./errors.ts";
import { PERMISSIONS } from "./permissions.ts";
import { registerReadRoutes } from "./read-routes.ts";
import type { Router } from "./router.ts";
import { appIdFromKey } from "./service-principals.ts";

export function registerApplicationRoutes(router: Router): void {
  registerReadRoutes(router, {
    path: "/applications",
    kind: "application",
    spec: applications,
    permissions: PERMISSIONS.appsRead,
    listCost: 2,
  });
  router.add({
    method: "GET",
    path: "/applications(appId={appKey}",
    permissions: PERMISSIONS.appsRead,
    handler: (ctx) => {
      const appId = appIdFromKey(ctx.params["appKey"] as string);
      const app = ctx.tenant.list("application").find((a) => a["appId"] === appId);
      if (!app || !ctx.visible(app.id)) throw graphErrors.notFound(appId);
      return objectReply(ctx, app, { spec: applications, fragment: "applications" });
    },
  });
}
