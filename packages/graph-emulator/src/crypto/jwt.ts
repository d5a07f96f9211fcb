import { constants, type KeyObject, sign, verify } from "node:crypto";

export type JwtAlgorithm = "RS256" | "PS256";

/** A compact JWS split into its parts; the signature is not checked by decoding. */
export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseSegment(segment: string): Record<string, unknown> | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(segment)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Splits a compact JWT; undefined when it is not three base64url parts with JSON objects in the first two. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  const [h, p, s] = parts as [string, string, string];
  const header = parseSegment(h);
  const payload = parseSegment(p);
  if (!header || !payload || !/^[A-Za-z0-9_-]*$/.test(s)) return undefined;
  return { header, payload, signingInput: `${h}.${p}`, signature: Buffer.from(s, "base64url") };
}

function rsaKey(key: KeyObject, algorithm: JwtAlgorithm) {
  return algorithm === "PS256"
    ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
    : { key, padding: constants.RSA_PKCS1_PADDING };
}

export function signJwt(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  privateKey: KeyObject,
  algorithm: JwtAlgorithm = "RS256",
): string {
  const encode = (part: Record<string, unknown>) => Buffer.from(JSON.stringify(part)).toString("base64url");
  const signingInput = `${encode({ ...header, alg: algorithm })}.${encode(payload)}`;
  const signature = sign("sha256", Buffer.from(signingInput), rsaKey(privateKey, algorithm));
  return `${signingInput}.${signature.toString("base64url")}`;
}

export function verifyJwtSignature(jwt: DecodedJwt, publicKey: KeyObject, algorithm: JwtAlgorithm): boolean {
  try {
    const key =
      algorithm === "PS256"
        ? {
            key: publicKey,
            padding: constants.RSA_PKCS1_PSS_PADDING,
            saltLength: constants.RSA_PSS_SALTLEN_AUTO,
          }
        : rsaKey(publicKey, algorithm);
    return verify("sha256", Buffer.from(jwt.signingInput), key, jwt.signature);
  } catch {
    return false;
  }
}
