/** Signed HTTP POSTs; any 2xx is delivery, anything else (or no answer in time) a failed attempt. */
import { isIPv4 } from "node:net";
import { createError } from "../../errors.ts";
import { redactString, redactUrl } from "../../log/redact.ts";
import { EVENT_ID_HEADER, SIGNATURE_HEADER, sign, TIMESTAMP_HEADER } from "../signing.ts";
import type { Sink } from "./sink.ts";
import { DeliveryError } from "./sink.ts";

export interface WebhookOptions {
  url: string;
  secret: string;
  timeoutMs: number;
  /** Plain `http://` to a host other than loopback (`--allow-insecure-webhook`). */
  allowInsecureHttp?: boolean;
}

export interface WebhookUrlRules {
  /** Plain `http://` to a host other than loopback. */
  allowInsecureHttp?: boolean;
  /** The setting the URL came from, named in errors (default `--webhook`). */
  field?: string;
}

/**
 * Checks a webhook URL up front (before anything is sent): http(s), no user info, and https unless
 * the host is loopback or plain http is explicitly allowed. Errors show the URL redacted.
 */
export function checkWebhookUrl(url: string, rules: WebhookUrlRules = {}): URL {
  const field = rules.field ?? "--webhook";
  const refuse = (problem: string) => createError("CONFIG_INVALID", { field, problem });
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== "https:" && parsed.protocol !== "http:")) {
    // Not echoed: without a scheme we know, no telling which part is a credential.
    throw refuse(
      "the value is not an http(s) URL; give the receiver's full URL, e.g. https://hooks.example.com/entra",
    );
  }
  if (parsed.username !== "" || parsed.password !== "") {
    throw refuse(
      `"${redactUrl(parsed)}" carries a user name or password, which would be shown and sent in clear; remove the "user:password@" part: receivers authenticate each request by its signature (x-entra-connector-signature, docs/webhooks.md), or put a token in the query string (?token=…), which is stored sealed and never shown`,
    );
  }
  if (parsed.protocol === "http:" && !isLoopback(parsed.hostname) && rules.allowInsecureHttp !== true) {
    throw refuse(
      `"${redactUrl(parsed)}" is plain http to a host other than this machine: events and their signatures would cross the network unencrypted; use https://, or pass --allow-insecure-webhook if the network is trusted`,
    );
  }
  return parsed;
}

/** 127.0.0.0/8, ::1 and localhost: traffic that never leaves this machine. */
function isLoopback(hostname: string): boolean {
  return (
    hostname === "[::1]" || hostname === "localhost" || (isIPv4(hostname) && hostname.startsWith("127."))
  );
}

/** @example webhookSink({ url: "https://hooks.example.com/entra", secret, timeoutMs: 10_000 }) */
export function webhookSink(options: WebhookOptions): Sink {
  const url = checkWebhookUrl(options.url, { allowInsecureHttp: options.allowInsecureHttp === true });
  // Messages end up on stderr and in dead letters: never with the URL's credentials.
  const shown = redactUrl(url);
  return {
    async open() {
      return new Set();
    },
    async deliver(event) {
      const body = JSON.stringify(event);
      const timestamp = Math.floor(Date.now() / 1000);
      let response: Response;
      try {
        response = await fetch(url, {
          method: "POST",
          body,
          redirect: "manual",
          signal: AbortSignal.timeout(options.timeoutMs),
          headers: {
            "content-type": "application/json",
            "user-agent": "entra-connector",
            [SIGNATURE_HEADER]: sign(options.secret, timestamp, body),
            [TIMESTAMP_HEADER]: String(timestamp),
            [EVENT_ID_HEADER]: event.id,
          },
        });
      } catch (err) {
        const name = (err as Error).name;
        const why =
          name === "TimeoutError"
            ? `no answer within ${options.timeoutMs} ms`
            : redactString((err as Error).message);
        throw new DeliveryError(`POST ${shown}: ${why}`, { cause: err });
      }
      // Read the body so the connection is reused, but never keep it.
      await response.arrayBuffer().catch(() => undefined);
      if (response.status < 200 || response.status > 299) {
        throw new DeliveryError(`POST ${shown}: HTTP ${response.status}`, { httpStatus: response.status });
      }
      return { httpStatus: response.status };
    },
    async close() {},
  };
}
