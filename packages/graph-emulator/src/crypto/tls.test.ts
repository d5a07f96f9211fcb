import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { createServer, get, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { createClientCertificate, createTlsMaterial, type TlsMaterial } from "./tls.ts";

let dir: string;
let material: TlsMaterial;
let server: Server;
let port: number;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "tls-test-"));
  material = await createTlsMaterial(dir);
  server = createServer({ key: material.key, cert: material.cert }, (_req, res) => res.end("ok"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

function fetchWith(host: string, ca?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(
      { host: "127.0.0.1", servername: host, port, path: "/", ca, headers: { host } },
      (res) => {
        let text = "";
        res.on("data", (c: Buffer) => {
          text += c.toString();
        });
        res.on("end", () => resolve(text));
      },
    );
    req.on("error", reject);
  });
}

describe("createTlsMaterial", () => {
  test("writes the CA to dir/ca.pem and the server certificate chains to it", async () => {
    assert.equal(material.caFile, join(dir, "ca.pem"));
    assert.equal(await readFile(material.caFile, "utf8"), material.caCertPem);
    const ca = new X509Certificate(material.caCertPem);
    const leaf = new X509Certificate(material.cert);
    assert.equal(ca.ca, true);
    assert.equal(leaf.ca, false);
    assert.equal(leaf.checkIssued(ca), true);
    assert.equal(leaf.verify(ca.publicKey), true);
    assert.equal(leaf.checkIP("127.0.0.1"), "127.0.0.1");
    assert.equal(leaf.checkIP("::1"), "::1");
    assert.equal(leaf.checkHost("localhost"), "localhost");
  });

  test("a client trusting the CA connects; one that does not is refused", async () => {
    assert.equal(await fetchWith("localhost", material.caCertPem), "ok");
    await assert.rejects(fetchWith("localhost"), /self-signed|unable to (verify|get local issuer)/i);
  });

  test("the CA file works through NODE_EXTRA_CA_CERTS in a fresh process", async () => {
    const script = `fetch("https://127.0.0.1:${port}/").then(r => r.text()).then(t => console.log(t), e => { console.error(e.cause ?? e); process.exit(1); })`;
    const { stdout } = await promisify(execFile)(process.execPath, ["-e", script], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: material.caFile },
    });
    assert.equal(stdout.trim(), "ok");
  });
});

describe("createClientCertificate", () => {
  test("writes certificate and private key (0600) and reports matching thumbprints", async () => {
    const cert = await createClientCertificate(dir, "app-one");
    assert.equal(await readFile(cert.certificateFile, "utf8"), cert.certPem);
    assert.equal((await stat(cert.keyFile)).mode & 0o777, 0o600);
    const x509 = new X509Certificate(cert.certPem);
    assert.equal(x509.fingerprint.replaceAll(":", ""), cert.thumbprintSha1Hex);
    assert.equal(x509.fingerprint256.replaceAll(":", ""), cert.thumbprintSha256Hex);
    assert.equal(
      Buffer.from(cert.thumbprintSha1, "base64url").toString("hex").toUpperCase(),
      cert.thumbprintSha1Hex,
    );
    assert.equal(x509.publicKey.export({ type: "spki", format: "pem" }), cert.publicKeyPem);
  });

  test("refuses a name that is not a plain file name", async () => {
    await assert.rejects(createClientCertificate(dir, "../escape"), /plain file name/);
  });
});
