/**
 * The connections a service runs: each a tenant + app + credential with its own store. One may come
 * from the environment (id `default`, as a Kubernetes Deployment configures it, read-only over the
 * API); any number more are managed through the API or the CLI (connection-admin.ts) and kept in the
 * service state. Each opens its Graph connection and its stores on first use; the registry is live:
 * a connection added, replaced or removed at runtime is seen by the routes, the jobs and the scheduler.
 */

import { connectionKey } from "../auth/credentials.ts";
import { loadConnectorKey } from "../auth/secret-box.ts";
import { fileTokenStore, type TokenStore } from "../auth/token-store.ts";
import type { ConnectorConfig } from "../config/load.ts";
import { type ConfigFlags, loadConfig } from "../config/load.ts";
import type { Schedule } from "../config/schedule.ts";
import { type Connection, createConnection } from "../connection.ts";
import { createError } from "../errors.ts";
import type { SharedBudget } from "../graph/limiter.ts";
import { openStore } from "../store/open.ts";
import type { Store } from "../store/types.ts";

/** How a connection signs in, as the API names it. */
export type CredentialType = "secret" | "certificate" | "token" | "delegated";

export interface ServiceConnection {
  id: string;
  name: string;
  source: "environment" | "managed";
  config: ConnectorConfig;
  /** When the service syncs it by itself (none: only on request). */
  schedule: Schedule | undefined;
  /** The kinds a sync takes when the request names none (all when unset). */
  kinds: string | undefined;
  /** The property selection as given (`user:displayName;…`), for display. */
  select: string | undefined;
  /** The time zone of a cron schedule. */
  timeZone: string;
  credentialChangedAt: string | null;
  /** A managed connection's last change as stored, so a process can tell its copy is stale. */
  updatedAt?: string | undefined;
  /** Whether it can sign in: a delegated connection needs a sign-in first. */
  credentialSet(): Promise<boolean>;
  /** The store for reads (in-process: queries are short and many). */
  queries(): Promise<Store>;
  /** The store for a sync (on its own thread, as the CLI's sync), opened per run. */
  openSyncStore(): Promise<Store>;
  graph(): Connection;
  /** The connector key its webhook secrets and URLs are sealed with (ENTRA_CONNECTOR_KEY or the key file). */
  connectorKey(): Promise<Buffer>;
  close(): Promise<void>;
}

export interface ConnectionRegistry {
  list(): ServiceConnection[];
  /** The connection, or CONNECTION_NOT_FOUND. */
  get(id: string): ServiceConnection;
  /** Adds a connection, or replaces the one with its id (closing the old one's Graph client and stores). */
  put(connection: ServiceConnection): Promise<void>;
  /** Removes and closes a connection. */
  remove(id: string): Promise<void>;
  /** Told of every put and remove (`undefined`: removed), e.g. so the scheduler follows schedule changes. */
  onChange(listener: (id: string, connection: ServiceConnection | undefined) => void): void;
  close(): Promise<void>;
}

export function credentialType(config: ConnectorConfig): CredentialType {
  const kind = config.credential.kind;
  return kind === "accessToken" ? "token" : kind;
}

export interface ConnectionExtras {
  name?: string;
  source?: ServiceConnection["source"];
  kinds?: string | undefined;
  select?: string | undefined;
  timeZone?: string;
  credentialChangedAt?: string | null;
  updatedAt?: string | undefined;
  /** Shared with other processes on the same app + tenant (a queue's workers). */
  budget?: SharedBudget | undefined;
  /** Its token cache when not the state folder's file (the shared service state's). */
  tokenStore?: TokenStore | undefined;
}

export function connectionFromConfig(
  id: string,
  config: ConnectorConfig,
  env: NodeJS.ProcessEnv,
  schedule?: Schedule,
  extras: ConnectionExtras = {},
): ServiceConnection {
  let store: Promise<Store> | undefined;
  let graph: Connection | undefined;
  let key: Promise<Buffer> | undefined;
  return {
    id,
    name: extras.name ?? `${config.tenantId} / ${config.clientId}`,
    source: extras.source ?? "environment",
    config,
    schedule,
    kinds: extras.kinds,
    select: extras.select,
    timeZone: extras.timeZone ?? (schedule?.kind === "cron" ? schedule.timeZone : "UTC"),
    credentialChangedAt: extras.credentialChangedAt ?? null,
    updatedAt: extras.updatedAt,
    async credentialSet() {
      if (config.credential.kind !== "delegated") return true;
      const tokens =
        extras.tokenStore ??
        fileTokenStore({ stateDir: config.stateDir, connectorKey: env["ENTRA_CONNECTOR_KEY"] });
      try {
        return (await tokens.get(connectionKey(config)))?.refreshToken !== undefined;
      } catch {
        return false;
      }
    },
    queries() {
      store ??= openStore(config.store);
      return store;
    },
    openSyncStore: () => openStore(config.store, { thread: true }),
    graph() {
      graph ??= createConnection(config, {
        env,
        tokenStore: extras.tokenStore,
        ...(extras.budget ? { budget: extras.budget } : {}),
      });
      return graph;
    },
    connectorKey() {
      key ??= loadConnectorKey({ stateDir: config.stateDir, connectorKey: env["ENTRA_CONNECTOR_KEY"] });
      return key;
    },
    async close() {
      await graph?.close();
      // A store that never opened has nothing to close.
      await (await store?.catch(() => undefined))?.close();
    },
  };
}

/**
 * The connection configured by the environment (ENTRA_TENANT_ID, ENTRA_CLIENT_ID and a credential),
 * as id `default`, synced on its schedule setting (`--schedule` / ENTRA_SCHEDULE), if any; none when
 * no tenant is configured. A configuration that is present but wrong
 * fails here, before the service listens.
 */
export function connectionsFromEnvironment(
  env: NodeJS.ProcessEnv,
  flags: ConfigFlags = {},
): ConnectionRegistry {
  return registryOf(environmentConnections(env, flags));
}

export function environmentConnections(
  env: NodeJS.ProcessEnv,
  flags: ConfigFlags = {},
  budget?: SharedBudget,
): ServiceConnection[] {
  const configured = [env["ENTRA_TENANT_ID"], env["ENTRA_CONFIG"], flags.tenantId, flags.config];
  if (!configured.some((v) => v !== undefined && v !== "")) return [];
  const config = loadConfig({ env, flags });
  return [connectionFromConfig("default", config, env, config.service.schedule, { budget })];
}

export function registryOf(initial: ServiceConnection[]): ConnectionRegistry {
  const byId = new Map(initial.map((c) => [c.id, c]));
  const listeners: ((id: string, c: ServiceConnection | undefined) => void)[] = [];
  const tell = (id: string, c: ServiceConnection | undefined) => {
    for (const l of listeners) l(id, c);
  };
  return {
    list: () => [...byId.values()],
    get(id) {
      const found = byId.get(id);
      if (found === undefined) throw createError("CONNECTION_NOT_FOUND", { id });
      return found;
    },
    async put(connection) {
      const old = byId.get(connection.id);
      byId.set(connection.id, connection);
      tell(connection.id, connection);
      await old?.close();
    },
    async remove(id) {
      const old = byId.get(id);
      byId.delete(id);
      tell(id, undefined);
      await old?.close();
    },
    onChange(listener) {
      listeners.push(listener);
    },
    async close() {
      await Promise.all([...byId.values()].map((c) => c.close()));
    },
  };
}
