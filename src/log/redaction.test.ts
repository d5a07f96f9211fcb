import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, before, test } from "node:test";
import { runCli } from "../cli/program.ts";
import { loadConfig } from "../config/load.ts";
import { createConnection } from "../connection.ts";
import {
  fakeJwt,
  json,
  type LocalGraph,
  serveTokens,
  startLocalGraph,
} from "../graph/testing/local-graph.ts";
import { createLogger } from "./logger.ts";
import { redact } from "./redact.ts";

const TENANT = "11111111-1111-1111-1111-111111111111";
const CLIENT = "22222222-2222-2222-2222-222222222222";
const SECRET = "Sup3rS3cret~ValueThatMustNeverLeak";
const ACCESS = fakeJwt({
  tid: TENANT,
  aud: "https://graph.microsoft.com",
  roles: [],
  marker: "ACCESS-TOKEN-MARKER",
});
const REFRESH = "0.ARefreshTokenValueThatMustNeverLeak";

let server: LocalGraph;
before(async () => {
  server = await startLocalGraph();
  serveTokens(server, { tenant: TENANT, secret: SECRET, issue: () => ACCESS, refreshToken: REFRESH });
  server.route("GET /v1.0/organization", (_req, _b, res) =>
    json(res, 403, {
      error: {
        code: "Authorization_RequestDenied",
        message: "Insufficient privileges to complete the operation.",
      },
    }),
  );
});
after(() => server.close());

function capture() {
  let text = "";
  const stream = new Writable({
    write(chunk, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { stream, text: () => text };
}

function assertClean(output: string) {
  for (const secret of [SECRET, ACCESS, ACCESS.split(".")[1]!, REFRESH, "ACCESS-TOKEN-MARKER"]) {
    assert.ok(!output.includes(secret), `leaked ${secret.slice(0, 12)}… in:\n${output}`);
  }
}

const env = (secret: string) => ({
  ENTRA_TENANT_ID: TENANT,
  ENTRA_CLIENT_ID: CLIENT,
  ENTRA_CLIENT_SECRET: secret,
  ENTRA_AUTHORITY_HOST: server.url,
  ENTRA_GRAPH_URL: server.url,
  ENTRA_LOG_LEVEL: "trace",
  ENTRA_STORE: `${process.env["TMPDIR"] ?? "/tmp"}/redaction-${process.pid}/x.db`,
});

test("no secret or token in any log line at trace level, including failures", async () => {
  const out = capture();
  const logger = createLogger({ level: "trace", destination: out.stream });
  const conn = createConnection(loadConfig({ env: env(SECRET) }), { logger, persistTokens: false });
  await conn.graph.get("/organization").catch((err) => logger.error({ err }, "failed"));
  const token = await conn.tokens.getToken();
  logger.debug(
    { token, headers: { Authorization: `Bearer ${token.accessToken}` } },
    `got ${token.accessToken}`,
  );
  logger.info(
    { form: { client_secret: SECRET, refresh_token: REFRESH, code: "abc", code_verifier: "v" } },
    "form",
  );
  logger.info(`url https://x/?client_secret=${SECRET}&code=abc`);
  await conn.close();
  assert.match(out.text(), /graph request/);
  assertClean(out.text());
});

test("CLI output (text and --json, success and sign-in failure) carries no secret or token", async () => {
  for (const [secret, json] of [
    [SECRET, false],
    [SECRET, true],
    ["wrong-secret-value", false],
    ["wrong-secret-value", true],
  ] as const) {
    const stdout = capture();
    const stderr = capture();
    const args = ["check", ...(json ? ["--json"] : [])];
    const code = await runCli(args, {
      stdout: stdout.stream,
      stderr: stderr.stream,
      env: env(secret),
      signal: new AbortController().signal,
    });
    assert.notEqual(code, 0);
    assertClean(stdout.text() + stderr.text());
  }
});

test("redact scrubs sensitive keys at any depth and tokens inside strings", () => {
  const out = redact({
    a: { b: [{ client_assertion: "x.y.z", note: `Bearer ${ACCESS}` }] },
    password: "p",
  }) as never;
  assert.equal(JSON.stringify(out).includes(ACCESS), false);
  assert.deepEqual(out, {
    a: { b: [{ client_assertion: "[redacted]", note: "Bearer [redacted]" }] },
    password: "[redacted]",
  });
});
