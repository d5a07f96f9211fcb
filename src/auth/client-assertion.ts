import { createHash, createPrivateKey, type KeyObject, randomUUID, sign, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { createError } from "../errors.ts";

export interface CertificateCredential {
  certificate: X509Certificate;
  key: KeyObject;
  /** base64url SHA-1 and SHA-256 thumbprints of the DER certificate, for the JWT header. */
  x5t: string;
  x5tS256: string;
}

/** Where a certificate credential's PEMs are: files (the environment's) or memory (a managed connection's). */
export type CertificateSource =
  | { certificateFile: string; keyFile: string }
  | { certificatePem: string; privateKeyPem: string };

/**
 * Loads and checks a PEM certificate + private key pair before any request: they must parse, the
 * key must be RSA and belong to the certificate, and the certificate must be within its validity.
 */
export function loadCertificate(source: CertificateSource, now = Date.now()): CertificateCredential {
  const inMemory = "certificatePem" in source;
  const certificateName = inMemory ? "the certificate" : source.certificateFile;
  const keyName = inMemory ? "the private key" : source.keyFile;
  let certificate: X509Certificate;
  let key: KeyObject;
  try {
    certificate = new X509Certificate(
      inMemory ? source.certificatePem : readFileSync(source.certificateFile),
    );
  } catch (err) {
    throw createError("CONFIG_INVALID", {
      field: inMemory ? "certificatePem" : "ENTRA_CLIENT_CERTIFICATE",
      problem: `${certificateName} is not a readable PEM certificate (${(err as Error).message})`,
    });
  }
  const keyField = inMemory ? "privateKeyPem" : "ENTRA_CLIENT_KEY";
  try {
    key = createPrivateKey(inMemory ? source.privateKeyPem : readFileSync(source.keyFile));
  } catch (err) {
    throw createError("CONFIG_INVALID", {
      field: keyField,
      problem: `${keyName} is not a readable unencrypted PEM private key (${(err as Error).message})`,
    });
  }
  if (key.asymmetricKeyType !== "rsa") {
    throw createError("CONFIG_INVALID", {
      field: keyField,
      problem: "must be an RSA private key (RS256)",
    });
  }
  if (!certificate.checkPrivateKey(key)) {
    throw createError("CONFIG_INVALID", {
      field: keyField,
      problem: `does not belong to ${inMemory ? "the certificate" : `the certificate ${certificateName}`}`,
    });
  }
  if (Date.parse(certificate.validTo) < now) {
    throw createError("CONFIG_INVALID", {
      field: inMemory ? "certificatePem" : "ENTRA_CLIENT_CERTIFICATE",
      problem: `the certificate expired on ${certificate.validTo}; upload a new one to the app and point here`,
    });
  }
  return {
    certificate,
    key,
    x5t: createHash("sha1").update(certificate.raw).digest("base64url"),
    x5tS256: createHash("sha256").update(certificate.raw).digest("base64url"),
  };
}

const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");

/**
 * The signed client assertion (RFC 7523) the token endpoint accepts instead of a secret: RS256, with
 * both thumbprint headers, audience = the token endpoint, a unique jti and a 10-minute lifetime.
 */
export function clientAssertion(
  cred: CertificateCredential,
  clientId: string,
  tokenEndpoint: string,
  now = Date.now(),
): string {
  const iat = Math.floor(now / 1000);
  const header = { alg: "RS256", typ: "JWT", x5t: cred.x5t, "x5t#S256": cred.x5tS256 };
  const payload = {
    aud: tokenEndpoint,
    iss: clientId,
    sub: clientId,
    jti: randomUUID(),
    nbf: iat,
    iat,
    exp: iat + 600,
  };
  const input = `${b64url(header)}.${b64url(payload)}`;
  const signature = sign("sha256", Buffer.from(input), cred.key).toString("base64url");
  return `${input}.${signature}`;
}
