/**
 * The emulator CLI's flags → EmulatorOptions, validated: a bad value is an error naming the flag and
 * what it accepts, before anything starts.
 */
import type { EmulatorOptions } from "./emulator.ts";
import { isTenantSize } from "./tenant/sizes.ts";

export class CliUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CliUsageError";
  }
}

export interface CliFlags {
  port?: string;
  size?: string;
  seed?: string;
  latency?: string;
  throttle?: string;
  faultRate?: string;
  permissions?: string;
  http?: boolean;
  users?: string;
  groups?: string;
  apps?: string;
  replicationLagMs?: string;
  deltaTokenTtlMs?: string;
  scimPort?: string;
  scimTokenEnv?: string;
  /** The process's lifetime, not the emulator's: main stops when stdin ends. */
  exitWithParent?: boolean;
}

/**
 * The SCIM service `--scim-port` asks for, its token read from the variable `--scim-token-env` names (a
 * token on the command line would show in every process listing).
 */
export function scimFromFlags(
  flags: CliFlags,
  env: NodeJS.ProcessEnv,
): { port: number; token: string } | undefined {
  if (flags.scimPort === undefined) return undefined;
  const port = integer("--scim-port", flags.scimPort, 0, 65535);
  const name = flags.scimTokenEnv ?? "SCIM_TOKEN";
  const token = env[name] ?? "";
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new CliUsageError(
      `--scim-port needs the SCIM service's bearer token in the environment variable ${name} (printable, no spaces); set it, or name another with --scim-token-env`,
    );
  }
  return { port, token };
}

export function optionsFromFlags(flags: CliFlags): EmulatorOptions {
  const options: EmulatorOptions = {};
  if (flags.port !== undefined) options.port = integer("--port", flags.port, 0, 65535);
  if (flags.size !== undefined) {
    if (!isTenantSize(flags.size))
      throw new CliUsageError(`--size must be one of s, m, l, xl (got "${flags.size}")`);
    options.size = flags.size;
  }
  if (flags.seed !== undefined) options.seed = integer("--seed", flags.seed, 0, 2 ** 31 - 1);
  if (flags.latency !== undefined) {
    if (flags.latency !== "none" && flags.latency !== "graph") {
      throw new CliUsageError(`--latency must be "none" or "graph" (got "${flags.latency}")`);
    }
    options.latency = flags.latency;
  }
  if (flags.throttle !== undefined) {
    if (flags.throttle !== "on" && flags.throttle !== "off") {
      throw new CliUsageError(`--throttle must be "on" or "off" (got "${flags.throttle}")`);
    }
    options.throttle = flags.throttle === "on";
  }
  if (flags.faultRate !== undefined) {
    const rate = Number(flags.faultRate);
    if (flags.faultRate.trim() === "" || !Number.isFinite(rate) || rate < 0 || rate > 1) {
      throw new CliUsageError(`--fault-rate must be a number from 0 to 1 (got "${flags.faultRate}")`);
    }
    options.faultRate = rate;
  }
  if (flags.permissions !== undefined) {
    if (!/^(read|write|[A-Za-z.]+(,[A-Za-z.]+)*)$/.test(flags.permissions)) {
      throw new CliUsageError(
        `--permissions must be "read", "write" or comma-separated Graph permission names such as User.Read.All,Group.Read.All (got "${flags.permissions}")`,
      );
    }
    options.permissions = flags.permissions;
  }
  if (flags.http) options.http = true;
  const counts: NonNullable<EmulatorOptions["counts"]> = {};
  if (flags.users !== undefined) counts.users = integer("--users", flags.users, 0, 2_000_000);
  if (flags.groups !== undefined) counts.groups = integer("--groups", flags.groups, 0, 500_000);
  if (flags.apps !== undefined) counts.apps = integer("--apps", flags.apps, 0, 100_000);
  if (Object.keys(counts).length > 0) options.counts = counts;
  if (flags.replicationLagMs !== undefined) {
    options.replicationLagMs = integer("--replication-lag-ms", flags.replicationLagMs, 0, 600_000);
  }
  if (flags.deltaTokenTtlMs !== undefined) {
    options.deltaTokenTtlMs = integer("--delta-token-ttl-ms", flags.deltaTokenTtlMs, 0, 2 ** 31 - 1);
  }
  return options;
}

function integer(flag: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value.trim()))
    throw new CliUsageError(`${flag} must be a whole number from ${min} to ${max} (got "${value}")`);
  const n = Number(value);
  if (n < min || n > max)
    throw new CliUsageError(`${flag} must be a whole number from ${min} to ${max} (got "${value}")`);
  return n;
}
