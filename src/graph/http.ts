import { readFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import { Agent, type Dispatcher } from "undici";
import { createError } from "../errors.ts";

export interface HttpOptions {
  /** Extra CA (PEM) to trust on top of Node's bundled roots, e.g. a TLS-inspecting proxy or the emulator. */
  caFile?: string | undefined;
  /** Sockets kept per origin. */
  connections?: number;
}

/**
 * One keep-alive connection pool per connection (login and Graph origins share it). A custom CA is
 * added to the default roots, not substituted for them, so public endpoints keep working.
 */
export function createDispatcher(options: HttpOptions = {}): Dispatcher {
  const connect: { ca?: string[] } = {};
  if (options.caFile) {
    let pem: string;
    try {
      pem = readFileSync(options.caFile, "utf8");
    } catch (err) {
      throw createError("CONFIG_INVALID", {
        field: "ENTRA_CA_FILE",
        problem: `cannot read ${options.caFile} (${(err as NodeJS.ErrnoException).code ?? "error"})`,
      });
    }
    if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
      throw createError("CONFIG_INVALID", {
        field: "ENTRA_CA_FILE",
        problem: `${options.caFile} is not a PEM certificate (no BEGIN CERTIFICATE block)`,
      });
    }
    connect.ca = [...rootCertificates, pem];
  }
  return new Agent({
    connections: options.connections ?? 32,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 120_000,
    pipelining: 1,
    connect,
  });
}

const TLS_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "ERR_SSL_WRONG_VERSION_NUMBER",
]);

function errCode(err: unknown): string {
  let e = err as { code?: string; cause?: unknown } | undefined;
  for (let i = 0; i < 4 && e; i++) {
    if (typeof e.code === "string" && e.code !== "UND_ERR_SOCKET") return e.code;
    e = e.cause as typeof e;
  }
  return (err as { code?: string })?.code ?? "";
}

/**
 * A transport failure as a typed error: TLS trust, DNS, refused, timeout, or another network fault.
 * Only reset-like faults and timeouts are marked retryable; TLS and DNS need a human.
 */
export function networkError(err: unknown, req: { method: string; url: string; timeoutMs: number }) {
  const code = errCode(err);
  const host = safeHost(req.url);
  const reason = code || (err as Error)?.message || "unknown error";
  if ((err as Error)?.name === "AbortError" || code === "ABORT_ERR" || code === "UND_ERR_ABORTED") {
    return createError("REQUEST_ABORTED", {}, { cause: err });
  }
  if (TLS_CODES.has(code) || code.startsWith("ERR_TLS") || code.startsWith("ERR_SSL")) {
    return createError("NET_TLS", { host, reason: code }, { cause: err });
  }
  if (code === "ENOTFOUND" || code === "EAI_AGAIN")
    return createError("NET_DNS", { host, reason: code }, { cause: err });
  if (code === "ECONNREFUSED") return createError("NET_CONNECTION_REFUSED", { host }, { cause: err });
  if (
    code === "UND_ERR_HEADERS_TIMEOUT" ||
    code === "UND_ERR_BODY_TIMEOUT" ||
    code === "UND_ERR_CONNECT_TIMEOUT"
  ) {
    return createError(
      "NET_TIMEOUT",
      { method: req.method, url: req.url, timeoutMs: req.timeoutMs },
      { cause: err },
    );
  }
  return createError("NET_FAILED", { method: req.method, url: req.url, reason }, { cause: err });
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "unknown host";
  }
}
