import type { Dispatcher } from "undici";
import { createTokenProvider } from "./auth/credentials.ts";
import { fileTokenStore, type TokenStore } from "./auth/token-store.ts";
import type { TokenProvider } from "./common/tokens.ts";
import type { ConnectorConfig } from "./config/load.ts";
import { type ConnectorGraphClient, createGraphClient } from "./graph/client.ts";
import { createDispatcher } from "./graph/http.ts";
import { Limiter, type SharedBudget } from "./graph/limiter.ts";
import { createLogger, type Logger } from "./log/logger.ts";

/** A ready connection: one pool, one token provider (with its encrypted store), one Graph client. */
export interface Connection {
  config: ConnectorConfig;
  graph: ConnectorGraphClient;
  tokens: TokenProvider;
  store: TokenStore | undefined;
  logger: Logger;
  dispatcher: Dispatcher;
  close(): Promise<void>;
}

export interface ConnectionOptions {
  logger?: Logger;
  /** Read for ENTRA_CONNECTOR_KEY (the token store key); process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** Keep tokens only in memory (no encrypted file). */
  persistTokens?: boolean;
  /** Where tokens persist instead of the state folder's encrypted file (a service state shared by processes). */
  tokenStore?: TokenStore | undefined;
  /** A budget shared with the other processes working this app + tenant (workers on one queue). */
  budget?: SharedBudget;
}

/**
 * Turns a validated config into a ready GraphClient and token provider. Nothing is sent until the
 * first request; bad key material or CA files fail here, before any request.
 *
 * @example
 *   const conn = createConnection(loadConfig());
 *   const org = await conn.graph.get("/organization");
 *   await conn.close();
 */
export function createConnection(config: ConnectorConfig, options: ConnectionOptions = {}): Connection {
  const env = options.env ?? process.env;
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const dispatcher = createDispatcher({
    caFile: config.caFile,
    connections: Math.max(8, config.concurrency),
  });
  const persist = (options.persistTokens ?? true) && config.credential.kind !== "accessToken";
  const store = persist
    ? (options.tokenStore ??
      fileTokenStore({ stateDir: config.stateDir, connectorKey: env["ENTRA_CONNECTOR_KEY"] }))
    : undefined;
  const tokens = createTokenProvider(config, { dispatcher, logger, store });
  const limiter =
    options.budget &&
    new Limiter({
      tenantSize: config.tenantSize,
      concurrency: config.concurrency,
      shared: { budget: options.budget, key: `${config.clientId}@${config.tenantId}` },
    });
  const graph = createGraphClient(config, { dispatcher, tokens, logger, ...(limiter ? { limiter } : {}) });
  return {
    config,
    graph,
    tokens,
    store,
    logger,
    dispatcher,
    async close() {
      await graph.close();
      await dispatcher.close();
    },
  };
}
