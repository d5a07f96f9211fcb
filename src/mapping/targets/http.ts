/**
 * Any JSON-over-HTTP API as a mapping target (an asset register, a ticketing tool), described by request
 * templates: `${name}` in a URL, header or body is the mapped attribute `name` (`${id}` is the record's id
 * in the target), URL-encoded in URLs and JSON-escaped in bodies. The id of a created or found record is
 * read from the answer at a dotted path. Throttling and server faults are retried, honouring Retry-After.
 */
import { createError } from "../../errors.ts";
import { getPath, setPath } from "../path.ts";
import type { AttributeChange, TargetRecord } from "../plan.ts";
import {
  type HttpLimits,
  type HttpResponse,
  httpClient,
  httpUrl,
  invalid,
  isTransientStatus,
} from "./http-client.ts";
import type { MappingTarget, MatchKey } from "./target.ts";

export interface HttpRequestTemplate {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  url: string;
  headers?: Record<string, string>;
  body?: string | Record<string, unknown>;
  /** Where the id is in this request's answer (dotted); default the target's `idPath`, in a found record `id`. */
  idPath?: string;
  /** For lookup and list: where the found record, or a list of them, is in the answer; default the whole answer. */
  resultPath?: string;
  /** For list: records per page, `${pageSize}` in the template; a shorter page is the last (default 100). */
  pageSize?: number;
  /** For list: where a listed record holds the first match attribute; default that attribute's own path. */
  keyPath?: string;
}

export type HttpAuth =
  | { type: "bearer"; token: string }
  | { type: "basic"; username: string; password: string }
  | { type: "header"; name: string; value: string };

export interface HttpTargetOptions extends HttpLimits {
  auth?: HttpAuth;
  /** Sent with every request. */
  headers?: Record<string, string>;
  /** Where the id is in an answer (dotted), default `id`. */
  idPath?: string;
  requests: {
    lookup?: HttpRequestTemplate;
    /** Every record, a page at a time: `${page}` (from 1) or `${offset}` (from 0) and `${pageSize}`. */
    list?: HttpRequestTemplate;
    create: HttpRequestTemplate;
    update: HttpRequestTemplate;
    disable?: HttpRequestTemplate;
    delete?: HttpRequestTemplate;
  };
  /** The mapping's match attributes: what a create that met a conflict looks the record up by. */
  match?: readonly string[];
}

type Vars = Record<string, unknown>;
const PLACEHOLDER = /\$\$\{|\$\{([A-Za-z0-9_.:-]+)\}/g;

function isBag(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The placeholders a template uses, for checking lookups and settings up front. */
function placeholders(template: unknown): string[] {
  if (typeof template === "string")
    return [...template.matchAll(PLACEHOLDER)].flatMap((m) => (m[1] ? [m[1]] : []));
  if (Array.isArray(template)) return template.flatMap(placeholders);
  if (isBag(template)) return Object.values(template).flatMap(placeholders);
  return [];
}

function lookupVar(vars: Vars, name: string): unknown {
  return name in vars ? vars[name] : getPath(vars, name);
}

function fill(template: string, vars: Vars, encode: (value: unknown) => string): string {
  return template.replace(PLACEHOLDER, (_whole, name: string | undefined) =>
    name === undefined ? "${" : encode(lookupVar(vars, name)),
  );
}

const asText = (value: unknown) =>
  value === undefined || value === null
    ? ""
    : typeof value === "object"
      ? JSON.stringify(value)
      : String(value);
/** Inside a JSON string literal: quotes, backslashes and control characters escaped. */
const jsonEscaped = (value: unknown) => JSON.stringify(asText(value)).slice(1, -1);

/** A body object: a string that is one placeholder becomes the value with its type; others are text. */
function fillBody(template: unknown, vars: Vars): unknown {
  if (typeof template === "string") {
    const whole = /^\$\{([A-Za-z0-9_.:-]+)\}$/.exec(template);
    if (whole) return lookupVar(vars, whole[1]!) ?? null;
    return fill(template, vars, asText);
  }
  if (Array.isArray(template)) return template.map((item) => fillBody(item, vars));
  if (isBag(template))
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, fillBody(v, vars)]));
  return template;
}

export function httpTarget(options: HttpTargetOptions): MappingTarget {
  const idPath = options.idPath ?? "id";
  const requests = options.requests;
  for (const [name, template] of Object.entries(requests)) {
    if (!template) continue;
    // Placeholders stand in for path segments and query values; the rest must be a URL as written.
    httpUrl(
      `requests.${name}.url`,
      fill(template.url, {}, () => "x"),
    );
  }
  if (
    requests.list &&
    !placeholders([requests.list.url, requests.list.body]).some((n) => n === "page" || n === "offset")
  ) {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the placeholders as the user writes them
    invalid("requests.list.url", "must page with ${page} or ${offset}, or every page would be the first");
  }
  const secrets: string[] = [];
  const authHeaders: Record<string, string> = {};
  const auth = options.auth;
  if (auth?.type === "bearer") {
    secrets.push(auth.token);
    authHeaders.authorization = `Bearer ${auth.token}`;
  } else if (auth?.type === "basic") {
    secrets.push(auth.password);
    authHeaders.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`;
  } else if (auth?.type === "header") {
    secrets.push(auth.value);
    authHeaders[auth.name.toLowerCase()] = auth.value;
  }
  for (const value of Object.values(authHeaders))
    if (/[\r\n]/.test(value)) invalid("auth", "must not hold line breaks");
  const client = httpClient(options);

  const scrub = (text: string) => secrets.reduce((out, s) => out.split(s).join("[redacted]"), text);

  function failure(method: string, url: string, res: HttpResponse, detail?: string) {
    const body = typeof res.body === "string" ? res.body : JSON.stringify(res.body ?? "");
    return createError("TARGET_REQUEST_FAILED", {
      method,
      url,
      status: res.status,
      scimType: "",
      detail: scrub(detail ?? (body.slice(0, 300) || "no detail given")),
    });
  }

  /**
   * One templated request. Throttling is always retried (the service refused it); server faults and lost
   * answers only where repeating is safe: not a POST, which `create` repeats itself after a lookup.
   */
  async function call(name: string, template: HttpRequestTemplate, vars: Vars): Promise<HttpResponse> {
    const url = fill(template.url, vars, (v) => encodeURIComponent(asText(v)));
    const headers: Record<string, string> = { accept: "application/json" };
    for (const [key, value] of Object.entries({ ...options.headers, ...template.headers }))
      headers[key.toLowerCase()] = fill(value, vars, (v) => asText(v).replace(/[\r\n]/g, " "));
    Object.assign(headers, authHeaders);
    let body: string | undefined;
    if (template.body !== undefined) {
      body =
        typeof template.body === "string"
          ? fill(template.body, vars, jsonEscaped)
          : JSON.stringify(fillBody(template.body, vars));
      headers["content-type"] ??= "application/json";
    }
    const safe = template.method !== "POST";
    for (let attempt = 1; ; attempt++) {
      let res: HttpResponse | undefined;
      try {
        res = await client.send(template.method, url, headers, body);
      } catch (err) {
        if (!safe || attempt >= client.maxAttempts) {
          throw createError(
            "TARGET_UNREACHABLE",
            { method: template.method, url, attempts: attempt, reason: scrub((err as Error).message) },
            { cause: err, retryable: true },
          );
        }
      }
      if (res) {
        if (res.status === 401 || res.status === 403) {
          throw createError("TARGET_AUTH_FAILED", {
            url,
            status: res.status,
            detail: `requests.${name} was refused`,
          });
        }
        const retryable = res.status === 429 || (safe && isTransientStatus(res.status));
        if (!retryable) return res;
        if (attempt >= client.maxAttempts) throw failure(template.method, url, res);
      }
      await client.sleep(client.retryWait(res, attempt));
    }
  }

  function expectOk(template: HttpRequestTemplate, res: HttpResponse, vars: Vars): void {
    if (res.status >= 200 && res.status < 300) return;
    throw failure(
      template.method,
      fill(template.url, vars, (v) => encodeURIComponent(asText(v))),
      res,
      undefined,
    );
  }

  function idIn(path: string, body: unknown, method: string, url: string): string {
    const id = getPath(isBag(body) ? body : {}, path);
    if (typeof id !== "string" && typeof id !== "number") {
      throw createError("TARGET_REQUEST_FAILED", {
        method,
        url,
        status: 200,
        scimType: "",
        detail: `the answer holds no id at ${path}; set idPath to where it is`,
      });
    }
    return String(id);
  }

  async function lookup(keys: readonly MatchKey[]): Promise<TargetRecord | undefined> {
    const template = requests.lookup;
    if (!template) return undefined;
    const needed = placeholders([template.url, template.body, template.headers]);
    for (const key of keys) {
      const vars: Vars = {};
      setPath(vars, key.path, key.value);
      vars[key.path] = key.value;
      // A lookup by email cannot be asked with an employee number.
      if (!needed.every((name) => lookupVar(vars, name) !== undefined)) continue;
      const res = await call("lookup", template, vars);
      if (res.status === 404) continue;
      expectOk(template, res, vars);
      const items = itemsIn(template, res.body);
      if (items.length > 1) {
        throw failure(
          template.method,
          template.url,
          res,
          `${items.length} records match ${key.path}; a match key must find at most one`,
        );
      }
      const [item] = items;
      // Within a found record its id is `id` unless the lookup says otherwise.
      if (isBag(item))
        return { id: idIn(template.idPath ?? "id", item, template.method, template.url), attributes: item };
    }
    return undefined;
  }

  /** The records of one answer: the list at `resultPath` (or the answer itself). */
  function itemsIn(template: HttpRequestTemplate, body: unknown): unknown[] {
    const found = template.resultPath ? getPath(isBag(body) ? body : {}, template.resultPath) : body;
    return Array.isArray(found) ? found : found === undefined || found === null ? [] : [found];
  }

  async function* list(): AsyncIterable<TargetRecord> {
    const template = requests.list!;
    const pageSize = template.pageSize ?? 100;
    const key = options.match?.[0];
    let previous: string | undefined;
    for (let page = 1; ; page++) {
      const vars = { page, offset: (page - 1) * pageSize, pageSize };
      const res = await call("list", template, vars);
      expectOk(template, res, vars);
      const items = itemsIn(template, res.body);
      const records = items.filter(isBag).map((item) => {
        const attributes = structuredClone(item);
        if (template.keyPath && key) setPath(attributes, key, getPath(item, template.keyPath));
        return { id: idIn(template.idPath ?? "id", item, template.method, template.url), attributes };
      });
      // A service that ignores the page asked for would hand back the first page for ever.
      const first = records[0]?.id;
      if (page > 1 && first !== undefined && first === previous) {
        throw failure(
          template.method,
          template.url,
          res,
          `page ${page} repeats page ${page - 1}; the service does not page`,
        );
      }
      previous = first;
      yield* records;
      if (items.length < pageSize) return;
    }
  }

  async function create(attributes: Record<string, unknown>): Promise<TargetRecord> {
    const template = requests.create;
    const keys = (options.match ?? []).flatMap((path) => {
      const value = getPath(attributes, path);
      return value === undefined || value === null || value === "" ? [] : [{ path, value: String(value) }];
    });
    for (let attempt = 1; ; attempt++) {
      let res: HttpResponse | undefined;
      try {
        res = await call("create", template, attributes);
      } catch (err) {
        if (!requests.lookup || keys.length === 0 || attempt >= client.maxAttempts) throw err;
      }
      if (res && res.status === 409 && requests.lookup) {
        // Already there: the plan wants it to look like this.
        const existing = await lookup(keys);
        if (existing) return update(existing.id, [], attributes);
      }
      if (res && !isTransientStatus(res.status)) {
        expectOk(template, res, attributes);
        return { id: idIn(template.idPath ?? idPath, res.body, template.method, template.url), attributes };
      }
      if (!requests.lookup || keys.length === 0 || attempt >= client.maxAttempts) {
        throw failure(template.method, template.url, res!);
      }
      await client.sleep(client.retryWait(res, attempt));
      // The POST may have landed; only a lookup tells, and a second one would be a duplicate.
      const existing = await lookup(keys);
      if (existing) return update(existing.id, [], attributes);
    }
  }

  async function update(
    id: string,
    changes: readonly AttributeChange[],
    attributes: Record<string, unknown>,
  ): Promise<TargetRecord> {
    const template = requests.update;
    const desired = structuredClone(attributes);
    for (const change of changes) setPath(desired, change.path, change.new);
    const vars = { ...desired, id };
    const res = await call("update", template, vars);
    // Deleted meanwhile: the plan wanted it to exist with these attributes.
    if (res.status === 404) return create(desired);
    expectOk(template, res, vars);
    return { id, attributes: desired };
  }

  async function simple(name: "disable" | "delete", id: string): Promise<void> {
    const template = requests[name];
    if (!template) invalid(`requests.${name}`, `is not set, so this target cannot ${name} records`);
    const res = await call(name, template, { id });
    // Gone already is what a delete asks; a disable of a record that is gone has nothing left to do.
    if (res.status === 404) return;
    expectOk(template, res, { id });
  }

  return {
    capabilities: {
      disable: requests.disable !== undefined,
      delete: requests.delete !== undefined,
      groups: false,
      etags: false,
      patch: requests.update.method === "PATCH",
    },
    lookup,
    ...(requests.list ? { list } : {}),
    create,
    update,
    disable: (id) => simple("disable", id),
    delete: (id) => simple("delete", id),
    close: client.close,
  };
}
