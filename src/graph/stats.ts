import type { ClientStats } from "./types.ts";

export type MutableStats = { -readonly [K in keyof ClientStats]: ClientStats[K] };

export function emptyStats(): MutableStats {
  return { requests: 0, resourceUnits: 0, throttled: 0, throttleWaitMs: 0, retries: 0 };
}
