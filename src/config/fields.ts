import { z } from "zod";
import { CLOUD_NAMES } from "./clouds.ts";

/**
 * Every setting, where it comes from (flag, environment variable, config-file key) and how it is
 * validated. Values arrive as strings (env, flags) or JSON (file); each schema turns them into the
 * typed value and its error message says what is expected, so a bad value is reported with its source.
 */

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

export function isGuid(value: string): boolean {
  return GUID.test(value);
}

const text = (what: string) =>
  z
    .string({ error: `must be ${what}` })
    .trim()
    .min(1, { error: `must be ${what}, not empty` });

const bool = z.union([z.boolean(), z.string()]).transform((v, ctx) => {
  if (typeof v === "boolean") return v;
  const s = v.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(s)) return true;
  if (["0", "false", "no", "off", ""].includes(s)) return false;
  ctx.addIssue({ code: "custom", message: "must be true or false" });
  return z.NEVER;
});

const int = (min: number, max: number) =>
  z.union([z.number(), z.string()]).transform((v, ctx) => {
    const n = typeof v === "number" ? v : Number(v.trim());
    if (!Number.isInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: "custom", message: `must be a whole number from ${min} to ${max}` });
      return z.NEVER;
    }
    return n;
  });

/** An https origin (http only on loopback, for local emulators); the trailing slash is dropped. */
const origin = (example: string, forbidVersion: boolean) =>
  text(`an https URL like ${example}`).transform((v, ctx) => {
    let url: URL;
    try {
      url = new URL(v);
    } catch {
      ctx.addIssue({ code: "custom", message: `must be an https URL like ${example}` });
      return z.NEVER;
    }
    if (url.protocol !== "https:" && !(url.protocol === "http:" && LOOPBACK.has(url.hostname))) {
      ctx.addIssue({ code: "custom", message: `must use https (like ${example})` });
      return z.NEVER;
    }
    const path = url.pathname.replace(/\/+$/, "");
    if (forbidVersion && /^\/(v1\.0|beta)(\/|$)/.test(path)) {
      ctx.addIssue({ code: "custom", message: `must be the Graph root without a version: ${url.origin}` });
      return z.NEVER;
    }
    if (url.search || url.hash) {
      ctx.addIssue({ code: "custom", message: `must not carry a query or fragment (like ${example})` });
      return z.NEVER;
    }
    return url.origin + path;
  });

export const FIELDS = {
  tenantId: {
    env: "ENTRA_TENANT_ID",
    flag: "--tenant-id",
    schema: text("a GUID or a domain like contoso.onmicrosoft.com").refine(
      (v) => GUID.test(v) || DOMAIN.test(v) || v === "organizations" || v === "common",
      { error: "must be a GUID or a domain like contoso.onmicrosoft.com" },
    ),
  },
  clientId: {
    env: "ENTRA_CLIENT_ID",
    flag: "--client-id",
    schema: text("the Application (client) ID, a GUID").refine((v) => GUID.test(v), {
      error: "must be the Application (client) ID, a GUID like 00000000-0000-0000-0000-000000000000",
    }),
  },
  clientSecret: { env: "ENTRA_CLIENT_SECRET", flag: undefined, schema: text("the client secret's Value") },
  clientCertificate: {
    env: "ENTRA_CLIENT_CERTIFICATE",
    flag: "--client-certificate",
    schema: text("the path of a PEM certificate"),
  },
  clientKey: { env: "ENTRA_CLIENT_KEY", flag: "--client-key", schema: text("the path of a PEM private key") },
  accessToken: { env: "ENTRA_ACCESS_TOKEN", flag: undefined, schema: text("an access token (JWT)") },
  auth: {
    env: "ENTRA_AUTH",
    flag: "--auth",
    schema: z.enum(["app", "delegated"], { error: "must be app (application permissions) or delegated" }),
  },
  cloud: {
    env: "ENTRA_CLOUD",
    flag: "--cloud",
    schema: z.enum(CLOUD_NAMES as [string, ...string[]], {
      error: `must be one of ${CLOUD_NAMES.join(", ")}`,
    }),
  },
  authorityHost: {
    env: "ENTRA_AUTHORITY_HOST",
    flag: "--authority-host",
    schema: origin("https://login.microsoftonline.com", false),
  },
  graphUrl: {
    env: "ENTRA_GRAPH_URL",
    flag: "--graph-url",
    schema: origin("https://graph.microsoft.com", true),
  },
  scope: {
    env: "ENTRA_SCOPE",
    flag: "--scope",
    schema: text("space-separated scopes like https://graph.microsoft.com/.default"),
  },
  caFile: { env: "ENTRA_CA_FILE", flag: "--ca-file", schema: text("the path of a PEM CA certificate") },
  store: { env: "ENTRA_STORE", flag: "--store", schema: text("a SQLite file path or a postgres:// URL") },
  provisioning: { env: "ENTRA_PROVISIONING", flag: "--provisioning", schema: bool },
  skipAdGroups: { env: "ENTRA_SKIP_AD_GROUPS", flag: "--skip-ad-groups", schema: bool },
  logLevel: {
    env: "ENTRA_LOG_LEVEL",
    flag: "--log-level",
    schema: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"], {
      error: "must be one of trace, debug, info, warn, error, fatal, silent",
    }),
  },
  timeoutMs: { env: "ENTRA_TIMEOUT_MS", flag: "--timeout-ms", schema: int(100, 600_000) },
  maxRetries: { env: "ENTRA_MAX_RETRIES", flag: "--max-retries", schema: int(0, 20) },
  concurrency: { env: "ENTRA_CONCURRENCY", flag: "--concurrency", schema: int(1, 256) },
  tenantSize: {
    env: "ENTRA_TENANT_SIZE",
    flag: "--tenant-size",
    schema: z.enum(["small", "medium", "large"], {
      error: "must be small (< 50 users), medium (50–500) or large (> 500)",
    }),
  },
} as const;

export type FieldName = keyof typeof FIELDS;
export type FieldValues = { [K in FieldName]?: z.output<(typeof FIELDS)[K]["schema"]> };
