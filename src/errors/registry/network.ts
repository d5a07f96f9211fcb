import { type ErrorSpec, EXIT } from "../spec.ts";

/** Reaching the login service or Graph: TLS, DNS, refused connections, timeouts, cancellation. */
export const NETWORK_ERRORS = {
  NET_TLS: {
    message: "TLS to {host} failed: {reason}",
    fix: "If a proxy or private endpoint re-signs TLS, set ENTRA_CA_FILE to its CA certificate (PEM); otherwise check the host name.",
    status: 502,
    retryable: false,
    exit: EXIT.network,
  },
  NET_DNS: {
    message: "The host {host} could not be resolved ({reason}).",
    fix: "Check the host in ENTRA_CLOUD / ENTRA_AUTHORITY_HOST / ENTRA_GRAPH_URL and this machine's DNS.",
    status: 502,
    retryable: false,
    exit: EXIT.network,
  },
  NET_CONNECTION_REFUSED: {
    message: "Connection to {host} was refused.",
    fix: "Check the host and port in ENTRA_AUTHORITY_HOST / ENTRA_GRAPH_URL and that nothing blocks the connection.",
    status: 502,
    retryable: false,
    exit: EXIT.network,
  },
  NET_TIMEOUT: {
    message: "{method} {url} timed out after {timeoutMs} ms.",
    fix: "Retry later or raise the request timeout (--timeout-ms / ENTRA_TIMEOUT_MS).",
    status: 504,
    retryable: true,
    exit: EXIT.network,
  },
  NET_FAILED: {
    message: "{method} {url} failed: {reason}",
    fix: "A network fault interrupted the request; retry later.",
    status: 502,
    retryable: true,
    exit: EXIT.network,
  },
  REQUEST_ABORTED: {
    message: "The request was cancelled.",
    status: 499,
    retryable: false,
    exit: EXIT.cancelled,
  },
} as const satisfies Record<string, ErrorSpec>;
