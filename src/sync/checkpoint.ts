/**
 * Where a delta-tracked stream (users, groups, apps) stands, saved with every page it commits.
 *
 * - `load`: a full listing is under way. `deltaLink` was taken with `$deltatoken=latest` BEFORE the
 *   listing began, so the next incremental run sees everything that changed while it ran; `round` is
 *   the store's mark-and-sweep round; `next` is the list page to fetch next (null once the listing is
 *   complete and only the sweep is left).
 * - `delta`: incremental. `link` is the saved nextLink of a round in progress or the deltaLink of the
 *   last complete one — either way, the URL to call next.
 *
 * `select` fingerprints the properties asked for: delta tokens encode `$select`, so a different
 * selection needs a new full load rather than a link that tracks the old one.
 * Version 1 is the only format; the step names only ever grow.
 */
import { createError } from "../errors.ts";
import { isOnGraphRoot, originOf } from "../graph/url.ts";
import type { Checkpoint } from "../store/types.ts";

export const CHECKPOINT_VERSION = 1;

export type TrackedPosition =
  | { phase: "load"; select: string; round: number; deltaLink: string; next: string | null }
  | { phase: "delta"; select: string; link: string };

export function toCheckpoint(position: TrackedPosition): Checkpoint {
  return { version: CHECKPOINT_VERSION, data: { ...position } };
}

/** Reads a stored checkpoint; a malformed one or an unknown version is an error, never guessed at. */
export function readPosition(
  stream: string,
  checkpoint: Checkpoint | undefined,
): TrackedPosition | undefined {
  if (!checkpoint) return undefined;
  if (checkpoint.version !== CHECKPOINT_VERSION) {
    throw createError("CONFIG_INVALID", {
      field: `checkpoint of stream ${stream}`,
      problem: `format version ${checkpoint.version} is not known to this version of the connector (it reads ${CHECKPOINT_VERSION}); run a newer connector or start over with \`sync --full\``,
    });
  }
  const d = checkpoint.data;
  const str = (k: string) => typeof d[k] === "string";
  if (d["phase"] === "delta" && str("select") && str("link")) {
    return { phase: "delta", select: d["select"] as string, link: d["link"] as string };
  }
  if (
    d["phase"] === "load" &&
    str("select") &&
    typeof d["round"] === "number" &&
    str("deltaLink") &&
    (d["next"] === null || str("next"))
  ) {
    return {
      phase: "load",
      select: d["select"] as string,
      round: d["round"] as number,
      deltaLink: d["deltaLink"] as string,
      next: d["next"] as string | null,
    };
  }
  throw createError("CONFIG_INVALID", {
    field: `checkpoint of stream ${stream}`,
    problem: "is malformed; start over with `sync --full`",
  });
}

export type StreamPlan =
  | { action: "resume-load"; position: Extract<TrackedPosition, { phase: "load" }> }
  /** `movedFrom`: the origin of the stored links, when they are not on the configured Graph root. */
  | { action: "start-load"; movedFrom?: string }
  | { action: "delta"; link: string };

/**
 * What a stream does this run. A full listing in progress is always resumed (even under `--full`:
 * restarting it would never finish when killed repeatedly); `--full` otherwise starts a new one, as
 * does a changed property selection or no checkpoint at all. Links saved from another Graph root
 * (the same tenant reached at another URL) cannot be followed (the token goes to the configured root
 * only) and say nothing about the new one's delta state: a new full load replaces them.
 */
export function planStream(
  position: TrackedPosition | undefined,
  select: string,
  full: boolean,
  graphRoot: string,
): StreamPlan {
  if (!position || position.select !== select) return { action: "start-load" };
  const foreign = linksOf(position).find((link) => !isOnGraphRoot(graphRoot, link));
  if (foreign !== undefined) return { action: "start-load", movedFrom: originOf(foreign) };
  if (position.phase === "load") return { action: "resume-load", position };
  if (full) return { action: "start-load" };
  return { action: "delta", link: position.link };
}

function linksOf(position: TrackedPosition): string[] {
  if (position.phase === "delta") return [position.link];
  return position.next !== null && /^https?:\/\//i.test(position.next)
    ? [position.deltaLink, position.next]
    : [position.deltaLink];
}
