import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** The resource collections that support delta queries. */
export type DeltaKind = "users" | "groups" | "servicePrincipals" | "applications";

/**
 * Everything a delta round needs to continue, carried inside the opaque `$skiptoken` / `$deltatoken`
 * (Graph encodes the request's options in the token, so options go on the first request only).
 */
export interface DeltaState {
  kind: DeltaKind;
  /** `$select` of the first request, in the client's order; null = the default property set. */
  select: string[] | null;
  /** `$filter=id eq '…' or …` of the first request; null = every object. */
  ids: string[] | null;
  /** Report changes with a sequence above this; 0 = the initial (full) round. */
  since: number;
  /** Change sequence when the round began: it reports changes up to here, later ones go to the next round. */
  start: number;
  /** While a full round walks the objects that predate the change index: the next one to visit. */
  basePos?: number | undefined;
  /** Last change sequence this round has consumed; the next page resumes after it. */
  after: number;
  /** A group whose member list was cut at a page end: resume with the members ordered after `after`. */
  split?: { id: string; after: string } | undefined;
  /** Milliseconds since the epoch when the token was issued (for the expiry knob). */
  issuedAt: number;
  /** Tenant generation: a reset or "expire all tokens" bumps it and invalidates older tokens. */
  generation: number;
}

export type TokenRole = "skip" | "delta";

/** A token that fails its integrity check or does not parse. */
export class MalformedDeltaToken extends Error {
  constructor() {
    super("malformed delta token");
    this.name = "MalformedDeltaToken";
  }
}

const KINDS: ReadonlySet<string> = new Set(["users", "groups", "servicePrincipals", "applications"]);

/**
 * Signs and opens delta tokens. The signature stops a client from editing a token into a state the
 * emulator never issued (Graph's tokens are opaque to clients too).
 */
export class DeltaTokenCodec {
  readonly #key: Buffer;

  constructor(key: Buffer = randomBytes(32)) {
    this.#key = key;
  }

  encode(role: TokenRole, state: DeltaState): string {
    const body = Buffer.from(JSON.stringify({ r: role, ...state })).toString("base64url");
    return `${body}.${this.#sign(body)}`;
  }

  decode(role: TokenRole, token: string): DeltaState {
    const dot = token.lastIndexOf(".");
    if (dot <= 0) throw new MalformedDeltaToken();
    const body = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1), "base64url");
    const expected = Buffer.from(this.#sign(body), "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw new MalformedDeltaToken();
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
    } catch {
      throw new MalformedDeltaToken();
    }
    const { r, ...state } = parsed as { r: unknown } & DeltaState;
    if (r !== role || !KINDS.has(state.kind)) throw new MalformedDeltaToken();
    return state;
  }

  #sign(body: string): string {
    return createHmac("sha256", this.#key).update(body).digest().subarray(0, 18).toString("base64url");
  }
}
