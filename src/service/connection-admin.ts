/**
 * Connections managed through the API and the CLI: created, changed, tested and removed at runtime,
 * stored in the service state with the credential sealed by the secret box (the same key as the token
 * store: ENTRA_CONNECTOR_KEY or the state folder's key file), each with its own store and token cache
 * under `<state dir>/.entra-connector/connections/<id>/`, so two connections never share data. With a
 * PostgreSQL store the connection's store is a schema of that database instead (connectionStore), and its
 * token cache is in the service state (state-tokens.ts), so every replica and worker reads and writes
 * the same ones, a sign-in taken through one used by all; followConnections keeps each process's
 * registry in step with the connections other processes create, change and remove.
 * Every change is written to the service state's audit log with the API token (or `cli`) that made it.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { selectCapabilities } from "../auth/capabilities.ts";
import { type CheckReport, checkConnection } from "../auth/check.ts";
import { loadCertificate } from "../auth/client-assertion.ts";
import { adminConsentUrl, connectionKey } from "../auth/credentials.ts";
import { authorizeUrl, pkcePair, redeemCode } from "../auth/interactive-login.ts";
import { loginError } from "../auth/login-errors.ts";
import { open, seal, secretsDir } from "../auth/secret-box.ts";
import { fileTokenStore, type TokenStore } from "../auth/token-store.ts";
import { FIELDS } from "../config/fields.ts";
import { type ConfigFlags, type Credential, loadConnectionConfig } from "../config/load.ts";
import { parseSchedule } from "../config/schedule.ts";
import { createError, toConnectorError } from "../errors.ts";
import type { SharedBudget } from "../graph/limiter.ts";
import { dropSchema, isPostgresUrl, parsePostgresUrl } from "../store/postgres/database.ts";
import { parseKinds } from "../sync/options.ts";
import {
  type ConnectionRegistry,
  connectionFromConfig,
  environmentConnections,
  registryOf,
  type ServiceConnection,
} from "./connections.ts";
import type { ConnectionOptionsRecord, ConnectionRecord, ServiceState } from "./state.ts";
import { stateTokenStore } from "./state-tokens.ts";

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

export const CredentialInput = z.discriminatedUnion("type", [
  z.object({ type: z.literal("secret"), secret: z.string().min(1) }),
  z.object({
    type: z.literal("certificate"),
    certificatePem: z.string().min(1),
    privateKeyPem: z.string().min(1),
  }),
  z.object({ type: z.literal("token"), token: z.string().min(1) }),
  z.object({ type: z.literal("delegated") }),
]);
export type CredentialInput = z.infer<typeof CredentialInput>;

export const ConnectionOptionsInput = z.object({
  /** The kinds a sync takes when the request names none, e.g. `users,groups`. */
  kinds: z.string().optional(),
  /** A narrower `$select`, as ENTRA_PROPERTIES takes it. */
  select: z.string().optional(),
  /** The provisioning gate: whether writes to the tenant are allowed. */
  provisioning: z.boolean().optional(),
  /** `every 15m` or a cron expression; null: only on request. */
  schedule: z.string().nullable().optional(),
  timeZone: z.string().optional(),
  skipOnPremGroups: z.boolean().optional(),
});

export const CreateConnectionInput = z.object({
  id: z
    .string()
    .regex(SLUG, {
      error: "must be lowercase letters, digits and '-' (1-64, not starting or ending with '-')",
    })
    .optional(),
  name: z.string().trim().min(1).max(200),
  tenantId: FIELDS.tenantId.schema,
  clientId: FIELDS.clientId.schema,
  cloud: FIELDS.cloud.schema.optional(),
  credential: CredentialInput,
  options: ConnectionOptionsInput.optional(),
});
export type CreateConnectionInput = z.infer<typeof CreateConnectionInput>;

export const UpdateConnectionInput = CreateConnectionInput.omit({ id: true }).partial();
export type UpdateConnectionInput = z.infer<typeof UpdateConnectionInput>;

/** The connection test as the API answers it (from the library's checkConnection report). */
export const CheckView = z.object({
  ok: z.boolean(),
  error: z.object({ code: z.string(), message: z.string(), fix: z.string().optional() }).optional(),
  items: z.array(
    z.object({
      capability: z.string(),
      status: z.enum(["granted", "missing"]),
      permission: z.string(),
      fix: z.string().optional(),
    }),
  ),
  consentUrl: z.string().optional(),
});
export type CheckView = z.infer<typeof CheckView>;

export function checkView(report: CheckReport): CheckView {
  const view: CheckView = {
    ok: report.ok,
    items: report.capabilities.map((c) =>
      c.granted
        ? { capability: c.id, status: "granted" as const, permission: c.grantedBy.join(", ") }
        : {
            capability: c.id,
            status: "missing" as const,
            permission: c.missing.map((m) => m.add).join(", "),
            fix: `add ${c.missing.map((m) => m.add).join(", ")} to the app's API permissions, then grant admin consent`,
          },
    ),
  };
  if (report.error) {
    const { code, message, fix } = report.error;
    view.error = { code, message, ...(fix ? { fix } : {}) };
  }
  if (!report.ok) view.consentUrl = report.consentUrl;
  return view;
}

/** Who asked: the API token's name, or `cli`. */
export type Actor = string;

export interface ConnectionAdmin {
  create(
    input: CreateConnectionInput,
    actor: Actor,
  ): Promise<{ connection: ServiceConnection; check: CheckView }>;
  update(
    id: string,
    input: UpdateConnectionInput,
    actor: Actor,
  ): Promise<{ connection: ServiceConnection; check?: CheckView }>;
  remove(id: string, actor: Actor): Promise<void>;
  test(id: string, signal?: AbortSignal): Promise<CheckView>;
  /** Starts a browser sign-in for a delegated connection: the address to send the user to. */
  startSignIn(id: string, actor: Actor): Promise<{ authorizeUrl: string }>;
  /** Completes one from the redirect: stores the refresh token sealed for its connection. */
  finishSignIn(answer: SignInAnswer): Promise<{ connectionId: string }>;
}

export interface SignInAnswer {
  code?: string | undefined;
  state?: string | undefined;
  error?: string | undefined;
  error_description?: string | undefined;
}

export interface ConnectionAdminOptions {
  state: ServiceState;
  registry: ConnectionRegistry;
  /** The secret box key (loadConnectorKey). */
  key: Buffer;
  /** The service's own settings (hosts, CA file, limits), which managed connections share. */
  env: NodeJS.ProcessEnv;
  flags?: ConfigFlags;
  stateDir: string;
  /** Where the browser reaches the service (the sign-in redirect is `{publicUrl}/oauth/callback`); asked when needed, as it may be known only once the service listens. */
  publicUrl?: () => string | undefined;
  /** The running sync of a connection, if any: a connection is not changed under it. */
  busy?: (id: string) => Promise<string | undefined>;
  now?: () => Date;
  /** The Graph budget shared with other processes (the queue's workers); each connection spends its app + tenant's. */
  budget?: SharedBudget | undefined;
  /** The service's own store: when a PostgreSQL URL, each managed connection's store is a schema of its database. */
  store?: string | undefined;
}

type LiveOptions = Pick<
  ConnectionAdminOptions,
  "key" | "env" | "flags" | "stateDir" | "budget" | "store" | "state"
>;

const credentialLabel = (id: string) => `entra-connector/connection-credential/v1/${id}`;
const VERIFIER_LABEL = "entra-connector/oauth-verifier/v1";
const SIGN_IN_TTL_MS = 10 * 60_000;

/** Where a managed connection keeps its store and token cache. */
export function connectionDir(stateDir: string, id: string): string {
  return join(secretsDir(stateDir), "connections", id);
}

/**
 * A managed connection's store: beside its token cache, or with a PostgreSQL service store the schema
 * `<store schema>_c_<id>` of its database ('-' becomes '_', which ids never hold, so two ids never
 * share a schema); a name past PostgreSQL's 63 characters ends in a digest of the id instead.
 */
export function connectionStore(options: Pick<LiveOptions, "stateDir" | "store">, id: string): string {
  if (options.store === undefined || !isPostgresUrl(options.store)) {
    return join(connectionDir(options.stateDir, id), "store.db");
  }
  const base = parsePostgresUrl(options.store).schema;
  let schema = `${base}_c_${id.replaceAll("-", "_")}`;
  if (schema.length > 63) {
    const tag = createHash("sha256").update(`${base}/${id}`).digest("hex").slice(0, 12);
    schema = `${schema.slice(0, 50)}_${tag}`;
  }
  const url = new URL(options.store);
  url.searchParams.set("schema", schema);
  return url.href;
}

/** A managed connection's token cache: in the service state when it keeps one (PostgreSQL), else its folder's file. */
function connectionTokens(options: Pick<LiveOptions, "state" | "stateDir" | "key">, id: string): TokenStore {
  const cache = options.state.tokenCache;
  if (cache !== undefined) return stateTokenStore(cache, id, options.key);
  return fileTokenStore({
    stateDir: connectionDir(options.stateDir, id),
    connectorKey: options.key.toString("base64"),
  });
}

/** Removes a managed connection's store: its folder, and its schema when the store is PostgreSQL's. */
async function dropStore(options: Pick<LiveOptions, "stateDir" | "store">, id: string): Promise<void> {
  const store = connectionStore(options, id);
  if (isPostgresUrl(store)) await dropSchema(parsePostgresUrl(store));
  await rm(connectionDir(options.stateDir, id), { recursive: true, force: true });
}

function toCredential(input: CredentialInput): Credential {
  switch (input.type) {
    case "secret":
      return { kind: "secret", clientSecret: input.secret };
    case "certificate":
      return {
        kind: "certificate",
        certificatePem: input.certificatePem,
        privateKeyPem: input.privateKeyPem,
      };
    case "token":
      return { kind: "accessToken", accessToken: input.token };
    case "delegated":
      return { kind: "delegated" };
  }
}

/** The environment a managed connection's Graph connection reads: the service's, with the key it seals with. */
function envWithKey(env: NodeJS.ProcessEnv, key: Buffer): NodeJS.ProcessEnv {
  return { ...env, ENTRA_CONNECTOR_KEY: key.toString("base64") };
}

/** A stored connection made live: its credential opened, its config and schedule validated. */
export function managedConnection(record: ConnectionRecord, options: LiveOptions): ServiceConnection {
  let credential: CredentialInput;
  try {
    credential = JSON.parse(
      open(options.key, record.credential, credentialLabel(record.id)).toString("utf8"),
    ) as CredentialInput;
  } catch (err) {
    throw createError(
      "CONFIG_INVALID",
      {
        field: "ENTRA_CONNECTOR_KEY",
        problem: `the credential of connection ${record.id} cannot be opened with this key; use the key it was stored with, or set the credential again`,
      },
      { cause: err },
    );
  }
  return liveConnection(record.id, record, toCredential(credential), options);
}

interface ConnectionShape {
  name: string;
  tenantId: string;
  clientId: string;
  /** Unset: the service's own cloud. */
  cloud: string | undefined;
  credentialChangedAt: string | null;
  options: ConnectionOptionsRecord;
  updatedAt: string;
}

function liveConnection(
  id: string,
  shape: ConnectionShape,
  credential: Credential,
  options: LiveOptions,
): ServiceConnection {
  const dir = connectionDir(options.stateDir, id);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const o = shape.options;
  const config = loadConnectionConfig(
    { env: options.env, flags: options.flags ?? {} },
    {
      tenantId: shape.tenantId,
      clientId: shape.clientId,
      cloud: shape.cloud,
      credential,
      store: connectionStore(options, id),
      stateDir: dir,
      provisioning: o.provisioning ?? false,
      skipAdGroups: o.skipOnPremGroups ?? false,
      properties: o.select,
    },
  );
  if (credential.kind === "certificate" && "certificatePem" in credential) loadCertificate(credential);
  const timeZone = o.timeZone ?? "UTC";
  const schedule = o.schedule ? parseSchedule(o.schedule, timeZone, "options.schedule") : undefined;
  if (o.kinds !== undefined) {
    try {
      parseKinds(o.kinds);
    } catch (err) {
      throw createError("CONFIG_INVALID", {
        field: "options.kinds",
        problem: String(toConnectorError(err).params["problem"]),
      });
    }
  }
  return connectionFromConfig(id, config, envWithKey(options.env, options.key), schedule, {
    name: shape.name,
    source: "managed",
    kinds: o.kinds,
    select: o.select,
    timeZone,
    credentialChangedAt: shape.credentialChangedAt,
    updatedAt: shape.updatedAt,
    budget: options.budget,
    tokenStore: connectionTokens(options, id),
  });
}

/** The service's connections at start: the environment's (if configured) and every managed one. */
export async function openConnections(
  options: Pick<ConnectionAdminOptions, "state"> & LiveOptions,
): Promise<ConnectionRegistry> {
  return registryOf([
    ...environmentConnections(options.env, options.flags, options.budget),
    ...(await options.state.listConnections()).map((r) => managedConnection(r, options)),
  ]);
}

export interface ConnectionFollower {
  /** Brings the registry in step with the state now (one digest query when nothing changed). */
  refresh(): Promise<void>;
  stop(): void;
}

/**
 * Keeps a process's registry in step with managed connections other processes (API replicas, the CLI)
 * create, change or remove in a shared state: the state's connection digest is read every `everyMs`,
 * and on a change the changed connections are replaced and the removed ones closed. Refreshes run one
 * after another, so one asked for after a change always sees it. A connection that cannot be made live
 * (e.g. stored with another key) is reported and left as it was.
 */
export function followConnections(
  options: Pick<ConnectionAdminOptions, "state" | "registry"> &
    LiveOptions & { everyMs: number; onError: (id: string | undefined, err: unknown) => void },
): ConnectionFollower {
  const { state, registry } = options;
  const version = state.connectionsVersion?.bind(state);
  if (version === undefined) return { refresh: async () => {}, stop: () => {} };
  let seen: string | undefined;
  const run = async () => {
    const now = await version();
    if (now === seen) return;
    const records = await state.listConnections();
    const stored = new Set(records.map((r) => r.id));
    for (const c of registry.list()) {
      if (c.source === "managed" && !stored.has(c.id)) await registry.remove(c.id);
    }
    const live = new Map(registry.list().map((c) => [c.id, c]));
    for (const r of records) {
      if (live.get(r.id)?.updatedAt === r.updatedAt) continue;
      try {
        await registry.put(managedConnection(r, options));
      } catch (err) {
        options.onError(r.id, err);
      }
    }
    // Read before the list: a change landing between the two is fetched again next time.
    seen = now;
  };
  let chain: Promise<void> = Promise.resolve();
  const refresh = () => {
    chain = chain.then(run, run);
    return chain;
  };
  const timer = setInterval(
    () => refresh().catch((err: unknown) => options.onError(undefined, err)),
    options.everyMs,
  );
  timer.unref();
  return { refresh, stop: () => clearInterval(timer) };
}

function slugOf(name: string): string {
  const slug = name
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 64)
    .replace(/-+$/, "");
  return slug === "" ? "connection" : slug;
}

const digest = (state: string) => createHash("sha256").update(state).digest("hex");

export function connectionAdmin(options: ConnectionAdminOptions): ConnectionAdmin {
  const { state, registry, key } = options;
  const now = options.now ?? (() => new Date());

  const managed = async (id: string): Promise<ConnectionRecord> => {
    const c = registry.get(id);
    const record = (await state.listConnections()).find((r) => r.id === id);
    if (record === undefined) {
      throw createError("CONNECTION_READ_ONLY", { id: c.id, change: "changed or removed" });
    }
    return record;
  };

  const refuseWhileSyncing = async (id: string) => {
    const running = await options.busy?.(id);
    if (running !== undefined) throw createError("SYNC_ALREADY_RUNNING", { connection: id, runId: running });
  };

  /** Drops every token cached for a connection, in memory too once the connection is replaced. */
  const dropTokens = (id: string) => connectionTokens(options, id).discard();

  const test = async (c: ServiceConnection, signal?: AbortSignal): Promise<CheckView> => {
    const { ids } = selectCapabilities(c.config.provisioning ? ["sync", "write"] : ["sync"]);
    const g = c.graph();
    return checkView(await checkConnection(c.config, g.tokens, g.graph, ids, signal));
  };

  const freeId = (input: CreateConnectionInput): string => {
    const taken = (id: string) => registry.list().some((c) => c.id === id);
    if (input.id !== undefined) {
      if (taken(input.id)) throw createError("CONNECTION_ID_TAKEN", { id: input.id });
      return input.id;
    }
    const base = slugOf(input.name);
    let id = base;
    for (let n = 2; taken(id); n++) id = `${base.slice(0, 60)}-${n}`;
    return id;
  };

  const sealed = (id: string, credential: CredentialInput) =>
    seal(key, Buffer.from(JSON.stringify(credential)), credentialLabel(id));

  return {
    async create(input, actor) {
      const id = freeId(input);
      const at = now().toISOString();
      const shape: ConnectionShape = {
        name: input.name,
        tenantId: input.tenantId,
        clientId: input.clientId,
        cloud: input.cloud,
        credentialChangedAt: input.credential.type === "delegated" ? null : at,
        options: input.options ?? {},
        updatedAt: at,
      };
      // A folder or schema left by an earlier connection of this id holds nothing of this one.
      await dropStore(options, id);
      let connection: ServiceConnection;
      try {
        // Everything is validated before anything is stored.
        connection = liveConnection(id, shape, toCredential(input.credential), options);
      } catch (err) {
        await rm(connectionDir(options.stateDir, id), { recursive: true, force: true });
        throw err;
      }
      await state.insertConnection({
        id,
        ...shape,
        cloud: connection.config.cloud,
        credentialType: input.credential.type,
        credential: sealed(id, input.credential),
        createdAt: at,
      });
      await state.audit({
        actor,
        action: "create",
        connectionId: id,
        detail: {
          name: input.name,
          tenantId: input.tenantId,
          clientId: input.clientId,
          credential: input.credential.type,
        },
      });
      await registry.put(connection);
      return { connection, check: await test(connection) };
    },

    async update(id, input, actor) {
      const record = await managed(id);
      await refuseWhileSyncing(id);
      const at = now().toISOString();
      const signInChanged =
        input.credential !== undefined ||
        (input.tenantId !== undefined && input.tenantId !== record.tenantId) ||
        (input.clientId !== undefined && input.clientId !== record.clientId) ||
        (input.cloud !== undefined && input.cloud !== record.cloud);
      const next: ConnectionRecord = {
        ...record,
        name: input.name ?? record.name,
        tenantId: input.tenantId ?? record.tenantId,
        clientId: input.clientId ?? record.clientId,
        cloud: input.cloud ?? record.cloud,
        options: { ...record.options, ...input.options },
        updatedAt: at,
      };
      if (input.credential !== undefined) {
        next.credentialType = input.credential.type;
        next.credential = sealed(id, input.credential);
        next.credentialChangedAt = input.credential.type === "delegated" ? null : at;
      }
      const connection = managedConnection(next, options);
      await state.updateConnection(next);
      const changed = Object.keys(input).filter((k) => k !== "credential");
      if (changed.length > 0)
        await state.audit({ actor, action: "update", connectionId: id, detail: { changed } });
      if (signInChanged) {
        // Tokens of the old credential must never answer for the new one.
        await dropTokens(id);
        if (input.credential !== undefined) {
          await state.audit({
            actor,
            action: "credential",
            connectionId: id,
            detail: { type: input.credential.type },
          });
        }
      }
      await registry.put(connection);
      return signInChanged ? { connection, check: await test(connection) } : { connection };
    },

    async remove(id, actor) {
      await managed(id);
      await refuseWhileSyncing(id);
      await state.deleteConnection(id);
      await state.audit({ actor, action: "delete", connectionId: id, detail: {} });
      await registry.remove(id);
      await dropStore(options, id);
    },

    test: (id, signal) => test(registry.get(id), signal),

    async startSignIn(id, actor) {
      const record = await managed(id);
      if (record.credentialType !== "delegated") {
        throw createError("CONFIG_INVALID", {
          field: "credential.type",
          problem: `connection ${id} signs in with its ${record.credentialType}; the browser sign-in is for delegated connections (PATCH it with {"credential": {"type": "delegated"}} first)`,
        });
      }
      const c = registry.get(id);
      const { verifier, challenge } = pkcePair();
      const stateValue = randomBytes(32).toString("base64url");
      await state.putOAuthState({
        digest: digest(stateValue),
        connectionId: id,
        actor,
        verifier: seal(key, Buffer.from(verifier), VERIFIER_LABEL),
        expiresAt: new Date(now().getTime() + SIGN_IN_TTL_MS),
      });
      await state.audit({ actor, action: "sign-in", connectionId: id, detail: { step: "started" } });
      return {
        authorizeUrl: authorizeUrl(c.config, { redirectUri: redirectUri(), state: stateValue, challenge }),
      };
    },

    async finishSignIn(answer) {
      const pending = answer.state ? await state.takeOAuthState(digest(answer.state)) : undefined;
      if (pending === undefined) throw createError("OAUTH_STATE_INVALID", {});
      const c = registry.get(pending.connectionId);
      const g = c.graph();
      const deps = { dispatcher: g.dispatcher, logger: g.logger, store: g.store };
      if (answer.error !== undefined) {
        const body = { error: answer.error, error_description: answer.error_description ?? answer.error };
        throw loginError(400, body, undefined, {
          tenant: c.config.tenantId,
          clientId: c.config.clientId,
          authorityHost: c.config.authorityHost,
          consentUrl: adminConsentUrl(c.config),
        });
      }
      if (answer.code === undefined) {
        throw createError("AUTH_LOGIN_FAILED", { reason: "the sign-in answer carried no code" });
      }
      const verifier = open(key, pending.verifier, VERIFIER_LABEL).toString("utf8");
      const token = await redeemCode(c.config, deps, {
        code: answer.code,
        redirectUri: redirectUri(),
        verifier,
      });
      await g.store?.set(connectionKey(c.config), token);
      const record = await managed(c.id);
      const next = { ...record, credentialChangedAt: now().toISOString(), updatedAt: now().toISOString() };
      await state.updateConnection(next);
      await state.audit({
        actor: pending.actor,
        action: "credential",
        connectionId: c.id,
        detail: { type: "delegated", step: "signed in" },
      });
      // A fresh connection, so its token provider reads the refresh token just stored.
      await registry.put(managedConnection(next, options));
      return { connectionId: c.id };
    },
  };

  function redirectUri(): string {
    const publicUrl = options.publicUrl?.();
    if (publicUrl === undefined) {
      throw createError("CONFIG_INVALID", {
        field: "ENTRA_PUBLIC_URL",
        problem: "the browser sign-in needs the address browsers reach the service at (--public-url)",
      });
    }
    return `${publicUrl}/oauth/callback`;
  }
}
