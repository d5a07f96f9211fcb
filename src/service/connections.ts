/**
 * The connections a service runs: each a tenant + app + credential with its own store. Today they
 * come from the environment (one connection, as a Kubernetes Deployment configures it); each opens
 * its Graph connection and its stores on first use and keeps them for the service's life.
 */

import { loadConnectorKey } from "../auth/secret-box.ts";
import type { ConnectorConfig } from "../config/load.ts";
import { type ConfigFlags, loadConfig } from "../config/load.ts";
import type { Schedule } from "../config/schedule.ts";
import { type Connection, createConnection } from "../connection.ts";
import { createError } from "../errors.ts";
import { openStore } from "../store/open.ts";
import type { Store } from "../store/types.ts";

export interface ServiceConnection {
  id: string;
  name: string;
  source: "environment";
  config: ConnectorConfig;
  /** When the service syncs it by itself (none: only on request). */
  schedule: Schedule | undefined;
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
  close(): Promise<void>;
}

export function connectionFromConfig(
  id: string,
  config: ConnectorConfig,
  env: NodeJS.ProcessEnv,
  schedule?: Schedule,
): ServiceConnection {
  let store: Promise<Store> | undefined;
  let graph: Connection | undefined;
  let key: Promise<Buffer> | undefined;
  return {
    id,
    name: `${config.tenantId} / ${config.clientId}`,
    source: "environment",
    config,
    schedule,
    queries() {
      store ??= openStore(config.store);
      return store;
    },
    openSyncStore: () => openStore(config.store, { thread: true }),
    graph() {
      graph ??= createConnection(config, { env });
      return graph;
    },
    connectorKey() {
      key ??= loadConnectorKey({ stateDir: config.stateDir, connectorKey: env["ENTRA_CONNECTOR_KEY"] });
      return key;
    },
    async close() {
      await graph?.close();
      await (await store)?.close();
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
  const list: ServiceConnection[] = [];
  const configured = [env["ENTRA_TENANT_ID"], env["ENTRA_CONFIG"], flags.tenantId, flags.config];
  if (configured.some((v) => v !== undefined && v !== "")) {
    const config = loadConfig({ env, flags });
    list.push(connectionFromConfig("default", config, env, config.service.schedule));
  }
  return registryOf(list);
}

export function registryOf(list: ServiceConnection[]): ConnectionRegistry {
  return {
    list: () => list,
    get(id) {
      const found = list.find((c) => c.id === id);
      if (found === undefined) throw createError("CONNECTION_NOT_FOUND", { id });
      return found;
    },
    async close() {
      await Promise.all(list.map((c) => c.close()));
    },
  };
}
