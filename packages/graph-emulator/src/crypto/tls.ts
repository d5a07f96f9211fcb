import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { issueSelfSigned, issueServerCertificate, thumbprints } from "./certificates.ts";

/** TLS material for the emulator's HTTPS server. */
export interface TlsMaterial {
  /** Absolute path of the CA certificate (PEM) clients must trust. */
  caFile: string;
  caCertPem: string;
  /** Server private key and certificate (PEM), for `https.createServer({ key, cert })`. */
  key: string;
  cert: string;
}

/**
 * Creates a throw-away CA (written to `dir/ca.pem`) and a server certificate for 127.0.0.1, ::1 and
 * localhost signed by it.
 * @example const tls = await createTlsMaterial(tmpDir); https.createServer({ key: tls.key, cert: tls.cert }, handler)
 */
export async function createTlsMaterial(dir: string): Promise<TlsMaterial> {
  await mkdir(dir, { recursive: true });
  const ca = await issueSelfSigned({ name: "entra-connector graph-emulator CA", days: 3650, ca: true });
  const server = await issueServerCertificate(ca, { ips: ["127.0.0.1", "::1"], dns: ["localhost"] });
  const caFile = resolve(join(dir, "ca.pem"));
  await writeFile(caFile, ca.certPem);
  return { caFile, caCertPem: ca.certPem, key: server.keyPem, cert: server.certPem };
}

/** A certificate credential for an app registration: files for the client, public facts for the directory. */
export interface ClientCertificate {
  certificateFile: string;
  keyFile: string;
  certPem: string;
  keyPem: string;
  publicKeyPem: string;
  /** base64url SHA-1 / SHA-256 thumbprints, as they appear in `x5t` / `x5t#S256` (register these). */
  thumbprintSha1: string;
  thumbprintSha256: string;
  /** Upper-case hex thumbprints, the form MSAL's `clientCertificate.thumbprint(Sha256)` takes. */
  thumbprintSha1Hex: string;
  thumbprintSha256Hex: string;
}

/**
 * Creates a self-signed client certificate and writes `dir/<name>.pem` and `dir/<name>.key` (mode 0600).
 * @example const cert = await createClientCertificate(dir, "app1"); app.certificates.push(cert)
 */
export async function createClientCertificate(dir: string, name: string): Promise<ClientCertificate> {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) {
    throw new TypeError(`certificate name "${name}" must be a plain file name (letters, digits, . _ -)`);
  }
  await mkdir(dir, { recursive: true });
  const issued = await issueSelfSigned({ name, days: 730, ca: false });
  const certificateFile = resolve(join(dir, `${name}.pem`));
  const keyFile = resolve(join(dir, `${name}.key`));
  await writeFile(certificateFile, issued.certPem);
  await writeFile(keyFile, issued.keyPem, { mode: 0o600 });
  const prints = thumbprints(issued.certificate);
  return {
    certificateFile,
    keyFile,
    certPem: issued.certPem,
    keyPem: issued.keyPem,
    publicKeyPem: issued.publicKeyPem,
    thumbprintSha1: prints.sha1,
    thumbprintSha256: prints.sha256,
    thumbprintSha1Hex: prints.sha1Hex,
    thumbprintSha256Hex: prints.sha256Hex,
  };
}
