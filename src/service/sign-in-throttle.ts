/**
 * Slows down repeated failed sign-ins from one address: after `free` failures within `windowMs`, each
 * further failure is answered after a delay that doubles up to `maxDelayMs`. Pure; the clock is passed in.
 */
export interface FailureThrottle {
  /** The delay to apply to this failure's answer, in ms. */
  failed(address: string): number;
  succeeded(address: string): void;
}

export function failureThrottle(
  now: () => number,
  options: { free?: number; windowMs?: number; maxDelayMs?: number; maxAddresses?: number } = {},
): FailureThrottle {
  const free = options.free ?? 5;
  const windowMs = options.windowMs ?? 15 * 60_000;
  const maxDelayMs = options.maxDelayMs ?? 5_000;
  const maxAddresses = options.maxAddresses ?? 10_000;
  const failures = new Map<string, { count: number; since: number }>();
  return {
    failed(address) {
      const t = now();
      let entry = failures.get(address);
      if (entry === undefined || t - entry.since > windowMs) {
        // Bounded memory under a spray of addresses: the oldest entry goes first.
        if (failures.size >= maxAddresses) failures.delete(failures.keys().next().value as string);
        entry = { count: 0, since: t };
        failures.set(address, entry);
      }
      entry.count += 1;
      return entry.count <= free ? 0 : Math.min(maxDelayMs, 250 * 2 ** (entry.count - free - 1));
    },
    succeeded(address) {
      failures.delete(address);
    },
  };
}
