/**
 * The console's only way to data: the service's JSON API under /api/v1, with the session cookie the
 * browser sends by itself and the session's CSRF token on every change.
 */

let session;

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code;
    this.fix = body?.error?.fix;
  }
}

export function currentSession() {
  return session;
}

export function setSession(value) {
  session = value;
}

/** `api("GET", "/connections")`; throws ApiError with the API's code, message and fix. */
export async function api(method, path, body) {
  const headers = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && session?.csrfToken) headers["x-csrf-token"] = session.csrfToken;
  const res = await fetch(`/api/v1${path}`, {
    method,
    headers,
    credentials: "same-origin",
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (res.status === 204) return undefined;
  const data = await res.json().catch(() => undefined);
  if (!res.ok) {
    const err = new ApiError(res.status, data);
    if (res.status === 401 && path !== "/session") {
      session = undefined;
      window.dispatchEvent(new CustomEvent("console:signed-out"));
    }
    throw err;
  }
  return data;
}

export const enc = encodeURIComponent;
