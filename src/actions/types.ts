import type { z } from "zod";
import type { GraphClient, HttpMethod } from "../graph/types.ts";

/** One Graph request a write sends, or in a dry run would send, exactly as it goes on the wire. */
export interface PlannedRequest {
  method: HttpMethod;
  /** Relative to the Graph version root, e.g. `/groups/{id}/members/$ref`. */
  url: string;
  body?: unknown;
}

/**
 * One audit record per write (and per dry run). Shaped like the store's `AuditInput` so the store's
 * `audit` log can be passed as the sink directly.
 */
export interface AuditRecord {
  action: string;
  /** What the write touched, e.g. `user:<id>` or `group:<id>`; the raw reference when it never resolved. */
  target: string;
  /** The validated input with secrets replaced by "[redacted]". */
  input: unknown;
  result: "succeeded" | "failed" | "dry-run";
  detail?: unknown;
  /** Graph request-id of the last request sent (of the failing one when the write failed). */
  requestId?: string;
  at?: string;
}

/** Where write records go; the store's `audit` log implements it. */
export interface AuditSink {
  record(entry: AuditRecord): Promise<unknown>;
}

/**
 * Objects this process created a moment ago. Graph is eventually consistent: a user created a second
 * ago may answer 404 when referenced, so a 404 on one of these is retried briefly instead of reported.
 */
export interface RecentlyCreated {
  /**
   * `key` names what the object is when it has no name to look it up by, e.g. a role assignment
   * `role:<roleId>:<principalId>`: lists leave a fresh object out, so revoking it needs its id.
   */
  add(id: string, key?: string): void;
  has(id: string): boolean;
  /** The id of a fresh object added under `key`, while lists may still leave it out. */
  idFor(key: string): string | undefined;
  /** After this process deleted it: a 404 is then expected, not lag. */
  forget(id: string): void;
}

/** What an action implementation runs with; built by the runner for one invocation. */
export interface ActionContext {
  graph: GraphClient;
  dryRun: boolean;
  /**
   * Sends a write (or records it in a dry run) and returns its response body. `repeatSafe`: sending it
   * twice leaves the same state (or a refusal we recognise as "already so"), so the client may retry
   * it after a connection reset; PATCH and DELETE always are.
   */
  write<T = unknown>(request: PlannedRequest, options?: { repeatSafe?: boolean }): Promise<T | undefined>;
  /** Requests written so far (sent, or planned in a dry run), in order. */
  readonly requests: PlannedRequest[];
  recent: RecentlyCreated;
  /** How long a 404 on a just-created object is retried before it is reported. */
  replicationWaitMs: number;
  /** Records the audit target once it is known (e.g. `user:<id>`). */
  setTarget(target: string): void;
  /** Turns a Graph refusal into its plain cause (see refusals.ts); other errors come back unchanged. */
  explain(err: unknown): Promise<unknown>;
}

/**
 * A named action: validated input, one implementation, a declared output. `write` actions are gated,
 * dry-runnable and audited; read actions are neither.
 */
export interface ActionDefinition<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  name: string;
  summary: string;
  write: boolean;
  /** Graph application permissions, any one of which allows the action (named in "missing permission" errors). */
  permissions: readonly string[];
  input: I;
  output: O;
  run(ctx: ActionContext, input: z.output<I>): Promise<z.input<O>>;
}
