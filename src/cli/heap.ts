/**
 * Memory sizing for the CLI's process. A sync streams the tenant through in pages, so what it keeps
 * alive is small and does not grow with the tenant; but V8 sizes its heap for throughput from the
 * allocation rate, and under a sync's rate it grows the young generation to its maximum and lets the
 * old generation reach several times what is live before collecting it: most of the peak RSS would be
 * garbage. Collecting the old generation at 1.25× what survived keeps little garbage in the peak, at
 * the price of more, smaller collections (at xl, 1.5× peaked ~15 MB higher for ~10% less CPU).
 *
 * Two settings are read only when the process starts, so a command that streams a tenant restarts
 * itself once with them, in place (`process.execve`: same pid, stdio and signals, no parent left):
 * - the young generation's cap. Runtime flags only slow its growth: over a long sync it still reached
 *   its 32 MB maximum, nearly all of it garbage at any moment.
 * - glibc's malloc settings. glibc gives each thread that allocates an arena of its own (main, the
 *   store's thread, V8's four helpers), and memory freed in one is not reused by another; and it keeps
 *   large freed blocks in its arenas (see MALLOC_SETTINGS).
 * See docs/performance.md#memory for the figures.
 */
import { setFlagsFromString } from "node:v8";

/** Per semi-space (the young generation holds two): 8 MB in all instead of V8's 32 MB maximum here. */
export const SEMI_SPACE_MB = 4;

/**
 * glibc's malloc settings, each with the tunable that would set it too (a value the user set either
 * way is kept). One arena instead of one per thread (two left ~15 MB more at xl, for no CPU time
 * measurably saved); and a fixed mmap threshold: by default glibc raises it to the largest block
 * freed (up to 32 MB), after which response bodies and structured-clone buffers of a few MB are carved
 * from the arenas, whose freed holes stay resident, instead of being mapped and unmapped whole.
 */
export const MALLOC_SETTINGS: readonly { env: string; tunable: string; value: string }[] = [
  { env: "MALLOC_ARENA_MAX", tunable: "glibc.malloc.arena_max", value: "1" },
  { env: "MALLOC_MMAP_THRESHOLD_", tunable: "glibc.malloc.mmap_threshold", value: String(128 * 1024) },
];

/** The runtime flags: read at each collection, so they take effect without a restart. */
export function sizeHeapForStreaming(): void {
  setFlagsFromString("--semi-space-growth-factor=1");
  setFlagsFromString("--heap-growing-percent=25");
}

/** Commands that stream a tenant (or serve ones that do): the others start faster without a restart. */
const STREAMING_COMMANDS = new Set(["sync", "watch", "serve", "worker", "demo"]);

/** Whether the CLI's arguments name such a command (the first word that is not a global option or its value). */
export function streamsTenant(args: readonly string[]): boolean {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--config") i++;
    else if (!arg.startsWith("-")) return STREAMING_COMMANDS.has(arg);
  }
  return false;
}

export interface Restart {
  /** Node options to put before the script's path. */
  execArgv: string[];
  /** Variables to add to the environment. */
  env: Record<string, string>;
}

/**
 * What the process lacks of the start-time limits; undefined when it has them all, so a restarted
 * process (or one the user started with its own values) does not restart again.
 */
export function startupLimits(execArgv: readonly string[], env: NodeJS.ProcessEnv): Restart | undefined {
  const flags = [...execArgv, ...(env["NODE_OPTIONS"] ?? "").split(/\s+/)];
  const restart: Restart = { execArgv: [], env: {} };
  if (!flags.some((flag) => /^--max-semi-space-size\b/.test(flag))) {
    restart.execArgv.push(`--max-semi-space-size=${SEMI_SPACE_MB}`);
  }
  for (const setting of MALLOC_SETTINGS) {
    if (env[setting.env] || (env["GLIBC_TUNABLES"] ?? "").includes(setting.tunable)) continue;
    restart.env[setting.env] = setting.value;
  }
  return restart.execArgv.length > 0 || Object.keys(restart.env).length > 0 ? restart : undefined;
}

/**
 * Restarts the process in place with the start-time limits, when it lacks them and the platform can
 * (`process.execve` is POSIX only); otherwise returns and the process runs on as it is. Called before
 * the program's modules load, so the restart costs only Node's own start (~40 ms).
 */
export function restartWithStartupLimits(): void {
  const restart = startupLimits(process.execArgv, process.env);
  if (!restart || typeof process.execve !== "function") return;
  try {
    process.execve(
      process.execPath,
      [process.execPath, ...restart.execArgv, ...process.execArgv, ...process.argv.slice(1)],
      { ...process.env, ...restart.env },
    );
  } catch {
    // Not restarted (e.g. the executable is gone): the limits are an optimisation.
  }
}
