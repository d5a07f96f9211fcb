import type { ChangeEvent, PageResult } from "./types.ts";

/**
 * Page results whose events are kept as JSON text and parsed only if read. A full load's pages make a
 * million events, which most callers only count; the SQLite writer writes each event's text as it
 * stores it (reusing the object's JSON it has anyway), and the text crosses from the store's thread as
 * one string instead of a million cloned objects.
 */
const TEXTS = new WeakMap<PageResult, string>();

/** A result whose `events` are `json` (an array), parsed on first use. */
export function lazyPageResult(objects: number, changes: number, json: string): PageResult {
  let events: ChangeEvent[] | undefined;
  const result: PageResult = {
    objects,
    changes,
    get events() {
      events ??= JSON.parse(json) as ChangeEvent[];
      return events;
    },
  };
  TEXTS.set(result, json);
  return result;
}

/** The events as JSON text: the text a lazy result was made from, else serialised now. */
export function eventsText(result: PageResult): string {
  return TEXTS.get(result) ?? JSON.stringify(result.events);
}
