import { isIP } from "node:net";
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

/** Names proxy-addr (Fastify's trustProxy) knows for address ranges. */
const RANGE_NAMES = new Set(["loopback", "linklocal", "uniquelocal"]);

/**
 * `--trust-proxy 10.0.0.5,10.1.0.0/16` or `loopback`: the proxies whose X-Forwarded-For is believed.
 * Only addresses and ranges: trusting every hop would let any client choose its own address.
 */
export function parseTrustedProxies(value: string, field: string): string[] {
  const items = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  for (const item of items) {
    const [address = "", bits, ...rest] = item.split("/");
    const max = isIP(address) === 6 ? 128 : 32;
    const ok =
      RANGE_NAMES.has(item) ||
      (isIP(address) !== 0 &&
        rest.length === 0 &&
        (bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= max)));
    if (!ok) {
      throw createError("CONFIG_INVALID", {
        field,
        problem: `"${item}" is not an address, a CIDR range or loopback/linklocal/uniquelocal; name the proxies in front of the service, e.g. 10.0.0.5,10.1.0.0/16`,
      });
    }
  }
  if (items.length === 0) {
    throw createError("CONFIG_INVALID", {
      field,
      problem:
        "name at least one proxy address, e.g. 127.0.0.1 or 10.1.0.0/16 (leave the setting out to trust none)",
    });
  }
  return items;
}

/** 127.0.0.0/8, ::1 and localhost: no other machine can reach it. */
export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || (isIP(host) === 4 && host.startsWith("127."));
}
