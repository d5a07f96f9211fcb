/**
 * Scrubbing of secrets from anything about to be logged or printed. Keys are matched by name at any
 * depth; strings are scrubbed of bearer tokens, JWTs and sensitive query/form parameters, so a URL or
 * error message that happens to embed one is safe too.
 */

export const REDACTED = "[redacted]";

const SENSITIVE_KEYS = new Set(
  [
    "authorization",
    "client_secret",
    "clientsecret",
    "client_assertion",
    "clientassertion",
    "refresh_token",
    "refreshtoken",
    "access_token",
    "accesstoken",
    "id_token",
    "idtoken",
    "code",
    "code_verifier",
    "codeverifier",
    "password",
    "passwordprofile",
    "secret",
    "key",
    "cookie",
    "set-cookie",
    "entra_client_secret",
    "entra_access_token",
    "entra_connector_key",
  ].map((k) => k.toLowerCase()),
);

const PARAM_NAMES =
  "client_secret|client_assertion|refresh_token|access_token|id_token|code|code_verifier|password";
const PARAM_RE = new RegExp(`([?&#]|^)(${PARAM_NAMES})=[^&#\\s"]*`, "gi");
const BEARER_RE = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g;
const JWT_RE = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
/** `scheme://user:password@`: whatever sits before the `@` of an authority is a credential. */
const USERINFO_RE = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi;

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEYS.has(key.toLowerCase());
}

export function redactString(s: string): string {
  if (s.length < 8) return s;
  return s
    .replace(BEARER_RE, `$1 ${REDACTED}`)
    .replace(JWT_RE, REDACTED)
    .replace(PARAM_RE, `$1$2=${REDACTED}`)
    .replace(USERINFO_RE, `$1${REDACTED}@`);
}

/**
 * A URL as it may be shown or stored in clear: scheme, host and path kept; user info and every query
 * and fragment value replaced (parameter names stay, to tell URLs apart), since any of them may be a
 * credential. Unparseable input is replaced whole.
 *
 * @example redactUrl("https://u:p@hooks.example.com/in?token=abc") // "https://[redacted]@hooks.example.com/in?token=[redacted]"
 */
export function redactUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return REDACTED;
  }
  const userInfo = parsed.username !== "" || parsed.password !== "" ? `${REDACTED}@` : "";
  const values = (part: string) =>
    part
      .split("&")
      .map((p) => (p.includes("=") ? `${p.slice(0, p.indexOf("="))}=${REDACTED}` : REDACTED))
      .join("&");
  const query = parsed.search === "" ? "" : `?${values(parsed.search.slice(1))}`;
  const fragment = parsed.hash === "" ? "" : `#${REDACTED}`;
  return `${parsed.protocol}//${userInfo}${parsed.host}${parsed.pathname}${query}${fragment}`;
}

/** Error codes (ECONNRESET, AUTH_INVALID_SECRET): upper-case identifiers, unlike any OAuth code. */
const ERROR_CODE_RE = /^[A-Z][A-Z0-9_]{1,63}$/;

/**
 * `code` is an OAuth authorization code in a form but an error code on an error (even after pino's
 * serializer made it a plain object); scrubbing the latter would hide what went wrong.
 */
function sensitive(key: string, value: unknown): boolean {
  if (!isSensitiveKey(key)) return false;
  return !(key.toLowerCase() === "code" && typeof value === "string" && ERROR_CODE_RE.test(value));
}

/** A deep copy of `value` with sensitive keys and embedded tokens replaced. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redactString(value);
  if (value === null || typeof value !== "object" || depth > 8) return value;
  if (value instanceof Error) {
    const out: Record<string, unknown> = { type: value.name, message: redactString(value.message) };
    if (value.stack) out["stack"] = redactString(value.stack);
    for (const [k, v] of Object.entries(value)) out[k] = sensitive(k, v) ? REDACTED : redact(v, depth + 1);
    return out;
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = sensitive(k, v) && v !== undefined && v !== null && v !== "" ? REDACTED : redact(v, depth + 1);
  }
  return out;
}
