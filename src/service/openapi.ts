/** The OpenAPI 3.1 document, generated from the routes' own declarations. */
import { z } from "zod";
import { connectionParam, type RouteSpec } from "./route.ts";

const ERROR_BODY = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    fix: z.string().optional(),
    details: z.unknown().optional(),
    requestId: z.string(),
  }),
});

const json = (schema: z.ZodType, io: "input" | "output") =>
  z.toJSONSchema(schema, { io, unrepresentable: "any" });

/** `/a/:id` → `/a/{id}`. */
export function openApiPath(path: string): string {
  return path.replace(/:(\w+)/g, "{$1}");
}

function parameters(schema: z.ZodType | undefined, where: "path" | "query"): unknown[] {
  if (schema === undefined) return [];
  const doc = json(schema, "input") as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(doc.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === "path" || (doc.required ?? []).includes(name),
    schema: s,
  }));
}

export function openApiDocument(
  routes: readonly RouteSpec[],
  info: { version: string },
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    if (r.hidden) continue;
    const responses: Record<string, unknown> = {
      [String(r.status ?? 200)]: r.produces
        ? { description: "OK", content: { [r.produces]: { schema: { type: "string" } } } }
        : {
            description: "OK",
            content: { "application/json": { schema: r.response ? json(r.response, "output") : {} } },
          },
      default: {
        description: "Error",
        content: { "application/json": { schema: json(ERROR_BODY, "output") } },
      },
    };
    const operation: Record<string, unknown> = {
      operationId: `${r.method.toLowerCase()}${openApiPath(r.path)
        .replace(/[{}]/g, "")
        .replace(/[^a-zA-Z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? "").toUpperCase())}`,
      summary: r.summary,
      tags: r.tags ?? [],
      parameters: [...parameters(r.params, "path"), ...parameters(r.query, "query")],
      responses,
      "x-role": r.access,
      // How a caller limited to some connections is held: by the path's connection, by a filtered
      // answer, not at all (the answer names none), or refused (a route about the whole service).
      ...(r.access === "public"
        ? {}
        : {
            "x-limited-callers":
              connectionParam(r.path) !== undefined ? "by-path" : (r.limitedCallers ?? "refused"),
          }),
      security: r.access === "public" ? [] : [{ bearer: [] }],
    };
    if (r.body) {
      operation["requestBody"] = {
        required: true,
        content: { "application/json": { schema: json(r.body, "input") } },
      };
    }
    const path = openApiPath(r.path);
    paths[path] = { ...paths[path], [r.method.toLowerCase()]: operation };
  }
  return {
    openapi: "3.1.0",
    info: { title: "entra-connector service API", version: info.version },
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    security: [{ bearer: [] }],
    paths,
  };
}
