/**
 * The latency model. `graph` approximates Microsoft Graph from the public cloud as measured by clients
 * in the same region: about 60 ms for a small read, plus about 0.6 ms per object serialised (a 999-user
 * page ≈ 0.66 s; live pages of 999 users are typically 0.5–1.5 s), writes about 150 ms.
 * A little jitter (±20%) keeps concurrent clients from moving in lockstep.
 */
export type LatencyMode = "none" | "graph";

export const GRAPH_LATENCY = {
  readBaseMs: 60,
  writeBaseMs: 150,
  perObjectMs: 0.6,
  jitter: 0.2,
} as const;

export function latencyFor(
  mode: LatencyMode,
  call: { write: boolean; objects: number },
  random: () => number,
): number {
  if (mode === "none") return 0;
  const base = call.write ? GRAPH_LATENCY.writeBaseMs : GRAPH_LATENCY.readBaseMs;
  const ms = base + call.objects * GRAPH_LATENCY.perObjectMs;
  return Math.round(ms * (1 - GRAPH_LATENCY.jitter + 2 * GRAPH_LATENCY.jitter * random()));
}
