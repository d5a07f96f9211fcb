/**
 * One measured sync in its own process (so its peak RSS is the connector's alone): reads the
 * connection from the environment, runs a full or incremental sync, prints one JSON line.
 */
import { restartWithStartupLimits, sizeHeapForStreaming } from "../src/cli/heap.ts";

// Sized as the CLI sizes its own process (src/cli/main.ts).
restartWithStartupLimits();
sizeHeapForStreaming();
// Loaded after the restart, so that the measured process loads them once.
const { createConnection, loadConfig, parseKinds, runSync } = await import("../src/index.ts");
const { openStore } = await import("../src/store/index.ts");
const full = process.argv.includes("--full");
/** `--partition-users-from N`: SyncOptions.partitionUsersFrom (a huge N measures the plain listing). */
const partitionAt = process.argv.indexOf("--partition-users-from");
const partitionUsersFrom = partitionAt >= 0 ? Number(process.argv[partitionAt + 1]) : undefined;
const config = loadConfig({ env: process.env });
const store = await openStore(config.store, { thread: true });
const connection = createConnection(config, { env: process.env, persistTokens: false });
const started = performance.now();
/** Peak of each part of the process's memory, sampled: where the RSS goes. */
const peakMb: Record<string, number> = {};
const sampler = setInterval(() => {
  for (const [part, bytes] of Object.entries(process.memoryUsage())) {
    const mb = Math.round(bytes / 2 ** 20);
    if (part === "rss" && mb > (peakMb[part] ?? 0))
      peakMb["rssPeakAtS"] = Math.round((performance.now() - started) / 1000);
    peakMb[part] = Math.max(peakMb[part] ?? 0, mb);
  }
}, 100);
/** The main thread's time in garbage collection: what the heap sizing costs. */
let gcMs = 0;
const gcObserver = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration;
});
gcObserver.observe({ entryTypes: ["gc"] });
/** When each stream reached each phase (s since start): where the wall time goes. */
const timeline: Record<string, string[]> = {};
const summary = await runSync({
  observer: {
    phase(stream, phase) {
      const at = `${phase}@${((performance.now() - started) / 1000).toFixed(1)}`;
      timeline[stream] = [...(timeline[stream] ?? []), at];
    },
  },
  client: connection.graph,
  store,
  tenantId: config.tenantId,
  options: {
    kinds: parseKinds(undefined),
    full,
    skipAdGroups: false,
    ...(partitionUsersFrom !== undefined ? { partitionUsersFrom } : {}),
  },
});
const wallMs = performance.now() - started;
clearInterval(sampler);
gcObserver.disconnect();
await connection.close();
await store.close();
process.stdout.write(
  `${JSON.stringify({
    wallMs,
    // The sync's own CPU time: near the wall time means the store, not Graph's budget, set the pace.
    cpuMs: (process.resourceUsage().userCPUTime + process.resourceUsage().systemCPUTime) / 1000,
    /** Of which in the kernel (page faults, mmap and munmap, futexes). */
    systemCpuMs: process.resourceUsage().systemCPUTime / 1000,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    peakMb,
    gcMs,
    status: summary.run.status,
    kind: summary.run.kind,
    objects: summary.totals.objects,
    changes: summary.totals.changes,
    client: summary.client,
    streams: summary.streams,
    warnings: summary.warnings,
    timeline,
  })}\n`,
);
