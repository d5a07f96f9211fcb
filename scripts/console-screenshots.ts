/**
 * Screenshots of the web console's main pages into docs/images/ (`node scripts/console-screenshots.ts`):
 * a real service on an emulated tenant, signed in as a console user, a sync run, then each page.
 */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { launchBrowser, startConsoleService, USER } from "../test/console-support.ts";

const out = fileURLToPath(new URL("../docs/images/", import.meta.url));

const svc = await startConsoleService({ size: "m", latency: "none" });
const browser = await launchBrowser();
try {
  mkdirSync(out, { recursive: true });
  const page = await browser.context.newPage();
  const shot = async (name: string) => {
    await page.waitForLoadState("networkidle");
    await page.screenshot({ path: `${out}console-${name}.png`, fullPage: true });
    process.stderr.write(`docs/images/console-${name}.png\n`);
  };
  await page.goto(`${svc.url}/console/`);
  await page.getByLabel("User name", { exact: true }).fill(USER.name);
  await page.getByLabel("Password", { exact: true }).fill(USER.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("link", { name: /\// }).first().click();
  await page.getByRole("button", { name: "Full sync" }).click();
  await page.getByText("Succeeded").first().waitFor({ timeout: 120_000 });
  await page.getByRole("button", { name: "Sync now" }).click();
  await page.getByText("Succeeded").first().waitFor({ timeout: 120_000 });
  await shot("run");
  await page.getByRole("link", { name: "Dashboard", exact: true }).click();
  await page.getByRole("heading", { name: "Runs over time" }).waitFor();
  await shot("dashboard");
  await page.getByRole("link", { name: "Browse" }).click();
  await page.getByRole("table").waitFor();
  await shot("browse");
  await page
    .getByRole("link", { name: /^Access of/ })
    .first()
    .click();
  await page.getByRole("heading", { name: /^Access of/ }).waitFor();
  await shot("access");
  await page.getByRole("link", { name: "Actions" }).click();
  await page.getByLabel("Action").selectOption("update-user");
  await page
    .getByLabel("user (required)")
    .fill(
      ((await svc.emu.snapshot()) as { users: { userPrincipalName: string }[] }).users[0]!.userPrincipalName,
    );
  await page.getByLabel("jobTitle", { exact: true }).fill("Auditor");
  await page.getByRole("button", { name: "Preview (dry run)" }).click();
  await page.getByRole("heading", { name: /Preview/ }).waitFor();
  await shot("actions");
} finally {
  await browser.close();
  await svc.close();
}
