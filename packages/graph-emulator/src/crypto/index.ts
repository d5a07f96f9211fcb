export { type DecodedJwt, decodeJwt, type JwtAlgorithm, signJwt, verifyJwtSignature } from "./jwt.ts";
export { createSigningKey, type SigningJwk, type SigningKey } from "./signing-key.ts";
export {
  type ClientCertificate,
  createClientCertificate,
  createTlsMaterial,
  type TlsMaterial,
} from "./tls.ts";
