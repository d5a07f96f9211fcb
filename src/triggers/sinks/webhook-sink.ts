/** Signed HTTP POSTs; any 2xx is delivery, anything else (or no answer in time) a failed attempt. */
import { createError } from "../../errors.ts";
import { EVENT_ID_HEADER, SIGNATURE_HEADER, sign, TIMESTAMP_HEADER } from "../signing.ts";
import type { Sink } from "./sink.ts";
import { DeliveryError } from "./sink.ts";

export interface WebhookOptions {
  url: string;
  secret: string;
  timeoutMs: number;
}

/** Checks a webhook URL up front (before anything is sent). */
export function checkWebhookUrl(url: string): URL {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== "https:" && parsed.protocol !== "http:")) {
    throw createError("CONFIG_INVALID", {
      field: "--webhook",
      problem: `"${url}" is not an http(s) URL; give the receiver's full URL, e.g. https://hooks.example.com/entra`,
    });
  }
  return parsed;
}

/** @example webhookSink({ url: "https://hooks.example.com/entra", secret, timeoutMs: 10_000 }) */
export function webhookSink(options: WebhookOptions): Sink {
  const url = checkWebhookUrl(options.url);
  // Never echo credentials embedded in the URL in errors.
  const shown = `${url.protocol}//${url.host}${url.pathname}`;
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
          name === "TimeoutError" ? `no answer within ${options.timeoutMs} ms` : (err as Error).message;
        throw new DeliveryError(`POST ${shown}: ${why}`, { cause: err });
      }
      // Read the body so the connection is reused, but never keep it.
      await response.arrayBuffer().catch(() => undefined);
      if (response.status < 200 || response.status > 299) {
        throw new DeliveryError(`POST ${shown}: HTTP ${response.status}`);
      }
    },
    async close() {},
  };
}
