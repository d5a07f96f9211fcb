import { Readable } from "node:stream";
import { z } from "zod";
import { createError } from "../../errors.ts";
import { EXPORT_KINDS } from "../../store/export-kinds.ts";
import { EXPORT_FORMATS, exportLines } from "../../store/export-lines.ts";
import { displayColumns } from "../../store/model.ts";
import { RESOURCE_KINDS, type Resource, type ResourceKind } from "../../store/types.ts";
import type { ServiceContext } from "../app.ts";
import { route } from "../route.ts";
import { ConnectionParams } from "./connections.ts";

const ResourceView = z.object({
  kind: z.enum(RESOURCE_KINDS as [ResourceKind, ...ResourceKind[]]),
  id: z.string(),
  displayName: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
});

const view = (r: Resource) => ({
  kind: r.kind,
  id: r.id,
  displayName: displayColumns(r.kind, r.data).displayName,
  data: r.data,
});

/**
 * A page cursor: where the last page ended, bound to the listing it came from. It only moves a reader
 * through a listing it may read anyway, so it is encoded, not sealed.
 */
interface Cursor {
  kind: ResourceKind;
  search: string;
  name: string | null;
  id: string;
}

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.kind, c.search, c.name, c.id])).toString("base64url");
}

function decodeCursor(text: string, kind: ResourceKind, search: string): Cursor {
  try {
    const [k, s, name, id] = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as unknown[];
    if (k === kind && s === search && (name === null || typeof name === "string") && typeof id === "string") {
      return { kind, search, name, id };
    }
  } catch {
    // falls through to the refusal below
  }
  throw createError("API_CURSOR_INVALID", {});
}

export function resourceRoutes(ctx: ServiceContext) {
  return [
    route({
      method: "GET",
      path: "/api/v1/connections/:id/exports/:kind",
      access: "viewer",
      summary:
        "One kind of synced data as a download, streamed: CSV (formula-like cells neutralised unless csvRaw=true) or JSON lines",
      tags: ["queries"],
      params: ConnectionParams.extend({ kind: z.enum(EXPORT_KINDS) }),
      query: z.object({
        format: z.enum(EXPORT_FORMATS).default("jsonl"),
        csvRaw: z.enum(["true", "false"]).optional(),
      }),
      produces: "application/octet-stream",
      handler: async ({ params, query, reply }) => {
        const store = await ctx.connections.get(params.id).queries();
        const csv = query.format === "csv";
        reply.header("content-disposition", `attachment; filename="${params.kind}.${query.format}"`);
        reply.type(csv ? "text/csv; charset=utf-8" : "application/x-ndjson");
        return Readable.from(exportLines(store, params.kind, query.format, { raw: query.csvRaw === "true" }));
      },
    }),
    route({
      method: "GET",
      path: "/api/v1/connections/:id/diff",
      access: "viewer",
      summary:
        "What changed going from run `from` to run `to` (ids or numbers; reversed when `from` is the later run)",
      tags: ["queries"],
      params: ConnectionParams,
      query: z.object({ from: z.string().min(1).max(64), to: z.string().min(1).max(64) }),
      response: z.object({ items: z.array(z.record(z.string(), z.unknown())) }),
      handler: async ({ params, query }) => {
        const store = await ctx.connections.get(params.id).queries();
        const events = await store.query.diff(query.from, query.to);
        return { items: events as unknown as Record<string, unknown>[] };
      },
    }),
    route({
      method: "GET",
      path: "/api/v1/connections/:id/resources",
      access: "viewer",
      summary: "Synced resources of one kind, by display name, with search and cursor paging",
      tags: ["queries"],
      params: ConnectionParams,
      query: z.object({
        kind: z.enum(RESOURCE_KINDS as [ResourceKind, ...ResourceKind[]]),
        search: z.string().max(256).optional(),
        limit: z.coerce.number().int().min(1).max(500).default(100),
        cursor: z.string().max(2048).optional(),
        includeDeleted: z.enum(["true", "false"]).optional(),
      }),
      response: z.object({ items: z.array(ResourceView), next: z.string().nullable() }),
      handler: async ({ params, query }) => {
        const store = await ctx.connections.get(params.id).queries();
        const search = query.search ?? "";
        const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, query.kind, search);
        const items: Resource[] = [];
        // One more than the page tells whether another page follows, without a count.
        for await (const r of store.query.resources({
          kind: query.kind,
          ...(search ? { text: search } : {}),
          includeDeleted: query.includeDeleted === "true",
          limit: query.limit + 1,
          ...(after ? { after: { displayName: after.name, id: after.id } } : {}),
        })) {
          items.push(r);
        }
        const more = items.length > query.limit;
        const page = items.slice(0, query.limit);
        const last = page.at(-1);
        return {
          items: page.map(view),
          next:
            more && last
              ? encodeCursor({
                  kind: query.kind,
                  search,
                  name: displayColumns(last.kind, last.data).displayName,
                  id: last.id,
                })
              : null,
        };
      },
    }),
    route({
      method: "GET",
      path: "/api/v1/connections/:id/resources/:kind/:ref",
      access: "viewer",
      summary: "One resource by id, principal name or exact display name",
      tags: ["queries"],
      params: ConnectionParams.extend({
        kind: z.enum(RESOURCE_KINDS as [ResourceKind, ...ResourceKind[]]),
        ref: z.string().min(1).max(512),
      }),
      response: ResourceView,
      handler: async ({ params }) => {
        const store = await ctx.connections.get(params.id).queries();
        const found = await store.query.resolve(params.ref, params.kind);
        if (found === undefined)
          throw createError("OBJECT_NOT_FOUND", { kind: params.kind, ref: params.ref });
        return view(found);
      },
    }),
    route({
      method: "GET",
      path: "/api/v1/connections/:id/access/:ref",
      access: "viewer",
      summary: "Everything a principal has, and through which groups",
      tags: ["queries"],
      params: ConnectionParams.extend({ ref: z.string().min(1).max(512) }),
      response: z.object({ principal: ResourceView, grants: z.array(z.record(z.string(), z.unknown())) }),
      handler: async ({ params }) => {
        const store = await ctx.connections.get(params.id).queries();
        const principal = await store.query.resolve(params.ref);
        if (principal === undefined)
          throw createError("OBJECT_NOT_FOUND", { kind: "principal", ref: params.ref });
        const grants = await store.query.grants({ principalId: principal.id });
        return { principal: view(principal), grants: grants as unknown as Record<string, unknown>[] };
      },
    }),
  ];
}
