/**
 * A SCIM 2.0 service provider (RFC 7643/7644) as a mapping target: Users are matched by filter, created
 * with POST, changed with PATCH (or PUT where the provider has no PATCH), disabled through `active` and
 * deleted. Requests are limited in concurrency and rate; throttling, server faults and dropped
 * connections are retried, and a create is only repeated once a lookup shows the first did not land.
 */
import { type Dispatcher, request } from "undici";
import { createError, isConnectorError } from "../../errors.ts";
import { pathSegments, SCIM_ENTERPRISE_USER_SCHEMA } from "../path.ts";
import type { AttributeChange, TargetRecord } from "../plan.ts";
import {
  type HttpLimits,
  type HttpResponse,
  httpClient,
  httpUrl,
  invalid,
  isTransient,
  isTransientStatus,
} from "./http-client.ts";
import type {
  DesiredGroup,
  GroupRecord,
  GroupTarget,
  MappingTarget,
  MatchKey,
  TargetCapabilities,
} from "./target.ts";

export const SCIM_USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
export const SCIM_GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";
export { SCIM_ENTERPRISE_USER_SCHEMA };
const PATCH_OP_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const SCIM_JSON = "application/scim+json";

export interface ScimTargetOptions extends HttpLimits {
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
}

export interface ScimTarget extends MappingTarget {
  /** Reads the provider's configuration (once; later calls return the first answer). */
  discover(): Promise<TargetCapabilities>;
}

type Kind = "Users" | "Groups";

interface ScimResource {
  id?: unknown;
  meta?: { version?: unknown };
  [key: string]: unknown;
}

type Response = HttpResponse;

interface SendOptions {
  body?: unknown;
  ifMatch?: string;
  /** False for POST: a create is repeated by `create` itself, after a lookup; throttling and faults are returned. */
  retry?: boolean;
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
  const [first, ...rest] = pathSegments(path);
  const attribute = first!.startsWith("urn:") ? rest.join(".") : path;
  if (!/^[A-Za-z][A-Za-z0-9_$-]*(\.[A-Za-z][A-Za-z0-9_$-]*)*$/.test(attribute)) {
    invalid("path", `"${path}" is not a SCIM attribute path; use names like userName or name.givenName`);
  }
  return first!.startsWith("urn:") ? `${first}:${attribute}` : path;
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
    // A URN key is followed by `:` in a SCIM path; plain nested attributes by `.`.
    const sep = key.startsWith("urn:") ? ":" : ".";
    if (isBag(value)) changes.push(...diff(isBag(old) ? old : {}, value, path + sep));
    else if (JSON.stringify(old) !== JSON.stringify(value)) changes.push({ path, old, new: value });
  }
  return changes;
}

/** The core schema and every extension whose URN keys the record. */
function schemasFor(attributes: Record<string, unknown>): string[] {
  return [SCIM_USER_SCHEMA, ...Object.keys(attributes).filter((key) => key.startsWith("urn:"))];
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
  const client = httpClient(options);
  const { dispatcher, timeoutMs, maxAttempts, now, sleep } = client;

  let capabilities: TargetCapabilities = {
    disable: true,
    delete: true,
    groups: false,
    etags: false,
    patch: true,
  };
  let filter = true;
  // Records per page when listing; the provider's filter.maxResults lowers it.
  let pageSize = 100;
  let discovery: Promise<TargetCapabilities> | undefined;
  // The provider's version of each record this target has seen, for If-Match.
  const versions = new Map<string, string>();

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
    return client.send(method, url, headers, opts.body !== undefined ? JSON.stringify(opts.body) : undefined);
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
        await sleep(client.retryWait(undefined, attempt));
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
      await sleep(client.retryWait(res, attempt));
    }
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
      const maxResults = isBag(config.filter) ? Number(config.filter.maxResults) : Number.NaN;
      if (Number.isInteger(maxResults) && maxResults > 0) pageSize = Math.min(pageSize, maxResults);
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
        bulk: supported("bulk"),
      };
      return capabilities;
    })();
    discovery.catch(() => {
      discovery = undefined;
    });
    return discovery;
  }

  /** The one resource of `kind` a key finds, tried in order; two found by one key is an error, not a guess. */
  async function findOne(kind: Kind, keys: readonly MatchKey[]): Promise<unknown> {
    await discover();
    if (!filter)
      invalid("url", "the provider says it does not support filtering, which matching records needs");
    for (const key of keys) {
      const expression = `${scimPath(key.path)} eq ${scimFilterValue(key.value)}`;
      const path = `/${kind}?${new URLSearchParams({ filter: expression })}`;
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
      if (found.length === 1) {
        toRecord(found[0], "GET", path);
        return found[0];
      }
    }
    return undefined;
  }

  async function lookup(keys: readonly MatchKey[]): Promise<TargetRecord | undefined> {
    const found = await findOne("Users", keys);
    return found === undefined ? undefined : toRecord(found, "GET", "/Users");
  }

  /** Every user, a page at a time (`startIndex` counts from 1; the provider may give fewer than asked). */
  async function* list(): AsyncIterable<TargetRecord> {
    await discover();
    for (let start = 1; ; ) {
      const path = `/Users?${new URLSearchParams({ startIndex: String(start), count: String(pageSize) })}`;
      const res = await send("GET", path);
      expectOk("GET", path, res);
      const body = isBag(res.body) ? res.body : {};
      const page = Array.isArray(body.Resources) ? body.Resources : [];
      // A provider that ignores startIndex would hand back the first page for ever.
      if (body.startIndex !== undefined && Number(body.startIndex) !== start && page.length > 0) {
        throw createError("TARGET_REQUEST_FAILED", {
          method: "GET",
          url: root + path,
          status: res.status,
          scimType: "",
          detail: `asked for startIndex ${start}, the provider answered from ${String(body.startIndex)}; it does not page`,
        });
      }
      for (const resource of page) yield toRecord(resource, "GET", path);
      start += page.length;
      const total = Number(body.totalResults);
      if (page.length === 0 || !Number.isFinite(total) || start > total) return;
    }
  }

  /** Keys a created record is found by again: a provider must keep these unique, externalId is ours. */
  function keysOf(kind: Kind, attributes: Record<string, unknown>): MatchKey[] {
    return [kind === "Users" ? "userName" : "displayName", "externalId"].flatMap((path) => {
      const value = attributes[path];
      return typeof value === "string" && value !== "" ? [{ path, value }] : [];
    });
  }

  /**
   * POST a resource. A 409 (the provider's uniqueness) becomes a lookup and `reconcile` with what it found;
   * a POST whose answer was lost is only repeated once a lookup shows it did not land.
   */
  async function createResource<T>(
    kind: Kind,
    body: Record<string, unknown>,
    created: (resource: unknown, path: string) => T,
    reconcile: (existing: unknown) => Promise<T>,
  ): Promise<T> {
    await discover();
    const keys = keysOf(kind, body);
    const path = `/${kind}`;
    for (let attempt = 1; ; attempt++) {
      let res: Response | undefined;
      try {
        res = await send("POST", path, { body, retry: false });
      } catch (err) {
        if (!isTransient(err) || attempt >= maxAttempts || keys.length === 0) throw err;
      }
      if (res && !isTransientStatus(res.status)) {
        if (res.status === 409 && keys.length > 0) {
          const existing = await findOne(kind, keys);
          if (existing !== undefined) return reconcile(existing);
        }
        expectOk("POST", path, res);
        return created(res.body, path);
      }
      if (res && (attempt >= maxAttempts || keys.length === 0)) {
        throw failure("POST", root + path, res, true);
      }
      await sleep(client.retryWait(res, attempt));
      // The POST may have landed before the connection dropped or the service failed; only a lookup tells.
      const existing = await findOne(kind, keys);
      if (existing !== undefined) return reconcile(existing);
    }
  }

  async function create(attributes: Record<string, unknown>): Promise<TargetRecord> {
    return createResource(
      "Users",
      { ...attributes, schemas: schemasFor(attributes) },
      (resource, path) => toRecord(resource, "POST", path),
      async (found) => {
        const existing = toRecord(found, "GET", "/Users");
        const changes = diff(existing.attributes, attributes);
        return changes.length === 0 ? existing : update(existing.id, changes, attributes);
      },
    );
  }

  function patchValue(value: unknown): unknown {
    if (legacy && typeof value === "boolean") return value ? "True" : "False";
    return value;
  }

  function op(name: "add" | "replace" | "remove"): string {
    return legacy ? name[0]!.toUpperCase() + name.slice(1) : name;
  }

  function patchBody(operations: unknown[]) {
    return { schemas: [PATCH_OP_SCHEMA], Operations: operations };
  }

  function changeOps(changes: readonly AttributeChange[]) {
    return changes.map((change) => {
      const path = scimPath(change.path);
      if (change.new === undefined || change.new === null) return { op: op("remove"), path };
      return { op: op("replace"), path, value: patchValue(change.new) };
    });
  }

  /** PATCH or PUT `/{kind}/{id}`; a stale version is re-read once, since the next write would be blind anyway. */
  async function write(
    kind: Kind,
    id: string,
    method: "PATCH" | "PUT",
    body: unknown,
  ): Promise<Response | undefined> {
    const path = `/${kind}/${encodeURIComponent(id)}`;
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
      ? await write("Users", id, "PATCH", patchBody(changeOps(changes)))
      : await write("Users", id, "PUT", { ...attributes, id, schemas: schemasFor(attributes) });
    // The record is gone: the plan wanted it to exist with these attributes.
    if (res === undefined) return create(attributes);
    if (res.status === 204 || res.body === undefined) {
      const fresh = await send("GET", path);
      expectOk("GET", path, fresh);
      return toRecord(fresh.body, "GET", path);
    }
    return toRecord(res.body, capabilities.patch ? "PATCH" : "PUT", path);
  }

  function gone(method: string, kind: Kind, id: string): never {
    const path = `/${kind}/${encodeURIComponent(id)}`;
    throw failure(
      method,
      root + path,
      { status: 404, headers: {}, body: { detail: `no ${kind} ${id}` } },
      false,
    );
  }

  async function disable(id: string): Promise<void> {
    await discover();
    const path = `/Users/${encodeURIComponent(id)}`;
    if (capabilities.patch) {
      const ops = changeOps([{ path: "active", old: true, new: false }]);
      if ((await write("Users", id, "PATCH", patchBody(ops))) === undefined) gone("PATCH", "Users", id);
      return;
    }
    const current = await send("GET", path);
    expectOk("GET", path, current);
    const record = toRecord(current.body, "GET", path);
    const attributes = { ...record.attributes, active: false };
    const res = await write("Users", id, "PUT", { ...attributes, id, schemas: schemasFor(attributes) });
    if (res === undefined) gone("PUT", "Users", id);
  }

  async function remove(kind: Kind, id: string): Promise<void> {
    const path = `/${kind}/${encodeURIComponent(id)}`;
    const res = await send("DELETE", path);
    // Gone already (a retried DELETE whose first answer was lost) is what was asked.
    if (res.status !== 404) expectOk("DELETE", path, res);
    versions.delete(id);
  }

  function toGroup(resource: unknown, method: string, path: string): GroupRecord {
    const { id, attributes } = toRecord(resource, method, path);
    const members = Array.isArray(attributes.members) ? attributes.members : [];
    return {
      id,
      displayName: String(attributes.displayName ?? ""),
      ...(typeof attributes.externalId === "string" ? { externalId: attributes.externalId } : {}),
      members: members.flatMap((m) => (isBag(m) && typeof m.value === "string" ? [m.value] : [])),
    };
  }

  function groupBody(group: DesiredGroup, id?: string): Record<string, unknown> {
    return {
      schemas: [SCIM_GROUP_SCHEMA],
      ...(id === undefined ? {} : { id }),
      displayName: group.displayName,
      ...(group.externalId === undefined ? {} : { externalId: group.externalId }),
      members: group.members.map((value) => ({ value })),
    };
  }

  /** A group with its members: list answers may leave members out, the resource itself may not. */
  async function readGroup(id: string): Promise<GroupRecord | undefined> {
    const path = `/Groups/${encodeURIComponent(id)}`;
    const res = await send("GET", path);
    if (res.status === 404) return undefined;
    expectOk("GET", path, res);
    return toGroup(res.body, "GET", path);
  }

  /**
   * Member changes as PATCH operations. The standard removes one member per filtered path; Entra's older
   * dialect names the members to remove in the value, which is what services built against it parse.
   */
  function memberOps(added: readonly string[], removed: readonly string[]): unknown[] {
    const ops: unknown[] = [];
    if (added.length > 0)
      ops.push({ op: op("add"), path: "members", value: added.map((value) => ({ value })) });
    if (removed.length === 0) return ops;
    if (legacy) ops.push({ op: op("remove"), path: "members", value: removed.map((value) => ({ value })) });
    else
      for (const value of removed)
        ops.push({ op: op("remove"), path: `members[value eq ${scimFilterValue(value)}]` });
    return ops;
  }

  async function updateGroup(current: GroupRecord, group: DesiredGroup): Promise<GroupRecord> {
    await discover();
    const wanted = new Set(group.members);
    const had = new Set(current.members);
    const added = group.members.filter((m) => !had.has(m));
    const removed = current.members.filter((m) => !wanted.has(m));
    const ops: unknown[] = [];
    if (group.displayName !== current.displayName)
      ops.push({ op: op("replace"), path: "displayName", value: group.displayName });
    if (group.externalId !== undefined && group.externalId !== current.externalId)
      ops.push({ op: op("replace"), path: "externalId", value: group.externalId });
    ops.push(...memberOps(added, removed));
    if (ops.length === 0) return current;
    const res = capabilities.patch
      ? await write("Groups", current.id, "PATCH", patchBody(ops))
      : await write("Groups", current.id, "PUT", groupBody(group, current.id));
    if (res === undefined) return createGroup(group);
    if (isBag(res.body) && typeof res.body.id === "string") toRecord(res.body, "PATCH", "/Groups");
    return { id: current.id, ...group, members: [...group.members] };
  }

  async function createGroup(group: DesiredGroup): Promise<GroupRecord> {
    return createResource(
      "Groups",
      groupBody(group),
      (resource, path) => ({ ...toGroup(resource, "POST", path), members: [...group.members] }),
      async (found) => {
        const existing = await readGroup(toGroup(found, "GET", "/Groups").id);
        return existing ? updateGroup(existing, group) : createGroup(group);
      },
    );
  }

  const groups: GroupTarget = {
    async lookup(keys) {
      const found = await findOne("Groups", keys);
      return found === undefined ? undefined : readGroup(toGroup(found, "GET", "/Groups").id);
    },
    get: readGroup,
    create: createGroup,
    update: updateGroup,
    delete: (id) => remove("Groups", id),
  };

  return {
    get capabilities() {
      return capabilities;
    },
    discover,
    lookup,
    list,
    create,
    update,
    disable,
    delete: (id) => remove("Users", id),
    groups,
    close: client.close,
  };
}
