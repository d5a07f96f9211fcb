/**
 * Partitioned listing of users: a list of 100 dependent pages (xl) is split into filtered lists by
 * the first character of `userPrincipalName`, read side by side, so the longest chain is one
 * partition's, not the collection's.
 *
 * Why these filters: Graph answers `startsWith(userPrincipalName,'…')` in a default query, so the
 * partitions keep `$expand=manager` (an advanced query could not expand); `ge`/`le` ranges exist only
 * on `createdDateTime`, which is null on old users, and a null bucket would need an advanced query.
 *
 * Exactly once, in three steps:
 * 1. Disjoint: Graph compares `startsWith` case-insensitively, so a UPN is in partition P when its
 *    first character, lower-cased, is one of P's characters. The partitions' character sets are
 *    pairwise disjoint and hold lower-case characters only, and a string has one first character:
 *    each UPN matches at most one partition. (`partitionOf` is that rule; the test checks it over
 *    random UPNs against the emulator's own `startsWith`.)
 * 2. Covering: every UPN Entra accepts starts with a letter, a digit or one of `'-_!#^~$.`, all in
 *    some partition. That is an assumption about Entra, so it is checked: the listing is kept only if
 *    the distinct ids it saw equal `/users/$count` taken before it and again after it. A UPN starting
 *    with anything else is missing from the listing and makes the counts disagree.
 * 3. Changes during the listing: a user created, deleted or renamed meanwhile may be listed under its
 *    old or new state, twice (renamed into a partition not yet read: counted once, the ids are a set)
 *    or not at all (renamed into one already read: a count disagrees). The delta link taken before the
 *    load reports all of them to the next incremental run. When a count disagrees (or the two counts
 *    differ), the listing is redone the plain way, unfiltered, in the same store round; a listing
 *    redone over objects already marked only marks them again.
 */
import { filterParam, or, startsWith } from "../graph/odata-filter.ts";

/** Users at which a full load partitions the list by default (SyncOptions.partitionUsersFrom). */
export const PARTITION_USERS_FROM = 10_000;

/** Each partition's first characters. Digits and symbols are few in real tenants: one partition each. */
export const UPN_PARTITIONS: readonly (readonly string[])[] = [
  ..."abcdefghijklmnopqrstuvwxyz".split("").map((c) => [c]),
  "0123456789".split(""),
  ["'", "-", "_", "!", "#", "^", "~", "$", "."],
];

/** `$filter=…` for one partition (quotes doubled, `#` and friends percent-encoded). */
export function partitionFilter(chars: readonly string[]): string {
  return filterParam(or(...chars.map((c) => startsWith("userPrincipalName", c))));
}

/** Which partition a UPN falls in, by the rule Graph applies to the filters; -1: none. */
export function partitionOf(upn: string): number {
  const first = upn.toLowerCase().charAt(0);
  return UPN_PARTITIONS.findIndex((chars) => chars.includes(first));
}
