/**
 * Makes sure Debian's Chromium is at /usr/bin/chromium for the console's browser tests: installs the
 * `chromium` package with apt-get when it is missing and we are root; otherwise says what to do.
 * `node scripts/ensure-chromium.ts` runs it by hand; the e2e test calls `ensureChromium()`.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const CHROMIUM = "/usr/bin/chromium";

export function ensureChromium(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): string {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  const root = process.getuid?.() === 0;
  if (!root || !existsSync("/usr/bin/apt-get")) {
    throw new Error(
      `${CHROMIUM} is missing and cannot be installed from here (${root ? "no apt-get" : "not root"}); install Debian's chromium package: sudo apt-get install -y chromium`,
    );
  }
  log(`${CHROMIUM} is missing: installing Debian's chromium package with apt-get (a few minutes)`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update"], { stdio: "inherit", env });
  execFileSync("apt-get", ["install", "-y", "--no-install-recommends", "chromium"], {
    stdio: "inherit",
    env,
  });
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get installed chromium, yet ${CHROMIUM} is still missing`);
  return CHROMIUM;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${ensureChromium()}\n`);
}
