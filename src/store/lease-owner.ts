/**
 * Who holds a lease (a watcher's subscription, a sync's run): `<pid>@<host>#<random>`. The pid and
 * host let a later process on the same host see at once that the holder is gone; the random suffix
 * keeps a reused pid from passing for the same process.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";

const OWNER_RE = /^(\d+)@(.+)#[0-9a-f]+$/;

/** A new owner id for this process. */
export function leaseOwner(): string {
  return `${process.pid}@${hostname()}#${randomBytes(4).toString("hex")}`;
}

/** "process 123 on host h (owner …)", for messages that tell the user what to stop. */
export function describeOwner(owner: string): string {
  const m = OWNER_RE.exec(owner);
  return m ? `process ${m[1]} on host ${m[2]} (owner ${owner})` : `owner ${owner}`;
}

/** Whether the owner is a process of this host that no longer runs (killed without releasing). */
export function ownerIsDeadHere(owner: string): boolean {
  const m = OWNER_RE.exec(owner);
  if (!m || m[2] !== hostname() || Number(m[1]) === process.pid) return false;
  try {
    process.kill(Number(m[1]), 0);
    return false;
  } catch (err) {
    // EPERM: it runs, as another user.
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}
