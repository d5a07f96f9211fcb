import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { decodeClaims } from "../common/claims.ts";
import { CLOUDS, type CloudName, cloudsOfHost } from "../common/clouds.ts";
import { createError } from "../errors.ts";
import type { TenantSize } from "../graph/limiter.ts";
import type { PropertySelection } from "../sync/options.ts";
import { FIELDS, type FieldName, type FieldValues } from "./fields.ts";
import { parseSchedule, type Schedule } from "./schedule.ts";

export type Credential =
  | { kind: "secret"; clientSecret: string }
  | { kind: "certificate"; certificateFile: string; keyFile: string }
  /** A certificate held in memory (a managed connection's, opened from its sealed envelope). */
  | { kind: "certificate"; certificatePem: string; privateKeyPem: string }
  | { kind: "accessToken"; accessToken: string }
  /** Delegated sign-in (auth code + PKCE, then refresh tokens); the secret is for confidential apps. */
  | { kind: "delegated"; clientSecret?: string };

/** What every command shares, signed in or not. */
export interface ConnectorSettings {
  store: string;
  /** Folder holding the encrypted token store and its key file. */
  stateDir: string;
  provisioning: boolean;
  skipAdGroups: boolean;
  /** `--properties` / ENTRA_PROPERTIES: a narrower `$select` for sync; absent = every property it knows. */
  properties: PropertySelection | undefined;
  logLevel: "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";
  timeoutMs: number;
  maxRetries: number;
  concurrency: number;
  /** `auto`: the Graph client learns it from the user count on first use. */
  tenantSize: TenantSize;
  /** What `serve` needs beyond the connection. */
  service: ServiceSettings;
}

export interface ServiceSettings {
  listen: { host: string; port: number };
  metricsOpen: boolean;
  shutdownGraceMs: number;
  /** When the service syncs the connection by itself; undefined: only on request. */
  schedule: Schedule | undefined;
  /** Where browsers reach the service (the sign-in redirect); undefined: http://<listen address>. */
  publicUrl: string | undefined;
  /** https: the certificate and key files (both or neither). */
  tls: { certFile: string; keyFile: string } | undefined;
  /** Proxies whose X-Forwarded-For names the client; empty: none. */
  trustProxy: string[];
  /** Plain http beyond loopback without a trusted proxy. */
  allowInsecureListen: boolean;
}

export interface ConnectorConfig extends ConnectorSettings {
  tenantId: string;
  clientId: string;
  credential: Credential;
  cloud: CloudName;
  /** Login host origin, e.g. https://login.microsoftonline.com. */
  authorityHost: string;
  /** Graph root without version, e.g. https://graph.microsoft.com. */
  graphUrl: string;
  graphVersion: "v1.0" | "beta";
  scopes: string[];
  caFile: string | undefined;
}

/** Flag values as commander parses them (camelCase keys of FIELDS, plus `config`). */
export type ConfigFlags = Partial<Record<FieldName | "config", string | boolean | number | undefined>>;

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  flags?: ConfigFlags;
  cwd?: string;
}

function readConfigFile(path: string): Record<string, unknown> {
  let raw: string;
  try {
    raw = readFileSync(path, "utf8");
  } catch (err) {
    throw createError("CONFIG_FILE_UNREADABLE", {
      path,
      reason: (err as NodeJS.ErrnoException).code ?? "error",
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw createError("CONFIG_FILE_UNREADABLE", { path, reason: `invalid JSON (${(err as Error).message})` });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw createError("CONFIG_FILE_UNREADABLE", { path, reason: "must be a JSON object" });
  }
  const unknown = Object.keys(parsed).filter((k) => !(k in FIELDS));
  if (unknown.length > 0) {
    throw createError("CONFIG_INVALID", {
      field: `${path}: ${unknown[0]}`,
      problem: `unknown setting; known settings are ${Object.keys(FIELDS).join(", ")}`,
    });
  }
  return parsed as Record<string, unknown>;
}

/**
 * Picks each field from flags, then env, then the config file, then its default (as written in FIELDS),
 * validating it and naming its source.
 */
function collect(
  env: NodeJS.ProcessEnv,
  flags: ConfigFlags,
  file: Record<string, unknown>,
  filePath: string | undefined,
): { values: FieldValues; sources: Partial<Record<FieldName, string>> } {
  const values: Record<string, unknown> = {};
  const sources: Partial<Record<FieldName, string>> = {};
  for (const name of Object.keys(FIELDS) as FieldName[]) {
    const field = FIELDS[name];
    let raw: unknown;
    let source: string;
    if (flags[name] !== undefined && field.flag !== undefined) {
      raw = flags[name];
      source = field.flag;
    } else if (env[field.env] !== undefined && env[field.env] !== "") {
      raw = env[field.env];
      source = field.env;
    } else if (file[name] !== undefined) {
      raw = file[name];
      source = `${filePath}: ${name}`;
    } else if ("default" in field) {
      raw = field.default;
      source = `the default of ${field.env}`;
    } else {
      continue;
    }
    const result = field.schema.safeParse(raw);
    if (!result.success) {
      throw createError("CONFIG_INVALID", {
        field: source,
        problem: result.error.issues[0]?.message ?? "invalid",
      });
    }
    values[name] = result.data;
    sources[name] = source;
  }
  return { values: values as FieldValues, sources };
}

function mustExist(path: string, source: string, cwd: string): string {
  const abs = resolve(cwd, path);
  if (!existsSync(abs))
    throw createError("CONFIG_INVALID", { field: source, problem: `file ${abs} does not exist` });
  return abs;
}

function pickCredential(v: FieldValues, src: Partial<Record<FieldName, string>>, cwd: string): Credential {
  if (v.auth === "delegated") {
    return v.clientSecret === undefined
      ? { kind: "delegated" }
      : { kind: "delegated", clientSecret: v.clientSecret };
  }
  if (v.accessToken !== undefined) return { kind: "accessToken", accessToken: v.accessToken };
  if (v.clientCertificate !== undefined || v.clientKey !== undefined) {
    if (v.clientCertificate === undefined || v.clientKey === undefined) {
      const missing = v.clientCertificate === undefined ? "ENTRA_CLIENT_CERTIFICATE" : "ENTRA_CLIENT_KEY";
      throw createError("CONFIG_INVALID", {
        field: missing,
        problem:
          "a certificate credential needs both ENTRA_CLIENT_CERTIFICATE and ENTRA_CLIENT_KEY (PEM paths)",
      });
    }
    return {
      kind: "certificate",
      certificateFile: mustExist(v.clientCertificate, src.clientCertificate!, cwd),
      keyFile: mustExist(v.clientKey, src.clientKey!, cwd),
    };
  }
  if (v.clientSecret !== undefined) return { kind: "secret", clientSecret: v.clientSecret };
  throw createError("CONFIG_INVALID", {
    field: "ENTRA_CLIENT_SECRET",
    problem:
      "no credential configured: set ENTRA_CLIENT_SECRET, or ENTRA_CLIENT_CERTIFICATE + ENTRA_CLIENT_KEY, or ENTRA_ACCESS_TOKEN, or ENTRA_AUTH=delegated and run `entra-connector login`",
  });
}

function stringClaim(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

function required<T>(value: T | undefined, field: string, problem: string): T {
  if (value === undefined) throw createError("CONFIG_INVALID", { field, problem });
  return value;
}

interface Collected {
  values: FieldValues;
  sources: Partial<Record<FieldName, string>>;
  cwd: string;
}

/** Flags, environment and the config file (`--config` / ENTRA_CONFIG), read and validated once. */
function read(options: LoadConfigOptions): Collected {
  const env = options.env ?? process.env;
  const flags = options.flags ?? {};
  const cwd = options.cwd ?? process.cwd();
  const configPath = (flags.config as string | undefined) || env["ENTRA_CONFIG"];
  const filePath = configPath ? resolve(cwd, configPath) : undefined;
  const file = filePath ? readConfigFile(filePath) : {};
  return { ...collect(env, flags, file, filePath), cwd };
}

function settingsOf({ values: v, sources, cwd }: Collected): ConnectorSettings {
  const store = v.store!;
  const storeIsUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(store);
  return {
    store,
    stateDir: storeIsUrl ? cwd : dirname(resolve(cwd, store)),
    provisioning: v.provisioning!,
    skipAdGroups: v.skipAdGroups!,
    properties: v.properties,
    logLevel: v.logLevel!,
    timeoutMs: v.timeoutMs!,
    maxRetries: v.maxRetries!,
    concurrency: v.concurrency!,
    tenantSize: v.tenantSize!,
    service: {
      listen: v.listen!,
      metricsOpen: v.metricsOpen!,
      shutdownGraceMs: v.shutdownGrace!,
      schedule:
        v.schedule === undefined
          ? undefined
          : parseSchedule(v.schedule, v.scheduleTimeZone!, sources.schedule ?? "ENTRA_SCHEDULE"),
      publicUrl: v.publicUrl,
      tls: tlsFiles(v.tlsCert, v.tlsKey, cwd),
      trustProxy: v.trustProxy ?? [],
      allowInsecureListen: v.allowInsecureListen!,
    },
  };
}

/** Both files or neither: a certificate without its key (or the reverse) cannot serve https. */
function tlsFiles(cert: string | undefined, key: string | undefined, cwd: string) {
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined) {
    throw createError("CONFIG_INVALID", {
      field: cert === undefined ? "--tls-cert" : "--tls-key",
      problem: `https needs both the certificate (--tls-cert, ENTRA_TLS_CERT) and its private key (--tls-key, ENTRA_TLS_KEY); give the missing one, or neither to serve plain http`,
    });
  }
  return { certFile: resolve(cwd, cert), keyFile: resolve(cwd, key) };
}

/**
 * The settings that need no credential (the store, logging, limits): what the store-query commands
 * use, resolved from the same flags, environment and config file as `loadConfig`.
 *
 * @example const { store } = loadSettings({ env: process.env, flags: { config: "connector.json" } });
 */
export function loadSettings(options: LoadConfigOptions = {}): ConnectorSettings {
  return settingsOf(read(options));
}

/**
 * Reads flags, environment variables and the JSON config file (flags win, then env, then file) into
 * one validated config. Throws CONFIG_INVALID naming the bad field and what it should be, before any
 * request is sent.
 *
 * @example
 *   const config = loadConfig({ env: process.env, flags: { tenantId: "contoso.onmicrosoft.com" } });
 */
export function loadConfig(options: LoadConfigOptions = {}): ConnectorConfig {
  const collected = read(options);
  return configOf(collected, pickCredential(collected.values, collected.sources, collected.cwd));
}

/** What a managed connection (service mode) brings itself; the rest comes from the service's settings. */
export interface ConnectionSettings {
  tenantId: string;
  clientId: string;
  cloud?: string | undefined;
  credential: Credential;
  /** Its own store and state folder (its token cache), so two connections never share data. */
  store: string;
  stateDir: string;
  provisioning: boolean;
  skipAdGroups: boolean;
  /** A `--properties` selection, as ENTRA_PROPERTIES takes it. */
  properties?: string | undefined;
}

/**
 * The config of a connection the service manages: its tenant, app, cloud and credential, with the
 * service's own hosts, CA file and limits (flags, environment, config file). The service's scope is not
 * taken: it belongs to the service's own credential. Each value is validated as its setting is.
 */
export function loadConnectionConfig(options: LoadConfigOptions, c: ConnectionSettings): ConnectorConfig {
  const base = read(options);
  const own = collect(
    {},
    {
      tenantId: c.tenantId,
      clientId: c.clientId,
      cloud: c.cloud ?? base.values.cloud,
      store: c.store,
      provisioning: c.provisioning,
      skipAdGroups: c.skipAdGroups,
      properties: c.properties,
    },
    {},
    undefined,
  );
  const values: FieldValues = {
    ...base.values,
    scope: undefined,
    tenantId: own.values.tenantId,
    clientId: own.values.clientId,
    cloud: own.values.cloud,
    store: own.values.store,
    provisioning: own.values.provisioning,
    skipAdGroups: own.values.skipAdGroups,
    properties: own.values.properties,
  };
  const config = configOf({ ...base, values }, c.credential);
  return { ...config, stateDir: c.stateDir };
}

function configOf(collected: Collected, credential: Credential): ConnectorConfig {
  const { values: v, sources, cwd } = collected;
  // A pre-issued token names its own tenant and app; the variables are then optional.
  const claims = credential.kind === "accessToken" ? decodeClaims(credential.accessToken) : undefined;
  const tenantId = required(
    v.tenantId ?? stringClaim(claims?.tid),
    "ENTRA_TENANT_ID",
    "required: the Directory (tenant) ID or a verified domain",
  );
  const clientId = required(
    v.clientId ?? stringClaim(claims?.appid ?? claims?.["azp"]),
    "ENTRA_CLIENT_ID",
    "required: the Application (client) ID, a GUID",
  );

  const cloud = v.cloud as CloudName;
  const authorityHost = v.authorityHost ?? CLOUDS[cloud].authorityHost;
  const graphUrl = v.graphUrl ?? CLOUDS[cloud].graphUrl;
  checkSameCloud(authorityHost, graphUrl);
  // Overriding the hosts (as for the emulator) keeps the cloud's resource: tokens are minted for
  // Graph's well-known identifier, not for whatever host serves it.
  const resource = CLOUDS[cloud].graphUrl;
  const defaultScopes =
    credential.kind === "delegated" ? ["offline_access", `${resource}/.default`] : [`${resource}/.default`];
  const scopes = v.scope ? v.scope.split(/\s+/).filter(Boolean) : defaultScopes;
  if (credential.kind === "delegated" && !scopes.includes("offline_access")) scopes.unshift("offline_access");
  if (credential.kind !== "delegated" && (scopes.length !== 1 || !scopes[0]!.endsWith("/.default"))) {
    throw createError("CONFIG_INVALID", {
      field: sources.scope ?? "ENTRA_SCOPE",
      problem: `app-only tokens take exactly one scope ending in /.default, like ${resource}/.default`,
    });
  }

  return {
    ...settingsOf(collected),
    tenantId,
    clientId,
    credential,
    cloud,
    authorityHost,
    graphUrl,
    graphVersion: "v1.0",
    scopes,
    caFile: v.caFile === undefined ? undefined : mustExist(v.caFile, sources.caFile!, cwd),
  };
}

/** Login in one cloud and Graph in another can never work; say so before any request. */
function checkSameCloud(authorityHost: string, graphUrl: string): void {
  const login = cloudsOfHost(authorityHost);
  const graph = cloudsOfHost(graphUrl);
  if (login.length > 0 && graph.length > 0 && !login.some((c) => graph.includes(c))) {
    throw createError("CONFIG_INVALID", {
      field: "ENTRA_GRAPH_URL",
      problem: `${graphUrl} belongs to the ${graph.join("/")} cloud but ${authorityHost} to ${login.join("/")}; set ENTRA_CLOUD instead of both hosts`,
    });
  }
}
