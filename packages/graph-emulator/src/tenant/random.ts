/**
 * Deterministic randomness for the generator and `mutate`: the same seed gives the same tenant,
 * byte for byte, on every machine (Math.random and crypto.randomUUID cannot be seeded).
 */

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [0, n). */
  int(n: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** A version-4-shaped GUID. */
  uuid(): string;
}

/** sfc32, seeded through splitmix32: fast, small state, good enough statistical quality. */
export function createRandom(seed: number): Random {
  let s = seed >>> 0;
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  const u32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  const hex8 = (): string => u32().toString(16).padStart(8, "0");
  const random: Random = {
    next: () => u32() / 4294967296,
    int: (n) => Math.floor((u32() / 4294967296) * n),
    chance: (p) => u32() / 4294967296 < p,
    pick: (items) => {
      const item = items[Math.floor((u32() / 4294967296) * items.length)];
      if (item === undefined) throw new RangeError("pick from an empty list");
      return item;
    },
    uuid: () => {
      const h = hex8() + hex8() + hex8() + hex8();
      const variant = "89ab"[Number.parseInt(h[16] ?? "0", 16) & 3];
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
    },
  };
  return random;
}
