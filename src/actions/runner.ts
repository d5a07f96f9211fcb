/**
 * Runs one action: validate the input (nothing is sent for bad input), check the write gate, execute,
 * turn Graph refusals into plain causes, and leave an audit record for every write and dry run.
 */
import type { z } from "zod";
import { ConnectorError, createError, GraphError } from "../errors.ts";
import type { GraphClient } from "../graph/types.ts";
import { maskSecrets } from "../store/changes.ts";
import { createContext, recentlyCreated, withSignal } from "./context.ts";
import { assertWritesEnabled } from "./gate.ts";
import { explainRefusal } from "./refusals.ts";
import type { ActionDefinition, AuditSink, PlannedRequest, RecentlyCreated } from "./types.ts";

export interface ActionDeps {
  graph: GraphClient;
  /** Where write records go (the store's `audit` log); writes are not audited without one. */
  audit?: AuditSink;
  /** The provisioning gate: writes are refused unless true. Reads and dry runs never need it. */
  writesEnabled?: boolean;
  /** Shared between invocations so a user created by one action is waited for by the next. */
  recent?: RecentlyCreated;
  /** How long a just-created object's 404 is retried (default 10 s). */
  replicationWaitMs?: number;
  /** Cancels the action between (and during) requests, e.g. on Ctrl-C. */
  signal?: AbortSignal;
}

export interface RunOptions {
  /** Send nothing; return the exact requests that would be sent. */
  dryRun?: boolean;
}

/** What a dry run adds to an action's output. */
export interface DryRunFields {
  dryRun?: true;
  requests?: PlannedRequest[];
}

const processRecent = recentlyCreated();

/**
 * A deep copy without OData wire annotations (`@odata.context`, `@odata.etag`, …); `@odata.type` stays,
 * since it is what tells a member user from a member group.
 */
function withoutAnnotations<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutAnnotations) as T;
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !k.startsWith("@odata.") || k === "@odata.type")
        .map(([k, v]) => [k, withoutAnnotations(v)]),
    ) as T;
  }
  return value;
}

/** "field.path: problem; …" from a zod error, naming each bad field. */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => `${i.path.length > 0 ? i.path.join(".") : "input"}: ${i.message}`)
    .join("; ");
}

function validateInput<I extends z.ZodType>(def: ActionDefinition<I>, raw: unknown): z.output<I> {
  const parsed = def.input.safeParse(raw ?? {});
  if (!parsed.success)
    throw createError("INPUT_INVALID", { action: def.name, problems: describeIssues(parsed.error) });
  return parsed.data;
}

function lastRequestId(err: unknown): string | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e instanceof GraphError && e.requestId) return e.requestId;
  }
  return undefined;
}

export async function runAction<I extends z.ZodType, O extends z.ZodType>(
  def: ActionDefinition<I, O>,
  rawInput: unknown,
  deps: ActionDeps,
  options: RunOptions = {},
): Promise<z.input<O> & DryRunFields> {
  const input = validateInput(def, rawInput);
  const dryRun = def.write && options.dryRun === true;
  let target =
    typeof (input as { user?: unknown }).user === "string" ? String((input as { user: string }).user) : "";
  let requestId: string | undefined;
  const graph = deps.signal ? withSignal(deps.graph, deps.signal) : deps.graph;
  const info = { action: def.name, permissions: def.permissions, target, graph };
  const ctx = createContext({
    graph,
    dryRun,
    recent: deps.recent ?? processRecent,
    replicationWaitMs: deps.replicationWaitMs ?? 10_000,
    onRequestId: (id) => {
      requestId = id;
    },
    onTarget: (t) => {
      target = t;
      info.target = t;
    },
    explain: (err) => explainRefusal(err, info),
  });
  const audit = async (result: "succeeded" | "failed" | "dry-run", detail: unknown) => {
    if (!def.write || !deps.audit) return;
    await deps.audit.record({
      action: def.name,
      target: target || "(unresolved)",
      input: maskSecrets(input),
      result,
      detail,
      ...(requestId ? { requestId } : {}),
      at: new Date().toISOString(),
    });
  };
  try {
    if (def.write && !dryRun) assertWritesEnabled(deps.writesEnabled === true, `action ${def.name}`);
    const output = withoutAnnotations(await def.run(ctx, input)) as z.input<O> & DryRunFields;
    if (!dryRun) {
      await audit("succeeded", { changed: (output as { changed?: boolean }).changed });
      return output;
    }
    const requests = maskSecrets(ctx.requests) as PlannedRequest[];
    await audit("dry-run", { changed: (output as { changed?: boolean }).changed, requests });
    return Object.assign(output, { dryRun: true as const, requests });
  } catch (err) {
    const explained =
      err instanceof ConnectorError && !(err instanceof GraphError) ? err : await ctx.explain(err);
    requestId ??= lastRequestId(err);
    const failure = explained instanceof ConnectorError ? explained.toJSON() : { message: String(explained) };
    await audit("failed", { error: failure, sent: maskSecrets(ctx.requests) });
    throw explained;
  }
}
