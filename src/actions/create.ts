/**
 * Creates that survive transient faults without creating twice. A POST that fails with a 5xx, a
 * timeout or a connection reset may or may not have created the object, so the client never retries
 * it blindly. Instead the object is looked up by its unique key (checked free before the first send):
 * if it is there now, that create went through and the object is ours; if not, the POST is resent.
 */
import { ConnectorError, createError, GraphError } from "../errors.ts";
import { changedProperties } from "./patch.ts";
import { isGraphError, REFUSAL } from "./refusals.ts";
import type { DirectoryObject } from "./resolve.ts";
import type { ActionContext, PlannedRequest } from "./types.ts";

/**
 * A repeated create: the object already holding the key is returned when it is what the input asks for
 * (the caller reports `changed: false`), otherwise OBJECT_CONFLICT names both sides. Only properties
 * Graph reads back are compared — a password cannot be; the key itself matched Graph's lookup, which
 * ignores case.
 */
export function existingAsAsked(
  existing: DirectoryObject,
  asked: Record<string, unknown>,
  key: { kind: "user" | "group"; property: string; value: string; action: string },
): DirectoryObject {
  const { [key.property]: _matched, ...compared } = asked;
  const diff = changedProperties(existing, compared);
  if (Object.keys(diff).length === 0) return existing;
  const differences = Object.entries(diff)
    .map(([k, v]) => `${k} is ${quoted(existing[k] ?? null)} there, ${quoted(v)} asked`)
    .join("; ");
  throw createError("OBJECT_CONFLICT", { ...key, existingId: existing.id, differences });
}

/** JSON, with the control characters JSON leaves raw escaped too: the tenant's values are anyone's text. */
function quoted(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Sends after an ambiguous failure; each send is one the client itself does not retry. */
const MAX_SENDS = 4;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface CreateKey {
  kind: "user" | "group";
  /** For messages, e.g. `userPrincipalName ann@contoso.com`. */
  label: string;
  /** The object holding the key, if Graph lists one. */
  find(): Promise<DirectoryObject | undefined>;
  /**
   * Graph refuses a second object with this key (a userPrincipalName, a Microsoft 365 group's
   * mailNickname), so a resend can never duplicate. A security group's mailNickname is not unique in
   * Graph: before resending one, the lookup is repeated until a fresh object would have replicated.
   */
  enforced: boolean;
}

/**
 * A failure after which the object may or may not exist. A 429 is not one: Graph refused before doing
 * anything, and the client has already waited and retried it.
 */
export function isAmbiguousFailure(err: unknown): boolean {
  if (!(err instanceof ConnectorError) || !err.retryable) return false;
  return !(err instanceof GraphError && err.httpStatus === 429);
}

/**
 * Sends `request` (a POST create) and returns the created object: Graph's answer, or — when an answer
 * was lost — the object found under its key. In a dry run nothing is sent and the result is undefined.
 */
export async function createOnce(
  ctx: ActionContext,
  request: PlannedRequest,
  key: CreateKey,
): Promise<DirectoryObject | undefined> {
  let uncertain = false;
  for (let sends = 1; ; sends++) {
    try {
      return await ctx.write<DirectoryObject>(request);
    } catch (err) {
      // The key was free before the first send, so a conflict now is the earlier send's object.
      if (uncertain && key.enforced && isGraphError(err, 400, REFUSAL.conflict)) {
        return await waitForReplica(ctx, key, err);
      }
      if (!isAmbiguousFailure(err) || sends >= MAX_SENDS) throw err;
    }
    uncertain = true;
    const found = key.enforced ? await key.find() : await findWithin(key, ctx.replicationWaitMs);
    if (found) return found;
  }
}

/** Looks the key up until it is found or `waitMs` has passed (Graph lists a new object late, §3). */
async function findWithin(key: CreateKey, waitMs: number): Promise<DirectoryObject | undefined> {
  const started = Date.now();
  let delay = 100;
  for (;;) {
    const found = await key.find();
    if (found) return found;
    const waited = Date.now() - started;
    if (waited >= waitMs) return undefined;
    await sleep(Math.min(delay, waitMs - waited));
    delay = Math.min(delay * 2, 1000);
  }
}

async function waitForReplica(ctx: ActionContext, key: CreateKey, conflict: unknown) {
  const started = Date.now();
  const found = await findWithin(key, ctx.replicationWaitMs);
  if (found) return found;
  const params = { kind: key.kind, id: `with ${key.label}`, waitedMs: Date.now() - started };
  throw createError("REPLICATION_LAG", params, { cause: conflict });
}
