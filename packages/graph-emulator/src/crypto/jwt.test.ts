import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, test } from "node:test";
import { decodeJwt, signJwt, verifyJwtSignature } from "./jwt.ts";

const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const other = generateKeyPairSync("rsa", { modulusLength: 2048 });

describe("JWT signing and verification", () => {
  for (const alg of ["RS256", "PS256"] as const) {
    test(`${alg}: signs, decodes and verifies; another key or a changed payload fails`, () => {
      const token = signJwt({ typ: "JWT", kid: "k1" }, { sub: "a", n: 1 }, privateKey, alg);
      const jwt = decodeJwt(token);
      assert.ok(jwt);
      assert.deepEqual(jwt.header, { typ: "JWT", kid: "k1", alg });
      assert.deepEqual(jwt.payload, { sub: "a", n: 1 });
      assert.equal(verifyJwtSignature(jwt, publicKey, alg), true);
      assert.equal(verifyJwtSignature(jwt, other.publicKey, alg), false);
      const [h, , sig] = token.split(".");
      const changed = decodeJwt(`${h}.${Buffer.from('{"sub":"b","n":1}').toString("base64url")}.${sig}`)!;
      assert.equal(verifyJwtSignature(changed, publicKey, alg), false);
    });
  }

  test("an RS256 signature does not pass as PS256", () => {
    const jwt = decodeJwt(signJwt({}, { a: 1 }, privateKey, "RS256"))!;
    assert.equal(verifyJwtSignature(jwt, publicKey, "PS256"), false);
  });

  test("decodeJwt rejects what is not a compact JWS with JSON object parts", () => {
    for (const bad of [
      "",
      "abc",
      "a.b",
      "a.b.c.d",
      "e30.W10.sig",
      "e30.bm90LWpzb24.sig",
      "e30.e30.s+g",
      "e3 0.e30.sig",
    ]) {
      assert.equal(decodeJwt(bad), undefined, bad);
    }
    assert.ok(decodeJwt("e30.e30."));
  });
});
