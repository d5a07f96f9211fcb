/**
 * Word of a finished mapping run: a signed webhook (signed as trigger webhooks are, so one receiver
 * verifies both) and/or an e-mail over SMTP, with the run's counts and failures. A notification that
 * cannot be sent is reported back, never thrown: the run itself is done and its log is what counts.
 */
import { createTransport } from "nodemailer";
import { isConnectorError } from "../errors.ts";
import { redactString, redactUrl } from "../log/redact.ts";
import { EVENT_ID_HEADER, SIGNATURE_HEADER, sign, TIMESTAMP_HEADER } from "../triggers/signing.ts";
import { checkWebhookUrl } from "../triggers/sinks/webhook-sink.ts";
import type { Notify } from "./definition.ts";

export interface RunSummary {
  mapping: string;
  runId: string;
  dryRun: boolean;
  /** Actions by kind (`created`, `updated`, `failed`, …) as the engine counts them. */
  counts: Record<string, number>;
  failures: { user: string; action: string; error: string }[];
  startedAt: string;
  endedAt: string;
}

export interface NotifyDeps {
  /** Seconds since the epoch for the signature's timestamp; defaults to the clock. */
  nowS?: () => number;
  /** Extra TLS options for the SMTP connection, e.g. a private CA. */
  tls?: { ca?: string | Buffer; rejectUnauthorized?: boolean };
}

export interface NotifyOutcome {
  channel: "webhook" | "email";
  sent: boolean;
  /** Why it was not sent; never holds a secret. */
  error?: string;
}

/** Failures listed in an e-mail; the rest are counted. The webhook carries them all. */
const MAIL_FAILURES = 50;

/** Sends the notifications `notify` asks for; resolves with what happened to each, never rejects. */
export async function notifyRunCompleted(
  notify: Notify | undefined,
  summary: RunSummary,
  deps: NotifyDeps = {},
): Promise<NotifyOutcome[]> {
  if (!notify) return [];
  if (notify.on === "failures" && summary.failures.length === 0 && !(summary.counts.failed ?? 0)) return [];
  const secrets = [notify.webhook?.secret, notify.email?.password].filter((s): s is string => Boolean(s));
  const scrub = (text: string) =>
    redactString(secrets.reduce((out, secret) => out.split(secret).join("[redacted]"), text));
  const attempt = async (channel: NotifyOutcome["channel"], send: () => Promise<void>) => {
    try {
      await send();
      return { channel, sent: true };
    } catch (err) {
      const message = isConnectorError(err) || err instanceof Error ? err.message : String(err);
      return { channel, sent: false, error: scrub(message) };
    }
  };
  const sends: Promise<NotifyOutcome>[] = [];
  const { webhook, email } = notify;
  if (webhook) sends.push(attempt("webhook", () => postWebhook(webhook, summary, deps)));
  if (email) sends.push(attempt("email", () => sendMail(email, summary, deps)));
  return Promise.all(sends);
}

async function postWebhook(
  webhook: NonNullable<Notify["webhook"]>,
  summary: RunSummary,
  deps: NotifyDeps,
): Promise<void> {
  const url = checkWebhookUrl(webhook.url, { field: "notify.webhook.url" });
  const body = JSON.stringify({ type: "mapping.run.completed", ...summary });
  const timestamp = deps.nowS?.() ?? Math.floor(Date.now() / 1000);
  const shown = redactUrl(url);
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(webhook.timeoutMs),
      headers: {
        "content-type": "application/json",
        "user-agent": "entra-connector",
        [SIGNATURE_HEADER]: sign(webhook.secret, timestamp, body),
        [TIMESTAMP_HEADER]: String(timestamp),
        [EVENT_ID_HEADER]: `${summary.mapping}:${summary.runId}`,
      },
    });
  } catch (err) {
    const why =
      (err as Error).name === "TimeoutError"
        ? `no answer within ${webhook.timeoutMs} ms`
        : (err as Error).message;
    throw new Error(`POST ${shown}: ${why}`);
  }
  await response.arrayBuffer().catch(() => undefined);
  if (response.status < 200 || response.status > 299)
    throw new Error(`POST ${shown}: HTTP ${response.status}`);
}

export function mailText(summary: RunSummary): { subject: string; text: string } {
  const failed = summary.failures.length;
  const mode = summary.dryRun ? " (dry run)" : "";
  const subject = `[entra-connector] mapping ${summary.mapping} run ${summary.runId}${mode}: ${
    failed === 0 ? "completed" : `${failed} failure${failed === 1 ? "" : "s"}`
  }`;
  const lines = [
    `Mapping ${summary.mapping}, run ${summary.runId}${mode}`,
    `Started ${summary.startedAt}, ended ${summary.endedAt}`,
    "",
    ...Object.entries(summary.counts).map(([kind, n]) => `${kind}: ${n}`),
  ];
  if (failed > 0) {
    lines.push("", "Failures:");
    for (const f of summary.failures.slice(0, MAIL_FAILURES))
      lines.push(`- ${f.user} (${f.action}): ${f.error}`);
    if (failed > MAIL_FAILURES) lines.push(`… and ${failed - MAIL_FAILURES} more in the run's log`);
  }
  return { subject, text: `${lines.join("\n")}\n` };
}

async function sendMail(
  email: NonNullable<Notify["email"]>,
  summary: RunSummary,
  deps: NotifyDeps,
): Promise<void> {
  const transport = createTransport({
    host: email.host,
    port: email.port ?? (email.security === "tls" ? 465 : 587),
    secure: email.security === "tls",
    requireTLS: email.security === "starttls",
    ignoreTLS: email.security === "none",
    ...(email.user && email.password ? { auth: { user: email.user, pass: email.password } } : {}),
    ...(deps.tls ? { tls: deps.tls } : {}),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  try {
    await transport.sendMail({ from: email.from, to: email.to, ...mailText(summary) });
  } catch (err) {
    throw new Error(`SMTP ${email.host}: ${(err as Error).message}`);
  } finally {
    transport.close();
  }
}
