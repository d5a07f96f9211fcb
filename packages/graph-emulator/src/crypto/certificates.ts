import { createHash, webcrypto } from "node:crypto";
// @peculiar/x509 resolves its ASN.1 helpers through tsyringe, which needs the Reflect metadata API first.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as ReturnType<typeof x509.cryptoProvider.get>);

const RSA_ALGORITHM = {
  name: "RSASSA-PKCS1-v1_5",
  hash: "SHA-256",
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
};

/** An RSA key pair with its certificate, in the forms the login service and its clients need. */
export interface IssuedCertificate {
  certificate: x509.X509Certificate;
  keys: CryptoKeyPair;
  certPem: string;
  keyPem: string;
  publicKeyPem: string;
}

export async function generateRsaKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(RSA_ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", key));
  return pem("PRIVATE KEY", der);
}

async function publicKeyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey("spki", key));
  return pem("PUBLIC KEY", der);
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

function validity(days: number): { notBefore: Date; notAfter: Date } {
  // Backdated a day so a client whose clock runs a little behind still accepts the certificate.
  const notBefore = new Date(Date.now() - 86_400_000);
  return { notBefore, notAfter: new Date(notBefore.getTime() + days * 86_400_000) };
}

async function describe(certificate: x509.X509Certificate, keys: CryptoKeyPair): Promise<IssuedCertificate> {
  return {
    certificate,
    keys,
    certPem: certificate.toString("pem") + "\n",
    keyPem: await privateKeyPem(keys.privateKey),
    publicKeyPem: await publicKeyPem(keys.publicKey),
  };
}

/** A self-signed certificate; with `ca: true` it may sign others (the emulator's CA). */
export async function issueSelfSigned(opts: {
  name: string;
  days: number;
  ca: boolean;
}): Promise<IssuedCertificate> {
  const keys = await generateRsaKeys();
  const extensions: x509.Extension[] = [await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)];
  if (opts.ca) {
    extensions.push(
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    );
  } else {
    extensions.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true));
  }
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${opts.name}`,
    keys,
    signingAlgorithm: RSA_ALGORITHM,
    extensions,
    ...validity(opts.days),
  });
  return describe(certificate, keys);
}

/** A TLS server certificate for the loopback names, signed by `issuer`. */
export async function issueServerCertificate(
  issuer: IssuedCertificate,
  hosts: {
    ips: string[];
    dns: string[];
  },
): Promise<IssuedCertificate> {
  const keys = await generateRsaKeys();
  const names = [
    ...hosts.dns.map((value) => ({ type: "dns" as const, value })),
    ...hosts.ips.map((value) => ({ type: "ip" as const, value })),
  ];
  const certificate = await x509.X509CertificateGenerator.create({
    subject: `CN=${hosts.dns[0] ?? hosts.ips[0] ?? "localhost"}`,
    issuer: issuer.certificate.subject,
    publicKey: keys.publicKey,
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: RSA_ALGORITHM,
    // Clients reject server certificates valid for more than 398 days, so stay well under.
    ...validity(365),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      new x509.SubjectAlternativeNameExtension(names, false),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey),
    ],
  });
  return describe(certificate, keys);
}

/** Certificate thumbprints: base64url (the `x5t` / `x5t#S256` JWT header form) and hex (what MSAL is given). */
export function thumbprints(certificate: x509.X509Certificate): {
  sha1: string;
  sha256: string;
  sha1Hex: string;
  sha256Hex: string;
} {
  const der = Buffer.from(certificate.rawData);
  const sha1 = createHash("sha1").update(der).digest();
  const sha256 = createHash("sha256").update(der).digest();
  return {
    sha1: sha1.toString("base64url"),
    sha256: sha256.toString("base64url"),
    sha1Hex: sha1.toString("hex").toUpperCase(),
    sha256Hex: sha256.toString("hex").toUpperCase(),
  };
}
