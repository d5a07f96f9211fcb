import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { SMTPServer } from "smtp-server";
import { notifyRunCompleted, parseMapping, type RunSummary } from "../src/mapping/index.ts";
import { verifySignature } from "../src/triggers/signing.ts";

const SECRET = "whsec-notify-0123456789";
const PASSWORD = "smtp-pass-S3cr3t!";

const summary: RunSummary = {
  mapping: "assets",
  runId: "run-42",
  dryRun: false,
  counts: { created: 3, updated: 1, failed: 1 },
  failures: [{ user: "eve@contoso.test", action: "create", error: "400 (invalidValue): userName" }],
  startedAt: "2026-12-06T10:00:00Z",
  endedAt: "2026-12-06T10:01:00Z",
};

function notifyOf(section: string, env: Record<string, string> = {}) {
  return parseMapping(
    `name: assets
source: { users: { memberOf: [Staff] } }
match: [userName]
attributes: { userName: "[userPrincipalName]" }
target: { type: file, path: out.csv, format: csv }
notify:
${section}`,
    "assets.yaml",
    { env },
  ).notify;
}

interface Mail {
  from: string;
  to: string[];
  data: string;
  user?: string;
}

describe("run notifications", () => {
  const mails: Mail[] = [];
  let smtp: SMTPServer;
  let smtpPort: number;
  const hooks: { headers: Record<string, unknown>; body: string }[] = [];
  let receiver: Server;
  let hookUrl: string;
  let status = 200;

  before(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      allowInsecureAuth: true,
      disabledCommands: ["STARTTLS"],
      onAuth(auth, _session, callback) {
        if (auth.username === "mailer" && auth.password === PASSWORD) callback(null, { user: "mailer" });
        else callback(new Error("Invalid username or password"));
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            to: session.envelope.rcptTo.map((r) => r.address),
            data: Buffer.concat(chunks).toString("utf8"),
            user: session.user as string | undefined,
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
    smtpPort = (smtp.server.address() as AddressInfo).port;

    receiver = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      hooks.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(status).end();
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/runs`;
  });
  after(() => {
    receiver.close();
    return new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  it("posts the summary signed the way trigger webhooks are, and the receiver verifies it", async () => {
    const notify = notifyOf(`  webhook: { url: ${hookUrl}, secret: "\${HOOK_SECRET}" }\n`, {
      HOOK_SECRET: SECRET,
    });
    const outcomes = await notifyRunCompleted(notify, summary);
    assert.deepEqual(outcomes, [{ channel: "webhook", sent: true }]);
    const hook = hooks.at(-1)!;
    assert.ok(
      verifySignature(
        SECRET,
        hook.headers["x-entra-connector-timestamp"] as string,
        hook.body,
        hook.headers["x-entra-connector-signature"] as string,
      ),
    );
    assert.ok(
      !verifySignature(
        "another-secret-123456",
        hook.headers["x-entra-connector-timestamp"] as string,
        hook.body,
        hook.headers["x-entra-connector-signature"] as string,
      ),
    );
    const body = JSON.parse(hook.body);
    assert.equal(body.type, "mapping.run.completed");
    assert.deepEqual(body.counts, summary.counts);
    assert.deepEqual(body.failures, summary.failures);
  });

  it("e-mails the counts and failures through SMTP with the user and password from the environment", async () => {
    const notify = notifyOf(
      `  email:
    host: 127.0.0.1
    port: ${smtpPort}
    security: none
    user: mailer
    password: \${SMTP_PASSWORD}
    from: connector@contoso.test
    to: [ops@contoso.test, it@contoso.test]
`,
      { SMTP_PASSWORD: PASSWORD },
    );
    const outcomes = await notifyRunCompleted(notify, summary);
    assert.deepEqual(outcomes, [{ channel: "email", sent: true }]);
    const mail = mails.at(-1)!;
    assert.equal(mail.user, "mailer");
    assert.equal(mail.from, "connector@contoso.test");
    assert.deepEqual(mail.to, ["ops@contoso.test", "it@contoso.test"]);
    assert.match(mail.data, /Subject: \[entra-connector\] mapping assets run run-42: 1 failure/);
    assert.match(mail.data, /created: 3/);
    assert.match(mail.data, /eve@contoso\.test \(create\): 400 \(invalidValue\): userName/);
  });

  it("reports what could not be sent without its secrets, and does not throw", async () => {
    status = 500;
    const notify = notifyOf(
      `  webhook: { url: ${hookUrl}, secret: ${SECRET} }
  email: { host: 127.0.0.1, port: ${smtpPort}, security: none, user: mailer, password: wrong-${PASSWORD}, from: a@contoso.test, to: [b@contoso.test] }
`,
    );
    const outcomes = await notifyRunCompleted(notify, summary);
    status = 200;
    assert.deepEqual(
      outcomes.map((o) => [o.channel, o.sent]),
      [
        ["webhook", false],
        ["email", false],
      ],
    );
    assert.match(outcomes[0]!.error!, /HTTP 500/);
    assert.match(outcomes[1]!.error!, /Invalid username or password|auth/i);
    assert.ok(!JSON.stringify(outcomes).includes(PASSWORD));
    assert.ok(!JSON.stringify(outcomes).includes(SECRET));
  });

  it("with starttls refuses a server that does not offer STARTTLS rather than send the password in clear", async () => {
    const before = mails.length;
    const notify = notifyOf(
      `  email: { host: 127.0.0.1, port: ${smtpPort}, security: starttls, user: mailer, password: ${PASSWORD}, from: a@contoso.test, to: [b@contoso.test] }\n`,
    );
    const [outcome] = await notifyRunCompleted(notify, summary);
    assert.equal(outcome?.sent, false);
    assert.match(outcome!.error!, /STARTTLS/i);
    assert.equal(mails.length, before);
  });

  it("on: failures stays quiet for a run without failures", async () => {
    const before = hooks.length;
    const notify = notifyOf(`  on: failures\n  webhook: { url: ${hookUrl}, secret: ${SECRET} }\n`);
    const clean = { ...summary, counts: { created: 3 }, failures: [] };
    assert.deepEqual(await notifyRunCompleted(notify, clean), []);
    assert.equal(hooks.length, before);
  });
});

describe("notify section of a mapping", () => {
  it("names the line and field of a mistake", () => {
    assert.throws(
      () => notifyOf("  webhook: { url: http://hooks.example.com/x, secret: 0123456789abcdefgh }\n"),
      /assets\.yaml:7 notify\.webhook\.url: .*plain http/,
    );
    assert.throws(
      () => notifyOf("  webhook: { url: https://hooks.example.com/x, secret: short }\n"),
      /notify\.webhook\.secret: must be at least 16/,
    );
    assert.throws(
      () => notifyOf("  email: { host: h, from: nobody, to: [a@b.test] }\n"),
      /notify\.email\.from: must be an e-mail address/,
    );
    assert.throws(
      () => notifyOf("  email: { host: h, user: u, from: a@b.test, to: [a@b.test] }\n"),
      /notify\.email\.password: give user and password together/,
    );
    assert.throws(() => notifyOf("  on: always\n"), /notify: needs webhook or email/);
    assert.throws(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the mapping's own ${NAME} syntax is under test
      () => notifyOf("  email: { host: h, password: '${NOPE}', from: a@b.test, to: [a@b.test] }\n"),
      /environment variable NOPE is not set/,
    );
  });
});
