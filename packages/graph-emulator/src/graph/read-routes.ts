/**
 * The two read routes most resources have, `GET /things` (OData list) and `GET /things/{id}`, from one
 * description, so every plain resource lists, pages, selects and 404s the same way.
 */
import type { ResourceSpec } from "../odata/index.ts";
import type { ObjectKind } from "../tenant/types.ts";
import { listReply, objectReply } from "./collection.ts";
import type { RouteContext, Router } from "./router.ts";

export interface ReadRoutes {
  /** Collection path, e.g. "/applications"; also the @odata.context entity set without its leading slash. */
  path: string;
  kind: ObjectKind;
  spec: ResourceSpec;
  permissions: readonly string[];
  /** Resource units of the list request (docs/graph.md#throttling). */
  listCost?: number;
  /** A check run before either route answers (e.g. a licence the tenant needs). */
  guard?: (ctx: RouteContext) => void;
}

export function registerReadRoutes(router: Router, routes: ReadRoutes): void {
  const options = { spec: routes.spec, fragment: routes.path.slice(1) };
  router.add({
    method: "GET",
    path: routes.path,
    permissions: routes.permissions,
    cost: routes.listCost ?? 1,
    handler: (ctx) => {
      routes.guard?.(ctx);
      return listReply(ctx, ctx.tenant.list(routes.kind), options);
    },
  });
  router.add({
    method: "GET",
    path: `${routes.path}/{id}`,
    permissions: routes.permissions,
    handler: (ctx) => {
      routes.guard?.(ctx);
      return objectReply(ctx, ctx.lookup(routes.kind, ctx.params["id"] as string), options);
    },
  });
}
