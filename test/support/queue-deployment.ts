/**
 * One deployment's `serve --role api` and `--role worker` services on the PostgreSQL queue
 * (ENTRA_TEST_POSTGRES) in a schema of their own, for tests; close() stops them and drops the schema.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import pg from "pg";
import {
  connectionsFromEnvironment,
  createLogger,
  loadConnectorKey,
  openServiceState,
  type RunningService,
  type ServiceState,
  startService,
} from "../../src/index.ts";

const POSTGRES = process.env["ENTRA_TEST_POSTGRES"] ?? "postgres://postgres@127.0.0.1:5432/test";

export interface QueueDeployment {
  /** The API's handle on the service state. */
  state: ServiceState;
  start(role: "api" | "worker"): Promise<RunningService>;
  close(): Promise<void>;
}

export async function queueDeployment(options: {
  dir: string;
  env: NodeJS.ProcessEnv;
  schemaPrefix: string;
}): Promise<QueueDeployment> {
  const { dir, env } = options;
  const schema = `${options.schemaPrefix}_${randomBytes(4).toString("hex")}`;
  const statePath = join(dir, "service.db");
  const state = openServiceState(statePath);
  const key = await loadConnectorKey({ stateDir: dir });
  const services: RunningService[] = [];
  return {
    state,
    async start(role) {
      const service = await startService({
        // Each its own handle on the state file, as separate processes have.
        state: role === "api" ? state : openServiceState(statePath),
        connections: connectionsFromEnvironment(env),
        managed: { key, env, stateDir: dir },
        logger: createLogger({ level: "silent" }),
        version: "test",
        listen: { host: "127.0.0.1", port: 0 },
        metricsOpen: false,
        graceMs: 1000,
        role,
        queue: { connectionString: POSTGRES, schema, leaseMs: 10_000, retries: 1, retryDelayMs: 1000 },
      });
      services.push(service);
      return service;
    },
    async close() {
      for (const s of services) await s.close().catch(() => {});
      const client = new pg.Client({ connectionString: POSTGRES });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}
