import { createError } from "../errors.ts";

/** Splits `host:port` (`[::1]:8080` for IPv6); loopback unless told otherwise. */
export function parseListen(value: string, field: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value.trim());
  const port = Number(match?.[3]);
  if (!match || port > 65535) {
    throw createError("CONFIG_INVALID", {
      field,
      problem: `must be host:port, e.g. 127.0.0.1:8080 (got "${value}")`,
    });
  }
  return { host: match[1] ?? match[2]!, port };
}
