/**
 * Mappings in service mode. Each connection's mappings are kept in the connection's own store, so
 * they travel with its data (and `store copy`). The secrets a definition holds (target tokens and
 * passwords, notification secrets) are sealed with the connection's connector key and never answered
 * back; a `${NAME}` reference stays in the document as written and is read from the environment at
 * each run, as the CLI reads it. Runs are `mapping` jobs, one at a time per mapping.
 */
import { parse as parseYaml, stringify as toYaml } from "yaml";
import { z } from "zod";
import { open, seal } from "../auth/secret-box.ts";
import { parseSchedule, type Schedule } from "../config/schedule.ts";
import { createError, isConnectorError } from "../errors.ts";
import {
  checkMapping,
  type MappingRunReport,
  mappingSchema,
  openTarget,
  parseMapping,
  runMapping,
} from "../mapping/index.ts";
import type { MappingDefinition, Store } from "../store/types.ts";
import type { ServiceConnection } from "./connections.ts";
import type { JobHandler } from "./jobs.ts";

export const MAPPING_JOB = "mapping";

/**
 * Where a definition may hold a secret, and where the secret is sent: a secret left out of a replace
 * is kept only while those stay as they were, so changing where it goes needs it given again.
 */
const SECRETS = {
  "target.token": ["target.url"],
  "target.oauth.clientSecret": ["target.oauth.tokenUrl"],
  "target.auth.token": ["target.requests"],
  "target.auth.password": ["target.requests"],
  "target.auth.value": ["target.requests"],
  "notify.email.password": ["notify.email.host", "notify.email.port"],
  "notify.webhook.secret": ["notify.webhook.url"],
} as const;
export const SECRET_PATHS = Object.keys(SECRETS) as (keyof typeof SECRETS)[];

/** A value with a `${NAME}` in it is a reference, kept as written and read at each run. */
const ENV_REFERENCE = /\$\{[A-Za-z_][A-Za-z0-9_]*\}/;

/** The mapping's own keys and the service's: when it runs by itself. */
export const serviceMappingSchema = mappingSchema
  .safeExtend({
    /** As a connection's schedule: `every 15m` or a cron expression, in `timeZone`. */
    schedule: z.string().trim().min(1, "must not be empty").optional(),
    timeZone: z.string().trim().min(1).default("UTC"),
    /** Run incrementally after each successful sync of the connection. */
    afterSync: z.boolean().default(false),
  })
  .superRefine((mapping, ctx) => {
    if (mapping.schedule === undefined) return;
    try {
      parseSchedule(mapping.schedule, mapping.timeZone);
    } catch (err) {
      const problem = isConnectorError(err) ? String(err.params["problem"]) : String(err);
      const field = isConnectorError(err) && String(err.params["field"]).includes("time zone");
      ctx.addIssue({ code: "custom", path: [field ? "timeZone" : "schedule"], message: problem });
    }
  });
export type ServiceMapping = z.infer<typeof serviceMappingSchema>;

/** What the store keeps per mapping (the `data` of its definition). */
interface Stored {
  /** As given, secrets taken out. */
  document: Record<string, unknown>;
  /** The secrets, `{path: value}`, sealed. */
  sealed?: string;
  /** When each secret was last given a new value. */
  secrets: Record<string, string>;
}

export interface MappingSecretView {
  set: true;
  changedAt: string;
}

const label = (connectionId: string, name: string) =>
  `entra-connector/mapping-secrets/v1/${connectionId}/${name}`;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function parentOf(root: Json, path: string): [Json | undefined, string] {
  const segments = path.split(".");
  const last = segments.pop()!;
  let node: unknown = root;
  for (const segment of segments) node = isObject(node) ? node[segment] : undefined;
  return [isObject(node) ? node : undefined, last];
}

function valueAt(root: Json, path: string): unknown {
  const [parent, key] = parentOf(root, path);
  return parent?.[key];
}

function has(root: Json, path: string): boolean {
  const [parent, key] = parentOf(root, path);
  return parent !== undefined && key in parent;
}

/** RFC 7396: objects merge, null removes, anything else replaces. */
function mergePatch(base: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Json = isObject(base) ? structuredClone(base) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

function invalid(source: string, problem: string): Error {
  return createError("MAPPING_INVALID", { source, problem });
}

/** The request's document: YAML or JSON text, or a JSON object. */
function documentOf(body: unknown, source: string): Json {
  let raw = body;
  if (typeof body === "string") {
    try {
      raw = parseYaml(body);
    } catch {
      // parseMapping names the line of the syntax error.
      parseMapping(body, source);
    }
  }
  if (!isObject(raw)) throw invalid(source, "must be a mapping document (YAML or a JSON object)");
  return raw;
}

function unseal(key: Buffer, connectionId: string, name: string, stored: Stored): Record<string, string> {
  if (stored.sealed === undefined) return {};
  return JSON.parse(open(key, stored.sealed, label(connectionId, name)).toString("utf8")) as Record<
    string,
    string
  >;
}

/** The document with its secrets back, escaped so `${` inside a secret is never read as a reference. */
function withSecrets(document: Json, secrets: Record<string, string>): Json {
  const full = structuredClone(document);
  for (const [path, value] of Object.entries(secrets)) {
    const [parent, key] = parentOf(full, path);
    if (parent && !(key in parent)) parent[key] = value.replaceAll("${", "$${");
  }
  return full;
}

export type SaveKind = "create" | "replace" | "patch";

/**
 * Validates and keeps a definition. A replace or patch that leaves a secret out keeps the one held
 * (so a definition can be edited without the secret at hand); `null` removes it.
 */
export async function saveMapping(
  connection: ServiceConnection,
  input: { kind: SaveKind; name?: string; body: unknown },
): Promise<{ definition: MappingDefinition; mapping: ServiceMapping }> {
  const store = await connection.queries();
  const source = input.name ?? "mapping";
  const given = documentOf(input.body, source);
  const name = input.kind === "create" ? given["name"] : input.name;
  const previous = typeof name === "string" ? await store.mappings.definition(name) : undefined;
  if (input.kind === "create" && previous)
    throw createError("MAPPING_EXISTS", { connection: connection.id, mapping: String(name) });
  if (input.kind !== "create" && !previous)
    throw createError("MAPPING_NOT_FOUND", { connection: connection.id, mapping: String(name) });
  const key = await connection.connectorKey();
  const stored = previous?.data as Stored | undefined;
  const held = stored ? unseal(key, connection.id, String(name), stored) : {};

  let raw = input.kind === "patch" ? (mergePatch(stored!.document, given) as Json) : structuredClone(given);
  if (input.kind !== "create") {
    raw["name"] ??= name;
    if (raw["name"] !== name)
      throw invalid(`${source} name`, `is ${JSON.stringify(raw["name"])}; a mapping keeps its name`);
  }
  for (const path of SECRET_PATHS) {
    const [parent, last] = parentOf(raw, path);
    if (parent && parent[last] === null) delete parent[last];
  }
  const sameDestination = (path: string) =>
    SECRETS[path as keyof typeof SECRETS].every(
      (at) => JSON.stringify(valueAt(raw, at)) === JSON.stringify(valueAt(stored!.document, at)),
    );
  const kept = Object.fromEntries(
    Object.entries(held).filter(([path]) => !has(given, path) && sameDestination(path)),
  );
  raw = withSecrets(raw, kept);

  // The text as given keeps its line numbers; a document rebuilt here is checked as YAML.
  const text =
    typeof input.body === "string" && input.kind !== "patch" && Object.keys(kept).length === 0
      ? input.body
      : toYaml(raw);
  const mapping = parseMapping(text, source, { schema: serviceMappingSchema });
  await checkMapping(mapping);

  const document = structuredClone(raw);
  const secrets: Record<string, string> = {};
  for (const path of SECRET_PATHS) {
    const [parent, last] = parentOf(document, path);
    const value = parent?.[last];
    if (typeof value !== "string" || ENV_REFERENCE.test(value)) continue;
    secrets[path] = kept[path] === undefined ? value : held[path]!;
    delete parent![last];
  }
  const now = new Date().toISOString();
  const changedAt = Object.fromEntries(
    Object.entries(secrets).map(([path, value]) => [
      path,
      held[path] === value ? (stored?.secrets[path] ?? now) : now,
    ]),
  );
  const data: Stored = {
    document,
    secrets: changedAt,
    ...(Object.keys(secrets).length > 0
      ? { sealed: seal(key, Buffer.from(JSON.stringify(secrets)), label(connection.id, mapping.name)) }
      : {}),
  };
  const definition = await store.mappings.putDefinition(mapping.name, data as unknown as Json);
  return { definition, mapping };
}

/** The definition as the API shows it: the document without secrets, and when each was set. */
export function definitionView(definition: MappingDefinition): {
  document: Json;
  secrets: Record<string, MappingSecretView>;
} {
  const stored = definition.data as unknown as Stored;
  return {
    document: stored.document,
    secrets: Object.fromEntries(
      Object.entries(stored.secrets).map(([path, changedAt]) => [path, { set: true as const, changedAt }]),
    ),
  };
}

/** The service's settings of a definition, read without its secrets (for lists and the scheduler). */
export function mappingSettings(definition: MappingDefinition): {
  schedule: Schedule | undefined;
  afterSync: boolean;
} {
  const document = (definition.data as unknown as Stored).document;
  const text = document["schedule"];
  const timeZone = typeof document["timeZone"] === "string" ? document["timeZone"] : "UTC";
  return {
    schedule: typeof text === "string" ? parseSchedule(text, timeZone) : undefined,
    afterSync: document["afterSync"] === true,
  };
}

export async function findDefinition(
  connection: ServiceConnection,
  store: Store,
  name: string,
): Promise<MappingDefinition> {
  const definition = await store.mappings.definition(name);
  if (!definition) throw createError("MAPPING_NOT_FOUND", { connection: connection.id, mapping: name });
  return definition;
}

/** The runnable mapping: secrets unsealed, `${NAME}` read from the environment now. */
export async function readMapping(
  connection: ServiceConnection,
  definition: MappingDefinition,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<ServiceMapping> {
  const stored = definition.data as unknown as Stored;
  const secrets = unseal(await connection.connectorKey(), connection.id, definition.name, stored);
  return parseMapping(toYaml(withSecrets(stored.document, secrets)), definition.name, {
    schema: serviceMappingSchema,
    env,
  });
}

export interface MappingJobInput {
  mapping: string;
  mode?: "incremental" | "full";
  dryRun?: boolean;
  user?: string;
  allowDeletes?: boolean;
  /** What started it: the API, the schedule or a sync. */
  trigger?: "api" | "schedule" | "afterSync";
}

/** Failures listed in a job's result; the per-record log holds them all. */
const FAILURES_SHOWN = 100;
/** Planned actions a job's result keeps: a job row is no place for a whole tenant's plan. */
const ACTIONS_SHOWN = 1000;

/** A run's report as a job keeps it: figures and the run; the plan only for a dry run or one user. */
export function jobResult(report: MappingRunReport): Record<string, unknown> {
  const failed = report.outcomes.filter((o) => o.result === "failed");
  const withPlan = report.dryRun || report.kind === "user";
  return {
    status: report.quarantine || report.run?.status === "failed" ? "failed" : "succeeded",
    mapping: report.mapping,
    kind: report.kind,
    dryRun: report.dryRun,
    ...(report.run ? { run: report.run } : {}),
    counts: report.counts,
    users: report.users,
    cursor: report.cursor,
    threshold: report.plan.threshold,
    held: report.plan.held.length,
    failures: failed
      .slice(0, FAILURES_SHOWN)
      .map((o) => ({ userId: o.action.userId, action: o.action.kind, error: o.error ?? "" })),
    ...(report.quarantine ? { quarantine: report.quarantine } : {}),
    ...(report.steps ? { steps: report.steps } : {}),
    ...(withPlan ? { plan: shownPlan(report) } : {}),
    ...(report.notifications ? { notifications: report.notifications } : {}),
  };
}

/** The plan without the users nothing happens to, and at most ACTIONS_SHOWN actions of each list. */
function shownPlan(report: MappingRunReport): Record<string, unknown> {
  const actions = report.plan.actions.filter(
    (a) => a.kind !== "skip" || (a.reason !== "upToDate" && a.reason !== "notProvisioned"),
  );
  const { held } = report.plan;
  return {
    actions: actions.slice(0, ACTIONS_SHOWN),
    held: held.slice(0, ACTIONS_SHOWN),
    ...(actions.length > ACTIONS_SHOWN || held.length > ACTIONS_SHOWN
      ? { truncated: { actions: actions.length, held: held.length } }
      : {}),
  };
}

/** The `mapping` job: one run of the library's runMapping on the connection's store. */
export function mappingJob(connection: (id: string) => ServiceConnection): JobHandler {
  return async ({ job, signal }) => {
    const input = job.input as unknown as MappingJobInput;
    const c = connection(job.connectionId);
    const store = await c.queries();
    const mapping = await readMapping(c, await findDefinition(c, store, input.mapping));
    const target = openTarget(mapping);
    try {
      const report = await runMapping({
        mapping,
        store,
        target,
        full: input.mode === "full",
        dryRun: input.dryRun === true,
        ...(input.user ? { user: input.user } : {}),
        allowDeletes: input.allowDeletes === true,
        signal,
      });
      return jobResult(report);
    } finally {
      await target.close();
    }
  };
}
