/** App registrations: GET /applications and /applications/{id} (graph-behaviour.md §7). */
import { applications } from "../odata/index.ts";
import { PERMISSIONS } from "./permissions.ts";
import { registerReadRoutes } from "./read-routes.ts";
import type { Router } from "./router.ts";

export function registerApplicationRoutes(router: Router): void {
  registerReadRoutes(router, {
    path: "/applications",
    kind: "application",
    spec: applications,
    permissions: PERMISSIONS.appsRead,
    listCost: 2,
  });
}
