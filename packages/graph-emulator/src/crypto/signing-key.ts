import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { issueSelfSigned, thumbprints } from "./certificates.ts";

/** One entry of a JWKS document, shaped like the identity platform's `discovery/v2.0/keys`. */
export interface SigningJwk {
  kty: "RSA";
  use: "sig";
  kid: string;
  x5t: string;
  n: string;
  e: string;
  x5c: string[];
}

/** The key the login service signs tokens with; `kid` equals `x5t` as on the real service. */
export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: SigningJwk;
}

export async function createSigningKey(): Promise<SigningKey> {
  const issued = await issueSelfSigned({ name: "accounts.accesscontrol.windows.net", days: 365, ca: false });
  const publicKey = createPublicKey(issued.publicKeyPem);
  const { n, e } = publicKey.export({ format: "jwk" });
  const kid = thumbprints(issued.certificate).sha1;
  return {
    kid,
    privateKey: createPrivateKey(issued.keyPem),
    publicKey,
    jwk: {
      kty: "RSA",
      use: "sig",
      kid,
      x5t: kid,
      n: n ?? "",
      e: e ?? "",
      x5c: [Buffer.from(issued.certificate.rawData).toString("base64")],
    },
  };
}
