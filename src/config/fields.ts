import { z } from "zod";
import { CLOUD_NAMES } from "../common/clouds.ts";
import { isGuid } from "../common/ids.ts";
import { GROUP_PROPERTIES } from "../directory/groups.ts";
import { chooseProperties, type PropertySpec } from "../directory/properties.ts";
import { APP_PROPERTIES } from "../directory/service-principals.ts";
import { USER_PROPERTIES } from "../directory/users.ts";
import { isConnectorError } from "../errors.ts";
import { type PropertySelection, parsePropertySelection } from "../sync/options.ts";
import { parseDuration } from "./duration.ts";
import { parseListen, parseTrustedProxies } from "./listen.ts";

/**
 * Every setting, where it comes from (flag, environment variable, config-file key) and how it is
 * validated. Values arrive as strings (env, flags) or JSON (file); each schema turns them into the
 * typed value and its error message says what is expected, so a bad value is reported with its source.
 */

const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

const text = (what: string) =>
  z
    .string({ error: `must be ${what}` })
    .trim()
    .min(1, { error: `must be ${what}, not empty` });

const bool = z.union([z.boolean(), z.string()]).transform((v, ctx) => {
  if (typeof v === "boolean") return v;
  const s = v.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(s)) return true;
  if (["0", "false", "no", "off", ""].includes(s)) return false;
  ctx.addIssue({ code: "custom", message: "must be true or false" });
  return z.NEVER;
});

const int = (min: number, max: number) =>
  z.union([z.number(), z.string()]).transform((v, ctx) => {
    const n = typeof v === "number" ? v : Number(v.trim());
    if (!Number.isInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: "custom", message: `must be a whole number from ${min} to ${max}` });
      return z.NEVER;
    }
    return n;
  });

/** An https origin (http only on loopback, for local emulators); the trailing slash is dropped. */
const origin = (example: string, forbidVersion: boolean) =>
  text(`an https URL like ${example}`).transform((v, ctx) => {
    let url: URL;
    try {
      url = new URL(v);
    } catch {
      ctx.addIssue({ code: "custom", message: `must be an https URL like ${example}` });
      return z.NEVER;
    }
    if (url.protocol !== "https:" && !(url.protocol === "http:" && LOOPBACK.has(url.hostname))) {
      ctx.addIssue({ code: "custom", message: `must use https (like ${example})` });
      return z.NEVER;
    }
    const path = url.pathname.replace(/\/+$/, "");
    if (forbidVersion && /^\/(v1\.0|beta)(\/|$)/.test(path)) {
      ctx.addIssue({ code: "custom", message: `must be the Graph root without a version: ${url.origin}` });
      return z.NEVER;
    }
    if (url.search || url.hash) {
      ctx.addIssue({ code: "custom", message: `must not carry a query or fragment (like ${example})` });
      return z.NEVER;
    }
    return url.origin + path;
  });

const SELECTABLE: Record<keyof PropertySelection, readonly PropertySpec[]> = {
  user: USER_PROPERTIES,
  group: GROUP_PROPERTIES,
  app: APP_PROPERTIES,
};
/** A schema over a parser that throws CONFIG_INVALID: its problem becomes the issue's message. */
const parsedBy = <T>(parse: (value: string) => T) =>
  z.union([z.string(), z.number()]).transform((v, ctx): T => {
    try {
      return parse(String(v));
    } catch (err) {
      if (!isConnectorError(err, "CONFIG_INVALID")) throw err;
      ctx.addIssue({ code: "custom", message: String(err.params["problem"]) });
      return z.NEVER;
    }
  });

const PROPERTIES_EXAMPLE = "user:displayName,department;group:displayName";

/**
 * A narrower `$select` per resource: `user:displayName,department;group:displayName`, or in the
 * config file also `{"user": ["displayName", "department"], "group": ["displayName"]}`. Parsed and
 * checked by the sync's own functions, so flag, variable and file accept exactly what a sync does; the
 * check is made here too so that an unknown name is reported with where it came from, before the store
 * is opened.
 */
const propertySelection = z
  .union([z.string(), z.record(z.string(), z.unknown())], {
    error: `must be a selection like ${PROPERTIES_EXAMPLE}`,
  })
  .transform((v, ctx): PropertySelection | undefined => {
    const fail = (message: string) => {
      ctx.addIssue({ code: "custom", message });
      return z.NEVER;
    };
    let spec: string;
    if (typeof v === "string") {
      spec = v;
    } else {
      const parts: string[] = [];
      for (const [resource, list] of Object.entries(v)) {
        if (!Array.isArray(list) || list.some((p) => typeof p !== "string")) {
          return fail(`"${resource}" must list property names, e.g. {"user": ["displayName", "department"]}`);
        }
        parts.push(`${resource}:${list.join(",")}`);
      }
      spec = parts.join(";");
    }
    try {
      const selection = parsePropertySelection(spec);
      for (const [resource, names] of Object.entries(selection ?? {})) {
        chooseProperties(resource, SELECTABLE[resource as keyof PropertySelection], names, []);
      }
      return selection;
    } catch (err) {
      if (!isConnectorError(err, "CONFIG_INVALID")) throw err;
      const resource = String(err.params["field"]);
      const problem = String(err.params["problem"]);
      return fail(resource in SELECTABLE ? `${resource}: ${problem}` : problem);
    }
  });

export const FIELDS = {
  tenantId: {
    help: "tenant GUID or verified domain",
    env: "ENTRA_TENANT_ID",
    flag: "--tenant-id",
    schema: text("a GUID or a domain like contoso.onmicrosoft.com").refine(
      (v) => isGuid(v) || DOMAIN.test(v) || v === "organizations" || v === "common",
      { error: "must be a GUID or a domain like contoso.onmicrosoft.com" },
    ),
  },
  clientId: {
    help: "application (client) ID",
    env: "ENTRA_CLIENT_ID",
    flag: "--client-id",
    schema: text("the Application (client) ID, a GUID").refine((v) => isGuid(v), {
      error: "must be the Application (client) ID, a GUID like 00000000-0000-0000-0000-000000000000",
    }),
  },
  clientSecret: {
    help: "client secret value (never a flag: flags show in process lists)",
    env: "ENTRA_CLIENT_SECRET",
    flag: undefined,
    schema: text("the client secret's Value"),
  },
  clientCertificate: {
    help: "PEM certificate path for certificate sign-in",
    env: "ENTRA_CLIENT_CERTIFICATE",
    flag: "--client-certificate",
    schema: text("the path of a PEM certificate"),
  },
  clientKey: {
    help: "PEM private key path for certificate sign-in",
    env: "ENTRA_CLIENT_KEY",
    flag: "--client-key",
    schema: text("the path of a PEM private key"),
  },
  accessToken: {
    help: "a pre-issued access token, used until it expires",
    env: "ENTRA_ACCESS_TOKEN",
    flag: undefined,
    schema: text("an access token (JWT)"),
  },
  auth: {
    help: "app (application permissions) or delegated (run `login` once)",
    env: "ENTRA_AUTH",
    flag: "--auth",
    schema: z.enum(["app", "delegated"], { error: "must be app (application permissions) or delegated" }),
  },
  cloud: {
    help: "global, usgov, usgovdod or china: picks both hosts",
    default: "global",
    env: "ENTRA_CLOUD",
    flag: "--cloud",
    schema: z.enum(CLOUD_NAMES as [string, ...string[]], {
      error: `must be one of ${CLOUD_NAMES.join(", ")}`,
    }),
  },
  authorityHost: {
    help: "login host, e.g. https://login.microsoftonline.com",
    env: "ENTRA_AUTHORITY_HOST",
    flag: "--authority-host",
    schema: origin("https://login.microsoftonline.com", false),
  },
  graphUrl: {
    help: "Graph root without version, e.g. https://graph.microsoft.com",
    env: "ENTRA_GRAPH_URL",
    flag: "--graph-url",
    schema: origin("https://graph.microsoft.com", true),
  },
  scope: {
    help: "space-separated scopes (default {graph}/.default; delegated adds offline_access)",
    env: "ENTRA_SCOPE",
    flag: "--scope",
    schema: text("space-separated scopes like https://graph.microsoft.com/.default"),
  },
  caFile: {
    help: "extra CA certificate (PEM) to trust besides the system roots",
    env: "ENTRA_CA_FILE",
    flag: "--ca-file",
    schema: text("the path of a PEM CA certificate"),
  },
  store: {
    help: "where the store lives: a SQLite file (a path, sqlite:<path> or file:<path>) or a PostgreSQL URL postgres://user:password@host:5432/database?schema=name (schema default public; statement_timeout=ms, sslmode=… as node-postgres reads them)",
    default: "./entra-connector.db",
    env: "ENTRA_STORE",
    flag: "--store",
    schema: text("a SQLite file path or a postgres:// URL"),
  },
  provisioning: {
    help: "allow writes to the tenant",
    default: "false",
    env: "ENTRA_PROVISIONING",
    flag: "--provisioning",
    schema: bool,
  },
  skipAdGroups: {
    help: "skip groups synced from on-premises AD",
    default: "false",
    env: "ENTRA_SKIP_AD_GROUPS",
    flag: "--skip-ad-groups",
    schema: bool,
  },
  properties: {
    help: `sync only these properties, e.g. ${PROPERTIES_EXAMPLE} (the connector adds those it depends on; in the config file also {"user": ["displayName"]}; default: all it knows)`,
    env: "ENTRA_PROPERTIES",
    flag: "--properties",
    schema: propertySelection,
  },
  logLevel: {
    help: "trace, debug, info, warn, error, fatal or silent",
    default: "info",
    env: "ENTRA_LOG_LEVEL",
    flag: "--log-level",
    schema: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"], {
      error: "must be one of trace, debug, info, warn, error, fatal, silent",
    }),
  },
  timeoutMs: {
    help: "per-request timeout in ms",
    default: "30000",
    env: "ENTRA_TIMEOUT_MS",
    flag: "--timeout-ms",
    schema: int(100, 600_000),
  },
  maxRetries: {
    help: "retries of throttled/transient requests",
    default: "6",
    env: "ENTRA_MAX_RETRIES",
    flag: "--max-retries",
    schema: int(0, 20),
  },
  concurrency: {
    help: "concurrent Graph requests per connection",
    default: "16",
    env: "ENTRA_CONCURRENCY",
    flag: "--concurrency",
    schema: int(1, 256),
  },
  tenantSize: {
    help: "auto, small, medium or large: sizes the throttling budget (auto counts the tenant's users on first use, small if that is refused)",
    default: "auto",
    env: "ENTRA_TENANT_SIZE",
    flag: "--tenant-size",
    schema: z.enum(["auto", "small", "medium", "large"], {
      error: "must be auto (count the users), small (< 50 users), medium (50–500) or large (> 500)",
    }),
  },
  // The service's settings (`serve`): flags of that command only, not global ones.
  listen: {
    help: "where `serve` listens, host:port or [ipv6]:port (loopback unless you say otherwise)",
    default: "127.0.0.1:8080",
    env: "ENTRA_LISTEN",
    flag: "--listen",
    command: "serve",
    schema: parsedBy((v) => parseListen(v, "--listen")),
  },
  metricsOpen: {
    help: "serve /metrics without an API token (for a scraper on a trusted network)",
    default: "false",
    env: "ENTRA_METRICS_OPEN",
    flag: "--metrics-open",
    command: "serve",
    schema: bool,
  },
  shutdownGrace: {
    help: "how long Ctrl-C / SIGTERM lets running syncs finish the page they are writing",
    default: "25s",
    env: "ENTRA_SHUTDOWN_GRACE",
    flag: "--shutdown-grace",
    command: "serve",
    schema: parsedBy((v) => parseDuration(v, "--shutdown-grace", { zero: true })),
  },
  schedule: {
    help: "sync by itself: `every 15m` or a cron expression such as `0 */2 * * *` (default: only on request)",
    env: "ENTRA_SCHEDULE",
    flag: "--schedule",
    command: "serve",
    schema: text("a schedule like `every 15m` or a cron expression"),
  },
  scheduleTimeZone: {
    help: "the IANA time zone of a cron schedule, e.g. Europe/Paris",
    default: "UTC",
    env: "ENTRA_SCHEDULE_TZ",
    flag: "--schedule-time-zone",
    command: "serve",
    schema: text("an IANA time zone such as Europe/Paris"),
  },
  tlsCert: {
    help: "serve https with this PEM certificate file (the chain, server first); needs --tls-key",
    env: "ENTRA_TLS_CERT",
    flag: "--tls-cert",
    command: "serve",
    schema: text("the path of a PEM certificate file"),
  },
  tlsKey: {
    help: "the PEM private key file of --tls-cert",
    env: "ENTRA_TLS_KEY",
    flag: "--tls-key",
    command: "serve",
    schema: text("the path of a PEM private key file"),
  },
  trustProxy: {
    help: "the reverse proxies in front of `serve`, comma-separated addresses or CIDR ranges (or loopback): their X-Forwarded-For names the client (default: none trusted)",
    env: "ENTRA_TRUST_PROXY",
    flag: "--trust-proxy",
    command: "serve",
    schema: parsedBy((v) => parseTrustedProxies(v, "--trust-proxy")),
  },
  allowInsecureListen: {
    help: "listen beyond loopback over plain http without a trusted proxy (API tokens would cross the network in clear)",
    default: "false",
    env: "ENTRA_ALLOW_INSECURE_LISTEN",
    flag: "--allow-insecure-listen",
    command: "serve",
    schema: bool,
  },
  publicUrl: {
    help: "the address browsers reach the service at, for the sign-in redirect ({url}/oauth/callback); default http://<listen address>",
    env: "ENTRA_PUBLIC_URL",
    flag: "--public-url",
    command: "serve",
    schema: origin("https://connector.example.com", false),
  },
  queue: {
    help: "a PostgreSQL URL (postgres://user:pw@host/db) for a job queue shared by `serve --role api` and `worker` processes; never a flag, as it may hold a password (default: jobs run inside `serve`)",
    env: "ENTRA_QUEUE",
    flag: undefined,
    command: "serve",
    schema: text("a PostgreSQL URL like postgres://user@host:5432/db").refine(
      (v) => /^postgres(ql)?:\/\/[^\s]+$/.test(v),
      { error: "must be a PostgreSQL URL like postgres://user@host:5432/db" },
    ),
  },
  queueSchema: {
    help: "the PostgreSQL schema the job queue keeps its tables in",
    default: "entra_jobs",
    env: "ENTRA_QUEUE_SCHEMA",
    flag: "--queue-schema",
    command: "serve",
    schema: text("a schema name like entra_jobs").refine((v) => /^[a-z_][a-z0-9_]{0,62}$/.test(v), {
      error: "must be a lower-case schema name like entra_jobs (letters, digits, _)",
    }),
  },
  role: {
    help: "what `serve` runs: all (API and jobs), api (the API; jobs go to ENTRA_QUEUE for workers) or worker (jobs from ENTRA_QUEUE, and only /healthz, /readyz, /metrics)",
    default: "all",
    env: "ENTRA_ROLE",
    flag: "--role",
    command: "serve",
    schema: z.enum(["all", "api", "worker"], { error: "must be all, api or worker" }),
  },
  jobConcurrency: {
    help: "jobs (syncs of different connections) one process runs at once",
    default: "4",
    env: "ENTRA_JOB_CONCURRENCY",
    flag: "--job-concurrency",
    command: "serve",
    schema: int(1, 64),
  },
  jobLease: {
    help: "how long a queued job's claim lasts unrenewed: a killed worker's job goes to another after it",
    default: "30s",
    env: "ENTRA_JOB_LEASE",
    flag: "--job-lease",
    command: "serve",
    schema: parsedBy((v) => parseDuration(v, "--job-lease", { minMs: 10_000, maxMs: 3_600_000 })),
  },
  jobRetries: {
    help: "how many times a queued sync that failed (or whose worker died) is tried again before it goes to the dead letters",
    default: "3",
    env: "ENTRA_JOB_RETRIES",
    flag: "--job-retries",
    command: "serve",
    schema: int(0, 100),
  },
  jobRetryDelay: {
    help: "the wait before a queued job's first retry; it doubles per retry, up to 10 minutes",
    default: "30s",
    env: "ENTRA_JOB_RETRY_DELAY",
    flag: "--job-retry-delay",
    command: "serve",
    schema: parsedBy((v) => parseDuration(v, "--job-retry-delay", { minMs: 1000, maxMs: 600_000 })),
  },
} as const;

export type FieldName = keyof typeof FIELDS;

/** The command a field's flag belongs to; fields without one are global flags. */
export function fieldCommand(name: FieldName): string | undefined {
  const field = FIELDS[name];
  return "command" in field ? field.command : undefined;
}

/** A field's help with its default, as flags and docs show it: the default is stated only in FIELDS. */
export function fieldHelp(name: FieldName): string {
  const field: { help: string; default?: string } = FIELDS[name];
  return field.default === undefined ? field.help : `${field.help} (default ${field.default})`;
}
export type FieldValues = { [K in FieldName]?: z.output<(typeof FIELDS)[K]["schema"]> };
