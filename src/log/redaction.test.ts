import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, test } from "node:test";
import { runCli } from "../cli/program.ts";
import { loadConfig } from "../config/load.ts";
import { createConnection } from "../connection.ts";
import {
  fakeJwt,
  json,
  type LocalGraph,
  startLocalGraph,
  tokenAnswer,
} from "../graph/testing/local-graph.ts";
import { createLogger } from "./logger.ts";
import { redact } from "./redact.ts";

const TENANT = "11111111-1111-1111-1111-111111111111";
const CLIENT = "22222222-2222-2222-2222-222222222222";
/** An app whose certificate the fake login service does not know (AADSTS700027). */
const UNKNOWN_CERT_CLIENT = "33333333-3333-3333-3333-333333333333";
const SECRET = "Sup3rS3cret~ValueThatMustNeverLeak";
const WRONG_SECRET = "wrong-secret-value";
const ACCESS = fakeJwt({
  tid: TENANT,
  aud: "https://graph.microsoft.com",
  roles: [],
  marker: "ACCESS-TOKEN-MARKER",
});
const DELEGATED_ACCESS = fakeJwt({
  tid: TENANT,
  aud: "https://graph.microsoft.com",
  scp: "User.Read.All",
  upn: "ann@contoso.example",
  marker: "DELEGATED-ACCESS-MARKER",
});
const REFRESH = "0.ARefreshTokenValueThatMustNeverLeak";
const AUTH_CODE = "0.AuthorizationCodeValueThatMustNeverLeak";

/** What the fake login service received: the signed assertions and PKCE verifiers sent to it. */
const assertions: string[] = [];
const verifiers: string[] = [];

const certDir = mkdtempSync(join(tmpdir(), "redaction-cert-"));
const CERT_FILE = join(certDir, "app.pem");
const KEY_FILE = join(certDir, "app.key");
execFileSync(
  "openssl",
  ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", KEY_FILE, "-out", CERT_FILE].concat([
    "-days",
    "2",
    "-subj",
    "/CN=redaction",
  ]),
  { stdio: "ignore" },
);
const KEY_PEM = readFileSync(KEY_FILE, "utf8");
/** Each base64 line of the key: any one of them in the output would leak part of the key. */
const KEY_LINES = KEY_PEM.split("\n").filter((l) => l.length > 0 && !l.startsWith("-----"));
/** The key with one line cut out: unparseable, yet still mostly secret. */
const BROKEN_KEY_FILE = join(certDir, "broken.key");
writeFileSync(BROKEN_KEY_FILE, KEY_PEM.split("\n").toSpliced(5, 1).join("\n"));

let server: LocalGraph;
before(async () => {
  server = await startLocalGraph();
  server.route(`POST /${TENANT}/oauth2/v2.0/token`, (_req, body, res) => {
    const form = new URLSearchParams(body);
    const assertion = form.get("client_assertion");
    if (assertion !== null) {
      assertions.push(assertion);
      if (form.get("client_id") === UNKNOWN_CERT_CLIENT) {
        return json(res, 401, {
          error: "invalid_client",
          error_codes: [700027],
          error_description:
            "AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application.",
        });
      }
    } else if (form.get("client_secret") !== SECRET) {
      return json(res, 401, {
        error: "invalid_client",
        error_codes: [7000215],
        error_description: "AADSTS7000215: Invalid client secret provided.",
      });
    }
    const grant = form.get("grant_type");
    if (grant === "authorization_code") {
      verifiers.push(form.get("code_verifier") ?? "");
      if (form.get("code") !== AUTH_CODE) {
        return json(res, 400, {
          error: "invalid_grant",
          error_codes: [70008],
          error_description: "AADSTS70008: expired code",
        });
      }
      return json(res, 200, { ...tokenAnswer(DELEGATED_ACCESS), refresh_token: REFRESH });
    }
    if (grant === "refresh_token") {
      return json(res, 200, { ...tokenAnswer(DELEGATED_ACCESS), refresh_token: REFRESH });
    }
    json(res, 200, tokenAnswer(ACCESS));
  });
  // The login page approves at once and sends the browser back with the code, as Entra does.
  server.route(`GET /${TENANT}/oauth2/v2.0/authorize`, (req, _b, res) => {
    const q = new URL(req.url ?? "/", server.url).searchParams;
    const back = new URL(q.get("redirect_uri") ?? "");
    back.searchParams.set("code", AUTH_CODE);
    back.searchParams.set("state", q.get("state") ?? "");
    res.writeHead(302, { location: back.toString() }).end();
  });
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

function capture(onText?: (all: string) => void) {
  let text = "";
  const stream = new Writable({
    write(chunk, _enc, cb) {
      text += chunk.toString();
      onText?.(text);
      cb();
    },
  });
  return { stream, text: () => text };
}

/** Every secret this file hands the connector or the fake service hands back. */
function secrets(): string[] {
  return [
    SECRET,
    WRONG_SECRET,
    ACCESS,
    ACCESS.split(".")[1]!,
    "ACCESS-TOKEN-MARKER",
    DELEGATED_ACCESS,
    DELEGATED_ACCESS.split(".")[1]!,
    "DELEGATED-ACCESS-MARKER",
    REFRESH,
    AUTH_CODE,
    KEY_PEM,
    ...KEY_LINES,
    ...assertions,
    ...assertions.map((a) => a.split(".")[2]!),
    ...verifiers,
  ];
}

function assertClean(output: string) {
  for (const secret of secrets()) {
    assert.ok(!output.includes(secret), `leaked ${secret.slice(0, 12)}… in:\n${output}`);
  }
}

/** A fresh state folder per call: a token saved by one run must not let the next skip its sign-in. */
const env = (extra: Record<string, string>) => ({
  ENTRA_TENANT_ID: TENANT,
  ENTRA_CLIENT_ID: CLIENT,
  ENTRA_AUTHORITY_HOST: server.url,
  ENTRA_GRAPH_URL: server.url,
  ENTRA_LOG_LEVEL: "trace",
  ENTRA_STORE: join(mkdtempSync(join(tmpdir(), "redaction-")), "x.db"),
  ...extra,
});
const secretEnv = (secret: string) => env({ ENTRA_CLIENT_SECRET: secret });
const certEnv = (keyFile = KEY_FILE, clientId = CLIENT) =>
  env({ ENTRA_CLIENT_ID: clientId, ENTRA_CLIENT_CERTIFICATE: CERT_FILE, ENTRA_CLIENT_KEY: keyFile });

async function cli(args: string[], e: Record<string, string>) {
  const stdout = capture();
  const stderr = capture();
  const code = await runCli(args, {
    stdout: stdout.stream,
    stderr: stderr.stream,
    env: e,
    signal: new AbortController().signal,
  });
  return { code, output: stdout.text() + stderr.text() };
}

test("no secret or token in any log line at trace level, including failures", async () => {
  const out = capture();
  const logger = createLogger({ level: "trace", destination: out.stream });
  const conn = createConnection(loadConfig({ env: secretEnv(SECRET) }), { logger, persistTokens: false });
  await conn.graph.get("/organization").catch((err) => logger.error({ err }, "failed"));
  const token = await conn.tokens.getToken();
  logger.debug(
    { token, headers: { Authorization: `Bearer ${token.accessToken}` } },
    `got ${token.accessToken}`,
  );
  logger.info(
    { form: { client_secret: SECRET, refresh_token: REFRESH, code: AUTH_CODE, code_verifier: "v" } },
    "form",
  );
  logger.info(`url https://x/?client_secret=${SECRET}&code=${AUTH_CODE}`);
  await conn.close();
  assert.match(out.text(), /graph request/);
  assertClean(out.text());
});

test("certificate sign-in: neither the private key nor the signed assertion reaches a log line", async () => {
  const before = assertions.length;
  const out = capture();
  const logger = createLogger({ level: "trace", destination: out.stream });
  for (const clientId of [CLIENT, UNKNOWN_CERT_CLIENT]) {
    const conn = createConnection(loadConfig({ env: certEnv(KEY_FILE, clientId) }), {
      logger,
      persistTokens: false,
    });
    await conn.graph.get("/organization").catch((err) => logger.error({ err }, "failed"));
    await conn.tokens.getToken().then(
      (token) => logger.debug({ token }, "token"),
      (err) => logger.error({ err }, "sign-in failed"),
    );
    await conn.close();
  }
  logger.debug({ form: { client_assertion: assertions.at(-1) } }, "form");
  logger.debug(`form client_assertion=${assertions.at(-1)}&client_id=${CLIENT}`);
  assert.ok(assertions.length > before, "the fake login service received signed assertions");
  assert.match(out.text(), /"code":"AUTH_INVALID_CERTIFICATE"/, "an error's own code stays readable");
  assertClean(out.text());
});

test("CLI output (text and --json, success and sign-in failure) carries no secret or token", async () => {
  const runs: [Record<string, string>, RegExp][] = [
    [secretEnv(SECRET), /Sign-in +ok|"kind": "app"/],
    [secretEnv(WRONG_SECRET), /AUTH_INVALID_SECRET|client secret is not valid/],
    [certEnv(), /Sign-in +ok|"kind": "app"/],
    [certEnv(KEY_FILE, UNKNOWN_CERT_CLIENT), /AUTH_INVALID_CERTIFICATE|certificate credential was rejected/],
    [certEnv(BROKEN_KEY_FILE), /ENTRA_CLIENT_KEY/],
  ];
  for (const [e, expected] of runs) {
    for (const args of [["check"], ["check", "--json"]]) {
      const { code, output } = await cli(args, e);
      assert.notEqual(code, 0);
      assert.match(output, expected, "the run took the path it is meant to test");
      assertClean(output);
    }
  }
});

test("delegated `login` and later calls print no code, PKCE verifier, access or refresh token", async () => {
  const e = env({ ENTRA_AUTH: "delegated", ENTRA_CLIENT_SECRET: SECRET });
  for (const json of [false, true]) {
    const stdout = capture();
    let followed = false;
    const stderr = capture((all) => {
      const url = /(http:\/\/\S+\/oauth2\/v2\.0\/authorize\S+)/.exec(all)?.[1];
      if (!url || followed) return;
      followed = true;
      // Play the browser: the login page redirects to the CLI's loopback listener with the code.
      void (async () => {
        const res = await fetch(url, { redirect: "manual" });
        await fetch(res.headers.get("location")!);
      })();
    });
    const code = await runCli(["login", "--no-browser", ...(json ? ["--json"] : [])], {
      stdout: stdout.stream,
      stderr: stderr.stream,
      env: e,
      signal: new AbortController().signal,
    });
    assert.equal(code, 0, stderr.text());
    assert.match(stdout.text(), /ann@contoso\.example/);
    assertClean(stdout.text() + stderr.text());
  }
  assert.equal(verifiers.length, 2, "both logins redeemed a code with a PKCE verifier");
  for (const args of [["check"], ["check", "--json"]]) {
    const { output } = await cli([...args, "--auth", "delegated"], e);
    assert.match(output, /delegated/);
    assertClean(output);
  }
});

test("redact scrubs sensitive keys at any depth and tokens inside strings, but keeps error codes", () => {
  const out = redact({
    a: { b: [{ client_assertion: "x.y.z", note: `Bearer ${ACCESS}` }] },
    password: "p",
    form: { code: AUTH_CODE },
    err: { code: "AUTH_INVALID_SECRET" },
  }) as never;
  assert.equal(JSON.stringify(out).includes(ACCESS), false);
  assert.deepEqual(out, {
    a: { b: [{ client_assertion: "[redacted]", note: "Bearer [redacted]" }] },
    password: "[redacted]",
    form: { code: "[redacted]" },
    err: { code: "AUTH_INVALID_SECRET" },
  });
});
