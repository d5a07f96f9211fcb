/**
 * Checks on request bodies shared by the write routes, each answering with the error Graph gives.
 */
import type { ResourceSpec } from "../odata/index.ts";
import { GraphError, graphErrors } from "./errors.ts";
import type { RouteContext } from "./router.ts";

/** Graph accepts OData annotations such as "@odata.type" on any payload; `x@odata.bind` keys are checked by name. */
export function checkKnownProperties(
  body: Record<string, unknown>,
  spec: ResourceSpec,
  opts: { readOnly: ReadonlySet<string>; extra?: readonly string[] },
): void {
  for (const key of Object.keys(body)) {
    if (key.startsWith("@odata.")) continue;
    if (opts.extra?.includes(key)) continue;
    if (Object.hasOwn(spec.properties, key) && !opts.readOnly.has(key)) continue;
    throw graphErrors.unknownProperty(key, spec.entityType);
  }
}

export function requireString(body: Record<string, unknown>, name: string, resource: string): string {
  const value = body[name];
  if (value === undefined || value === null) throw missing(name, resource);
  if (typeof value !== "string" || value.trim() === "") throw graphErrors.invalidValue(name, resource);
  return value;
}

export function requireBoolean(body: Record<string, unknown>, name: string, resource: string): boolean {
  const value = body[name];
  if (value === undefined || value === null) throw missing(name, resource);
  if (typeof value !== "boolean") throw graphErrors.invalidValue(name, resource);
  return value;
}

/** Optional properties must still have the right JSON type. */
export function checkTypes(body: Record<string, unknown>, spec: ResourceSpec, resource: string): void {
  for (const [key, value] of Object.entries(body)) {
    const prop = spec.properties[key];
    if (!prop || value === null) continue;
    const ok = prop.collection
      ? Array.isArray(value)
      : prop.type === "Boolean"
        ? typeof value === "boolean"
        : prop.type === "Complex"
          ? typeof value === "object" && !Array.isArray(value)
          : prop.type === "Int32" || prop.type === "Int64"
            ? typeof value === "number"
            : typeof value === "string";
    if (!ok) throw graphErrors.invalidValue(key, resource);
  }
}

function missing(name: string, resource: string): GraphError {
  return new GraphError(
    400,
    "Request_BadRequest",
    `Invalid value specified for property '${name}' of resource '${resource}'.`,
    {
      details: [
        { code: "MissingRequiredProperty", message: `Property '${name}' is required.`, target: name },
      ],
    },
  );
}

/**
 * Ids from an `@odata.id` / `@odata.bind` URL: `…/directoryObjects/{id}`, `…/users/{id}`,
 * `…/directoryObjects('{id}')`. Anything else is "Invalid object identifier".
 */
export function idFromReference(value: unknown): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw graphErrors.badRequest(`Invalid object identifier '${String(value ?? "")}'.`);
  }
  const match =
    /\/(?:directoryObjects|users|groups|servicePrincipals|devices|contacts)(?:\/|\(')([^/()'?]+)'?\)?\/?$/i.exec(
      value.trim(),
    );
  if (!match) throw graphErrors.badRequest(`Invalid object identifier '${value}'.`);
  return decodeURIComponent(match[1] as string);
}

/** The ids of a `members@odata.bind` / `owners@odata.bind` array: at most 20, each existing. */
export function boundIds(ctx: RouteContext, body: Record<string, unknown>, key: string): string[] {
  const value = body[key];
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw graphErrors.invalidValue(key, "Group");
  // Graph applies at most 20 links per request (docs/graph.md#groups); the exact message is unconfirmed.
  if (value.length > 20) {
    throw graphErrors.badRequest(
      `The request contains ${value.length} links in '${key}'; at most 20 can be added in one request.`,
    );
  }
  const ids = value.map(idFromReference);
  for (const id of ids) {
    if (!ctx.tenant.getPrincipal(id) || !ctx.visible(id)) throw graphErrors.notFound(id);
  }
  return [...new Set(ids)];
}

/** Microsoft's rule: 8–256 characters and three of lower case, upper case, digits and symbols. */
export function isComplexPassword(password: string): boolean {
  if (password.length < 8 || password.length > 256) return false;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  return classes >= 3;
}
