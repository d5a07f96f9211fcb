/**
 * A SCIM 2.0 service provider (RFC 7643/7644) as a mapping target: Users are matched by filter, created
 * with POST, changed with PATCH (or PUT where the provider has no PATCH), disabled through `active` and
 * deleted. Requests are limited in concurrency and rate; throttling, server faults and dropped
 * connections are retried, and a create is only repeated once a lookup shows the first did not land.
 */
import { Agent, type Dispatcher, request } from "undici";
import { type BackoffPolicy, backoffMs, parseRetryAfter, SERVICE_BACKOFF } from "../../common/retry-after.ts";
import { sleep as defaultSleep } from "../../common/sleep.ts";
import { createError, isConnectorError } from "../../errors.ts";
import type { AttributeChange, TargetRecord } from "../plan.ts";
import type { MappingTarget, MatchKey, TargetCapabilities } from "./target.ts";

export const SCIM_USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
export const SCIM_ENTERPRISE_USER_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH_OP_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const SCIM_JSON = "application/scim+json";

export interface ScimTargetOptions {
  /** Base URL of the SCIM service, e.g. `https://app.example.com/scim/v2`. */
  url: string;
  /** A long-lived bearer token; or `oauth` for client-credentials tokens. */
  token?: string;
  oauth?: { tokenUrl: string; clientId: string; clientSecret: string; scope?: string };
  /**
   * `entra-legacy` speaks the dialect some providers built against Entra's own provisioning service
   * expect: capitalised PATCH ops and booleans as "True"/"False" strings.
   */
  compatibility?: "standard" | "entra-legacy";
  /** Requests in flight at once (default 4). */
  concurrency?: number;
  /** Requests started per second (default 10). */
  ratePerSecond?: number;
  /** Per request (default 30 s). */
  timeoutMs?: number;
  /** Attempts per request, the first included (default 5). */
  maxAttempts?: number;
  backoff?: BackoffPolicy;
  dispatcher?: Dispatcher;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface ScimTarget extends MappingTarget {
  /** Reads the provider's configuration (once; later calls return the first answer). */
  discover(): Promise<TargetCapabilities>;
}

interface ScimResource {
  id?: unknown;
  meta?: { version?: unknown };
  [key: string]: unknown;
}

interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

interface SendOptions {
  body?: unknown;
  ifMatch?: string;
  /** False for POST: a create is repeated by `create` itself, after a lookup; throttling and faults are returned. */
  retry?: boolean;
}

/** Failures where the request may not have reached the provider or it asked to be asked again. */
function isTransient(err: unknown): boolean {
  return isConnectorError(err) && err.retryable;
}

function isTransientStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

function invalid(field: string, problem: string): never {
  throw createError("TARGET_CONFIG_INVALID", { field, problem });
}

function positiveInt(field: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1)
    invalid(field, `must be a whole number of 1 or more, not ${value}`);
  return value;
}

function httpUrl(field: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    invalid(field, `"${value}" is not a URL; give an absolute http(s) URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    invalid(field, `must be http(s), not ${url.protocol}`);
  if (url.username || url.password) invalid(field, "must not carry credentials; use token or oauth");
  return url;
}

/** A filter string value per RFC 7644 §3.4.2.2: JSON string rules, so `\` and `"` are escaped. */
export function scimFilterValue(value: string): string {
  return JSON.stringify(value);
}

/**
 * The SCIM form of a mapping path: enterprise-extension attributes are addressed as `<urn>:<attribute>`
 * while a mapping nests them under the URN, and the URN's own `2.0` must not be split as a path step.
 */
export function scimPath(path: string): string {
  for (const sep of [".", ":"]) {
    if (path.startsWith(SCIM_ENTERPRISE_USER_SCHEMA + sep)) {
      return `${SCIM_ENTERPRISE_USER_SCHEMA}:${path.slice(SCIM_ENTERPRISE_USER_SCHEMA.length + 1)}`;
    }
  }
  if (!/^[A-Za-z][A-Za-z0-9_$-]*(\.[A-Za-z][A-Za-z0-9_$-]*)*$/.test(path)) {
    invalid("path", `"${path}" is not a SCIM attribute path; use names like userName or name.givenName`);
  }
  return path;
}

function isBag(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Leaf-by-leaf differences from `current` to `desired` (lists compare whole), for a create that met a record. */
function diff(
  current: Record<string, unknown>,
  desired: Record<string, unknown>,
  prefix = "",
): AttributeChange[] {
  const changes: AttributeChange[] = [];
  for (const [key, value] of Object.entries(desired)) {
    if (key === "schemas") continue;
    const path = prefix + key;
    const old = current[key];
    if (isBag(value)) changes.push(...diff(isBag(old) ? old : {}, value, `${path}.`));
    else if (JSON.stringify(old) !== JSON.stringify(value)) changes.push({ path, old, new: value });
  }
  return changes;
}

function schemasFor(attributes: Record<string, unknown>): string[] {
  return attributes[SCIM_ENTERPRISE_USER_SCHEMA] === undefined
    ? [SCIM_USER_SCHEMA]
    : [SCIM_USER_SCHEMA, SCIM_ENTERPRISE_USER_SCHEMA];
}

/** A SCIM 2.0 service provider as a mapping target. Settings are checked here, before any request. */
export function scimTarget(options: ScimTargetOptions): ScimTarget {
  const base = httpUrl("url", options.url);
  const root = base.href.replace(/\/+$/, "");
  if (options.token === undefined && options.oauth === undefined)
    invalid("token", "give a bearer token or oauth");
  if (options.token !== undefined && options.oauth !== undefined)
    invalid("token", "give a token or oauth, not both");
  if (options.token !== undefined && !/^[\x21-\x7e]+$/.test(options.token)) {
    invalid("token", "must be printable ASCII without spaces");
  }
  if (options.oauth !== undefined) {
    httpUrl("oauth.tokenUrl", options.oauth.tokenUrl);
    if (!options.oauth.clientId) invalid("oauth.clientId", "is empty");
    if (!options.oauth.clientSecret) invalid("oauth.clientSecret", "is empty");
  }
  const compatibility = options.compatibility ?? "standard";
  if (compatibility !== "standard" && compatibility !== "entra-legacy") {
    invalid("compatibility", `must be "standard" or "entra-legacy", not "${compatibility}"`);
  }
  const legacy = compatibility === "entra-legacy";
  const concurrency = positiveInt("concurrency", options.concurrency, 4);
  const ratePerSecond = positiveInt("ratePerSecond", options.ratePerSecond, 10);
  const timeoutMs = positiveInt("timeoutMs", options.timeoutMs, 30_000);
  const maxAttempts = positiveInt("maxAttempts", options.maxAttempts, 5);
  const policy = options.backoff ?? SERVICE_BACKOFF;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  // A pool of its own, as wide as the concurrency, so `close` can end its connections; one passed in is the caller's.
  const dispatcher = options.dispatcher ?? new Agent({ connections: concurrency });
  let closing: Promise<void> | undefined;

  let capabilities: TargetCapabilities = {
    disable: true,
    delete: true,
    groups: false,
    etags: false,
    patch: true,
  };
  let filter = true;
  let discovery: Promise<TargetCapabilities> | undefined;
  // The provider's version of each record this target has seen, for If-Match.
  const versions = new Map<string, string>();

  // Concurrency: a count and a queue of waiters; rate: each start takes the next free slot.
  let active = 0;
  const waiting: (() => void)[] = [];
  let nextSlot = 0;
  async function acquire(): Promise<void> {
    if (active >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    else active++;
    const t = now();
    const slot = Math.max(t, nextSlot);
    nextSlot = slot + 1000 / ratePerSecond;
    if (slot > t) await sleep(slot - t);
  }
  function release(): void {
    const next = waiting.shift();
    if (next) next();
    else active--;
  }

  let cachedToken: { value: string; refreshAt: number } | undefined;
  let tokenRequest: Promise<string> | undefined;
  async function bearer(): Promise<string> {
    if (options.token !== undefined) return options.token;
    if (cachedToken && now() < cachedToken.refreshAt) return cachedToken.value;
    // Requests that find the token missing or expired together share one token request.
    tokenRequest ??= fetchToken().finally(() => {
      tokenRequest = undefined;
    });
    return tokenRequest;
  }

  async function fetchToken(): Promise<string> {
    const oauth = options.oauth!;
    const form = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: oauth.clientId,
      client_secret: oauth.clientSecret,
    });
    if (oauth.scope) form.set("scope", oauth.scope);
    let res: Dispatcher.ResponseData;
    try {
      res = await request(oauth.tokenUrl, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: form.toString(),
        signal: AbortSignal.timeout(timeoutMs),
        dispatcher,
      });
    } catch (err) {
      throw createError(
        "TARGET_UNREACHABLE",
        { method: "POST", url: oauth.tokenUrl, attempts: 1, reason: (err as Error).message },
        { cause: err },
      );
    }
    const body = (await res.body.json().catch(() => undefined)) as Record<string, unknown> | undefined;
    if (isTransientStatus(res.statusCode)) {
      throw createError("TARGET_UNREACHABLE", {
        method: "POST",
        url: oauth.tokenUrl,
        attempts: 1,
        reason: `the token endpoint answered ${res.statusCode}`,
      });
    }
    const token = body?.access_token;
    if (res.statusCode !== 200 || typeof token !== "string") {
      const detail =
        typeof body?.error_description === "string" ? body.error_description : String(body?.error ?? "");
      throw createError("TARGET_AUTH_FAILED", {
        url: oauth.tokenUrl,
        status: res.statusCode,
        detail: scrub(detail),
      });
    }
    const expiresIn = Number(body?.expires_in ?? 3600);
    cachedToken = { value: token, refreshAt: now() + Math.max(0, expiresIn - 60) * 1000 };
    return token;
  }

  async function once(method: string, url: string, opts: SendOptions): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${await bearer()}`, accept: SCIM_JSON };
    if (opts.body !== undefined) headers["content-type"] = SCIM_JSON;
    if (opts.ifMatch !== undefined) headers["if-match"] = opts.ifMatch;
    await acquire();
    try {
      const res = await request(url, {
        method: method as Dispatcher.HttpMethod,
        headers,
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
        dispatcher,
      });
      const text = await res.body.text();
      let body: unknown;
      try {
        body = text === "" ? undefined : JSON.parse(text);
      } catch {
        body = text;
      }
      return { status: res.statusCode, headers: res.headers, body };
    } finally {
      release();
    }
  }

  /** A service's text without our secrets: some echo the request's headers or form in their errors. */
  function scrub(text: string): string {
    let out = text;
    for (const secret of [options.token, options.oauth?.clientSecret, cachedToken?.value]) {
      if (secret) out = out.split(secret).join("[redacted]");
    }
    return out;
  }

  function failure(method: string, url: string, res: Response, retryable: boolean) {
    const body = isBag(res.body) ? res.body : {};
    const detail =
      typeof body.detail === "string"
        ? body.detail
        : typeof res.body === "string"
          ? res.body.slice(0, 200)
          : "";
    const scimType = typeof body.scimType === "string" ? ` (${body.scimType})` : "";
    return createError(
      "TARGET_REQUEST_FAILED",
      { method, url, status: res.status, scimType, detail: scrub(detail) || "no detail given" },
      { retryable },
    );
  }

  /** One SCIM call, retried on throttling, server faults and network failures unless `retry` is false. */
  async function send(method: string, path: string, opts: SendOptions = {}): Promise<Response> {
    const url = root + path;
    const retry = opts.retry ?? true;
    let refreshedToken = false;
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await once(method, url, opts);
      } catch (err) {
        // A token endpoint that failed transiently is retried like the service itself.
        if (isConnectorError(err) && !err.retryable) throw err;
        if (!retry || attempt >= maxAttempts) {
          throw createError(
            "TARGET_UNREACHABLE",
            { method, url, attempts: attempt, reason: (err as Error).message },
            { cause: err },
          );
        }
        await sleep(backoffMs(attempt, policy));
        continue;
      }
      if (res.status === 401 && options.oauth && !refreshedToken) {
        // An OAuth token the provider revoked early: fetch a new one once before giving up.
        cachedToken = undefined;
        refreshedToken = true;
        attempt--;
        continue;
      }
      if (res.status === 401 || res.status === 403) {
        const body = isBag(res.body) ? res.body : {};
        throw createError("TARGET_AUTH_FAILED", {
          url: root,
          status: res.status,
          detail: typeof body.detail === "string" ? scrub(body.detail) : "no detail given",
        });
      }
      if (!retry || !isTransientStatus(res.status)) return res;
      if (attempt >= maxAttempts) throw failure(method, url, res, true);
      await sleep(retryWait(res, attempt));
    }
  }

  /** The service's `Retry-After` when it named one, else our backoff. */
  function retryWait(res: Response, attempt: number): number {
    const header = res.headers["retry-after"];
    return parseRetryAfter(Array.isArray(header) ? header[0] : header, now()) ?? backoffMs(attempt, policy);
  }

  function expectOk(method: string, path: string, res: Response): void {
    if (res.status < 200 || res.status >= 300) throw failure(method, root + path, res, false);
  }

  function toRecord(resource: unknown, method: string, path: string): TargetRecord {
    if (!isBag(resource) || typeof resource.id !== "string") {
      throw createError("TARGET_REQUEST_FAILED", {
        method,
        url: root + path,
        status: 200,
        scimType: "",
        detail: "the response holds no resource with an id",
      });
    }
    const { id, schemas: _schemas, meta, ...attributes } = resource as ScimResource & { id: string };
    const version = isBag(meta) ? meta.version : undefined;
    if (typeof version === "string") versions.set(id, version);
    return { id, attributes };
  }

  async function discover(): Promise<TargetCapabilities> {
    discovery ??= (async () => {
      const res = await send("GET", "/ServiceProviderConfig");
      expectOk("GET", "/ServiceProviderConfig", res);
      const config = isBag(res.body) ? res.body : {};
      const supported = (name: string) => {
        const entry = config[name];
        return isBag(entry) && entry.supported === true;
      };
      filter = supported("filter");
      // Group provisioning needs the Group resource type; a provider without /ResourceTypes has none we know of.
      let groups = false;
      const types = await send("GET", "/ResourceTypes").catch(() => undefined);
      if (types && types.status === 200) {
        const list =
          isBag(types.body) && Array.isArray(types.body.Resources) ? types.body.Resources : types.body;
        groups = Array.isArray(list) && list.some((t) => isBag(t) && t.name === "Group");
      }
      capabilities = {
        disable: true,
        delete: true,
        groups,
        etags: supported("etag"),
        patch: supported("patch"),
      };
      return capabilities;
    })();
    discovery.catch(() => {
      discovery = undefined;
    });
    return discovery;
  }

  async function lookup(keys: readonly MatchKey[]): Promise<TargetRecord | undefined> {
    await discover();
    if (!filter)
      invalid("url", "the provider says it does not support filtering, which matching records needs");
    for (const key of keys) {
      const expression = `${scimPath(key.path)} eq ${scimFilterValue(key.value)}`;
      const path = `/Users?${new URLSearchParams({ filter: expression })}`;
      const res = await send("GET", path);
      expectOk("GET", path, res);
      const found = isBag(res.body) && Array.isArray(res.body.Resources) ? res.body.Resources : [];
      if (found.length > 1) {
        throw createError("TARGET_REQUEST_FAILED", {
          method: "GET",
          url: root + path,
          status: res.status,
          scimType: "",
          detail: `${found.length} records match ${key.path}; a match key must find at most one`,
        });
      }
      if (found.length === 1) return toRecord(found[0], "GET", path);
    }
    return undefined;
  }

  /** Keys a created record is found by again: a provider must keep userName unique, externalId is ours. */
  function keysOf(attributes: Record<string, unknown>): MatchKey[] {
    return ["userName", "externalId"].flatMap((path) => {
      const value = attributes[path];
      return typeof value === "string" && value !== "" ? [{ path, value }] : [];
    });
  }

  async function create(attributes: Record<string, unknown>): Promise<TargetRecord> {
    await discover();
    const keys = keysOf(attributes);
    const body = { ...attributes, schemas: schemasFor(attributes) };
    for (let attempt = 1; ; attempt++) {
      let res: Response | undefined;
      try {
        res = await send("POST", "/Users", { body, retry: false });
      } catch (err) {
        if (!isTransient(err) || attempt >= maxAttempts || keys.length === 0) throw err;
      }
      if (res && !isTransientStatus(res.status)) {
        if (res.status === 409 && keys.length > 0) {
          const existing = await lookup(keys);
          if (existing) return reconcile(existing, attributes);
        }
        expectOk("POST", "/Users", res);
        return toRecord(res.body, "POST", "/Users");
      }
      if (res && (attempt >= maxAttempts || keys.length === 0)) {
        throw failure("POST", `${root}/Users`, res, true);
      }
      await sleep(res ? retryWait(res, attempt) : backoffMs(attempt, policy));
      // The POST may have landed before the connection dropped or the service failed; only a lookup tells.
      const existing = await lookup(keys);
      if (existing) return reconcile(existing, attributes);
    }
  }

  async function reconcile(
    existing: TargetRecord,
    attributes: Record<string, unknown>,
  ): Promise<TargetRecord> {
    const changes = diff(existing.attributes, attributes);
    return changes.length === 0 ? existing : update(existing.id, changes, attributes);
  }

  function patchValue(value: unknown): unknown {
    if (legacy && typeof value === "boolean") return value ? "True" : "False";
    return value;
  }

  function patchBody(changes: readonly AttributeChange[]) {
    return {
      schemas: [PATCH_OP_SCHEMA],
      Operations: changes.map((change) => {
        const path = scimPath(change.path);
        if (change.new === undefined || change.new === null)
          return { op: legacy ? "Remove" : "remove", path };
        return { op: legacy ? "Replace" : "replace", path, value: patchValue(change.new) };
      }),
    };
  }

  /** PATCH or PUT `/Users/{id}`; a stale version is re-read once, since the next write would be blind anyway. */
  async function write(id: string, method: "PATCH" | "PUT", body: unknown): Promise<Response | undefined> {
    const path = `/Users/${encodeURIComponent(id)}`;
    for (let stale = 0; ; stale++) {
      const version = capabilities.etags ? versions.get(id) : undefined;
      const res = await send(method, path, { body, ...(version ? { ifMatch: version } : {}) });
      if (res.status === 404) return undefined;
      if (res.status === 412 && stale === 0) {
        const fresh = await send("GET", path);
        if (fresh.status === 404) return undefined;
        expectOk("GET", path, fresh);
        toRecord(fresh.body, "GET", path);
        continue;
      }
      expectOk(method, path, res);
      return res;
    }
  }

  async function update(
    id: string,
    changes: readonly AttributeChange[],
    attributes: Record<string, unknown>,
  ): Promise<TargetRecord> {
    await discover();
    const path = `/Users/${encodeURIComponent(id)}`;
    const res = capabilities.patch
      ? await write(id, "PATCH", patchBody(changes))
      : await write(id, "PUT", { ...attributes, id, schemas: schemasFor(attributes) });
    // The record is gone: the plan wanted it to exist with these attributes.
    if (res === undefined) return create(attributes);
    if (res.status === 204 || res.body === undefined) {
      const fresh = await send("GET", path);
      expectOk("GET", path, fresh);
      return toRecord(fresh.body, "GET", path);
    }
    return toRecord(res.body, capabilities.patch ? "PATCH" : "PUT", path);
  }

  async function disable(id: string): Promise<void> {
    await discover();
    const path = `/Users/${encodeURIComponent(id)}`;
    if (capabilities.patch) {
      const res = await write(id, "PATCH", patchBody([{ path: "active", old: true, new: false }]));
      if (res === undefined)
        throw failure(
          "PATCH",
          root + path,
          { status: 404, headers: {}, body: { detail: `no user ${id}` } },
          false,
        );
      return;
    }
    const current = await send("GET", path);
    expectOk("GET", path, current);
    const record = toRecord(current.body, "GET", path);
    const attributes = { ...record.attributes, active: false };
    const res = await write(id, "PUT", { ...attributes, id, schemas: schemasFor(attributes) });
    if (res === undefined)
      throw failure(
        "PUT",
        root + path,
        { status: 404, headers: {}, body: { detail: `no user ${id}` } },
        false,
      );
  }

  async function remove(id: string): Promise<void> {
    const path = `/Users/${encodeURIComponent(id)}`;
    const res = await send("DELETE", path);
    // Gone already (a retried DELETE whose first answer was lost) is what was asked.
    if (res.status === 404) {
      versions.delete(id);
      return;
    }
    expectOk("DELETE", path, res);
    versions.delete(id);
  }

  return {
    get capabilities() {
      return capabilities;
    },
    discover,
    lookup,
    create,
    update,
    disable,
    delete: remove,
    async close() {
      if (options.dispatcher !== undefined) return;
      closing ??= dispatcher.close();
      await closing;
    },
  };
}
