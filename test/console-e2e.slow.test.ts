/**
 * The web console end to end in a real headless browser (Debian's Chromium through playwright-core)
 * against a real service on an emulated tenant: sign-in with a token, a local user and a one-time
 * link; Sync now with live progress; browsing a user and their access; an action previewed then run
 * for real; sign-out; the setup wizard, a delegated connection's Sign in with Microsoft, and the
 * triggers page; a mapping created, dry-run and synced to a SCIM service. Plus, over plain HTTP, a change made with
 * the cookie but no CSRF token refused.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import type { BrowserContext, Page } from "playwright-core";
import { type ConsoleService, launchBrowser, startConsoleService, USER } from "./console-support.ts";
import { startScimServer } from "./support/scim-server.ts";

type Snapshot = {
  users: { id: string; displayName: string; userPrincipalName: string; jobTitle?: string | null }[];
  groups: { id: string; displayName: string; members?: (string | { id: string })[] }[];
};

describe("web console in a browser", () => {
  let svc: ConsoleService;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let context: BrowserContext;

  before(async () => {
    browser = await launchBrowser();
    context = browser.context;
    svc = await startConsoleService({ size: "s", latency: "graph", provisioning: true });
  });

  after(async () => {
    await browser?.close();
    await svc?.close();
  });

  async function signInAsUser(): Promise<Page> {
    await context.clearCookies();
    const page = await context.newPage();
    await page.goto(`${svc.url}/console/`);
    await page.getByLabel("User name", { exact: true }).fill(USER.name);
    await page.getByLabel("Password", { exact: true }).fill(USER.password);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByRole("heading", { name: "Connections" }).waitFor();
    return page;
  }

  async function signOut(page: Page): Promise<void> {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByText("You have signed out.").waitFor();
  }

  test("an API token signs in (a wrong one is refused), the cookie is HttpOnly and SameSite=Strict, and signing out ends the session", async () => {
    const page = await context.newPage();
    await page.goto(`${svc.url}/console/connections/default`);
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await page.getByLabel("API token", { exact: true }).fill("ecs_wrong");
    await page.getByRole("button", { name: "Sign in with token" }).click();
    await page.getByRole("alert").getByText("API_SIGN_IN_FAILED").waitFor();
    await page.getByLabel("API token", { exact: true }).fill(svc.tokens.operator);
    await page.getByRole("button", { name: "Sign in with token" }).click();
    // Back where the visitor was going: the connection's dashboard.
    await page.getByRole("heading", { name: "Objects by kind" }).waitFor();
    assert.equal(new URL(page.url()).pathname, "/console/connections/default");
    await page.getByText("operator (operator)").waitFor();
    const [cookie] = await context.cookies(svc.url);
    assert.equal(cookie?.name, "ec_session");
    assert.equal(cookie?.httpOnly, true);
    assert.equal(cookie?.sameSite, "Strict");
    assert.equal(cookie?.path, "/");
    await signOut(page);
    const after = await fetch(`${svc.url}/api/v1/session`, {
      headers: { cookie: `ec_session=${cookie!.value}` },
    });
    assert.equal(after.status, 401, "the session outlived sign-out");
    await page.goto(`${svc.url}/console/`);
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await page.close();
  });

  test("a one-time sign-in link opens the console once", async () => {
    const ticket = await svc.state.createSignInTicket("viewer", 60_000);
    const page = await context.newPage();
    await page.goto(`${svc.url}/console/sign-in/${ticket}`);
    await page.getByRole("heading", { name: "Connections" }).waitFor();
    await page.getByText("sign-in link (viewer)").waitFor();
    await signOut(page);
    await page.goto(`${svc.url}/console/sign-in/${ticket}`);
    await page.getByText("That sign-in link was used already or has expired.").waitFor();
    await page.close();
  });

  test("a local user signs in; Sync now shows live progress to completion", async () => {
    const page = await signInAsUser();
    await page.getByText(`${USER.name} (admin)`).waitFor();
    const row = page.getByRole("row").filter({ hasText: svc.emu.tenantId });
    await row.getByText("Never synced").waitFor();
    await row.getByRole("link").click();
    // The s tenant syncs in a few requests; memberships in small delta pages keep the run going long
    // enough to watch it live whatever the machine's load.
    svc.emu.setFaults({ deltaMembersPerPage: 10 });
    await page.getByRole("button", { name: "Sync now" }).click();
    await page.getByRole("heading", { name: /^Sync run/ }).waitFor();
    // Live: the figures grow while the run is still running, from the event stream.
    await page
      .locator('#progress[aria-busy="true"] td:nth-child(3)')
      .filter({ hasNotText: /^0$/ })
      .first()
      .waitFor({ timeout: 120_000 });
    await page.locator(".run-status").getByText("Succeeded").waitFor({ timeout: 120_000 });
    svc.emu.setFaults({ deltaMembersPerPage: 1000 });
    assert.equal(await page.locator("#progress").getAttribute("aria-busy"), "false");
    assert.equal(await page.locator("#announce").textContent(), "Sync succeeded.");
    assert.match((await page.getByRole("heading", { name: /^Sync run/ }).textContent()) ?? "", /#1$/);
    const users = page.getByRole("row").filter({ hasText: /^users/ });
    assert.ok(Number(await users.getByRole("cell").nth(2).textContent()) > 0, "no user synced");
    await page.getByRole("link", { name: "Dashboard", exact: true }).click();
    await page.getByRole("table", { name: "Last runs, newest first" }).getByText("Succeeded").waitFor();
    await page.close();
  });

  test("browse finds a user by name, pages through users, and shows the user's access with its groups", async () => {
    const snapshot = (await svc.emu.snapshot()) as Snapshot;
    const memberOf = (id: string) =>
      snapshot.groups.filter((g) => (g.members ?? []).some((m) => (typeof m === "string" ? m : m.id) === id));
    const user = snapshot.users.find((u) => memberOf(u.id).length > 0)!;
    const page = await signInAsUser();
    await page.goto(`${svc.url}/console/connections/default/browse`);
    const table = page.getByRole("table", { name: "Users" });
    await table.waitFor();
    assert.equal(await table.getByRole("row").count(), 26, "a page of 25 users and the header");
    await page.getByRole("link", { name: "Next page" }).click();
    await page.getByRole("link", { name: "Previous page" }).waitFor();
    await page.getByLabel("Search by name").fill(user.userPrincipalName);
    await page.getByRole("button", { name: "Search" }).click();
    const found = page.getByRole("table", { name: /^Users matching/ });
    await found.getByRole("cell", { name: user.userPrincipalName }).waitFor();
    await found
      .getByRole("link", { name: `Access of ${user.displayName}` })
      .first()
      .click();
    await page.getByRole("heading", { name: `Access of ${user.displayName}` }).waitFor();
    for (const group of memberOf(user.id)) {
      await page.getByRole("cell", { name: group.displayName, exact: true }).first().waitFor();
    }
    await page.close();
  });

  test("an action is previewed as a dry run (the Graph request shown, nothing changed), then run for real", async () => {
    const snapshot = (await svc.emu.snapshot()) as Snapshot;
    const user = snapshot.users[1]!;
    const page = await signInAsUser();
    await page.goto(`${svc.url}/console/connections/default/actions`);
    await page.getByLabel("Action", { exact: true }).selectOption("update-user");
    await page.getByLabel("user (required)").fill(user.userPrincipalName);
    await page.getByLabel("jobTitle", { exact: true }).fill("Console Auditor");
    await page.getByRole("button", { name: "Preview (dry run)" }).click();
    const requests = page.getByRole("table", { name: "Graph requests the action would send" });
    await requests.getByRole("cell", { name: "PATCH" }).waitFor();
    await requests.getByText("Console Auditor").waitFor();
    const before = ((await svc.emu.snapshot()) as Snapshot).users.find((u) => u.id === user.id);
    assert.notEqual(before?.jobTitle, "Console Auditor", "the dry run changed the tenant");
    await page.getByRole("button", { name: "Run for real" }).click();
    await page.getByRole("heading", { name: "Done" }).waitFor();
    const afterRun = ((await svc.emu.snapshot()) as Snapshot).users.find((u) => u.id === user.id);
    assert.equal(afterRun?.jobTitle, "Console Auditor");
    await signOut(page);
    await page.close();
  });

  test("accessible: landmarks, a skip link first in the focus order with a visible focus, keyboard sign-in, every control labelled", async () => {
    await context.clearCookies();
    const page = await context.newPage();
    await page.goto(`${svc.url}/console/sign-in`);
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    for (const role of ["banner", "main"] as const) assert.equal(await page.getByRole(role).count(), 1, role);
    await page.keyboard.press("Tab");
    const skip = page.getByRole("link", { name: "Skip to content" });
    assert.equal(await skip.evaluate((el) => el === el.ownerDocument.activeElement), true);
    const outline = await skip.evaluate(
      (el) =>
        (
          globalThis as unknown as { getComputedStyle(e: unknown): { outlineStyle: string } }
        ).getComputedStyle(el).outlineStyle,
    );
    assert.equal(outline, "solid", "the focused link shows no outline");
    await page.getByLabel("User name", { exact: true }).focus();
    await page.keyboard.type(USER.name);
    await page.keyboard.press("Tab");
    await page.keyboard.type(USER.password);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Connections" }).waitFor();
    assert.equal(await page.getByRole("navigation", { name: "Main" }).count(), 1);
    for (const path of [
      "connections/default/actions?name=create-user",
      "connections/default/browse",
      "connections/new",
      "sign-in",
    ]) {
      await page.goto(`${svc.url}/console/${path}`);
      await page.getByRole("heading", { level: 1 }).waitFor();
      await page.locator("main input, main select, main textarea").first().waitFor();
      const unlabelled = await page
        .locator("main input, main select, main textarea")
        .evaluateAll((els) =>
          els
            .filter(
              (el) =>
                !(el as unknown as { labels: unknown[] }).labels?.length && !el.getAttribute("aria-label"),
            )
            .map((el) => el.getAttribute("name")),
        );
      assert.deepEqual(unlabelled, [], `controls without a label on ${path}`);
    }
    await page.close();
  });

  test("a change sent with the session cookie but without its CSRF token is refused (plain HTTP)", async () => {
    const signIn = await fetch(`${svc.url}/api/v1/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: svc.tokens.operator }),
    });
    assert.equal(signIn.status, 200);
    const cookie = (signIn.headers.get("set-cookie") ?? "").split(";")[0]!;
    const { csrfToken } = (await signIn.json()) as { csrfToken: string };
    const post = (headers: Record<string, string>) =>
      fetch(`${svc.url}/api/v1/connections/default/runs/none/cancel`, {
        method: "POST",
        headers: { cookie, ...headers },
      });
    const refused = await post({});
    assert.equal(refused.status, 403);
    assert.equal(
      ((await refused.json()) as { error: { code: string } }).error.code,
      "API_CSRF_TOKEN_INVALID",
    );
    const allowed = await post({ "x-csrf-token": csrfToken });
    assert.equal(((await allowed.json()) as { error: { code: string } }).error.code, "STORE_RUN_NOT_FOUND");
  });
  test("the setup wizard adds a connection and shows its permission check; a wrong secret is named, not hidden", async () => {
    const page = await signInAsUser();
    await page.goto(`${svc.url}/console/connections/new`);
    const fill = async (name: string, secret: string) => {
      await page.getByLabel("Name", { exact: true }).fill(name);
      await page.getByLabel("Tenant id").fill(svc.emu.tenantId);
      await page.getByLabel("Client id").fill(svc.emu.clientId);
      await page.getByLabel("Secret", { exact: true }).fill(secret);
      await page.getByRole("button", { name: "Save and check" }).click();
    };
    await fill("Wizard tenant", svc.emu.clientSecret);
    await page.getByRole("heading", { name: "Connection works" }).waitFor();
    const check = page.getByRole("table", { name: "What the connector may do in this tenant" });
    assert.ok((await check.getByText("Granted").count()) > 0, "no capability granted");
    await page.getByRole("link", { name: "Go to the connection's dashboard" }).click();
    await page.getByRole("heading", { name: "Wizard tenant" }).waitFor();
    await page.getByRole("link", { name: "Connections", exact: true }).click();
    await page.getByRole("row").filter({ hasText: "Wizard tenant" }).getByText("Never synced").waitFor();
    await page.goto(`${svc.url}/console/connections/new`);
    await fill("Wrong secret", "not-the-secret");
    await page.getByRole("heading", { name: "The connection needs attention" }).waitFor();
    await page.getByRole("alert").waitFor();
    await page.close();
  });

  test("a sync that failed is shown in the dashboard's Failed jobs panel and discarded from it", async () => {
    const page = await signInAsUser();
    await page.getByRole("link", { name: "Wrong secret", exact: true }).click();
    await page.getByRole("button", { name: "Sync now" }).click();
    await page.locator(".run-status").getByText("Failed").waitFor();
    await page.goBack();
    const panel = page.getByRole("table", { name: "Jobs that failed after their retries, newest first" });
    const row = panel.getByRole("row").filter({ hasText: "client secret is not valid" });
    await row.waitFor();
    await row.getByRole("button", { name: "Discard" }).click();
    await page.getByText("No failed job.").waitFor();
    await page.close();
  });

  test("an admin edits a managed connection on its dashboard; a replaced secret re-runs the check", async () => {
    const page = await signInAsUser();
    await page.getByRole("link", { name: "Wizard tenant", exact: true }).click();
    await page.getByRole("heading", { name: "Wizard tenant" }).waitFor();
    await page.getByText("Edit the connection").click();
    const form = page.getByRole("form", { name: "Edit the connection" });
    await form.getByLabel("Name", { exact: true }).fill("Wizard tenant, edited");
    await form.getByLabel("Schedule").fill("0 9 * * *");
    await form.getByLabel("Time zone").fill("Europe/Paris");
    await form.getByLabel("Allow writes (provisioning)").check();
    await form.getByLabel("New client secret").fill(svc.emu.clientSecret);
    await form.getByRole("button", { name: "Save changes" }).click();
    await page.getByRole("status").getByText("Connection saved.").waitFor();
    await page.getByRole("heading", { name: "Connection works" }).waitFor();
    await page.reload();
    await page.getByRole("heading", { name: "Wizard tenant, edited" }).waitFor();
    await page.getByText("Edit the connection").click();
    assert.equal(await form.getByLabel("Time zone").inputValue(), "Europe/Paris");
    assert.equal(await form.getByLabel("Allow writes (provisioning)").isChecked(), true);
    await page.close();
  });

  test("a delegated connection added with the wizard signs in with Microsoft in the browser, then syncs", async () => {
    const page = await signInAsUser();
    await page.goto(`${svc.url}/console/connections/new`);
    await page.getByLabel("Name", { exact: true }).fill("Signed in");
    await page.getByLabel("Tenant id").fill(svc.emu.tenantId);
    await page.getByLabel("Client id").fill(svc.emu.apps.delegated.clientId);
    await page.getByLabel("Delegated (sign in with Microsoft)").check();
    await page.getByRole("button", { name: "Save and check" }).click();
    // Nobody has signed in yet: the check says so.
    await page.getByRole("alert").getByText("AUTH_LOGIN_REQUIRED").waitFor();
    await page.getByRole("button", { name: "Sign in with Microsoft" }).click();
    // The emulator's sign-in page approves its user at once and sends the browser back to the service.
    await page.waitForURL(`${svc.url}/console/connections/signed-in`, { timeout: 60_000 });
    await page.getByRole("heading", { name: "Signed in" }).waitFor();
    await page.getByText(/^Delegated: signed in, since/).waitFor();
    await page.getByRole("button", { name: "Sync now" }).click();
    await page.locator(".run-status").getByText("Succeeded").waitFor({ timeout: 120_000 });
    const users = page.getByRole("row").filter({ hasText: /^users/ });
    assert.ok(Number(await users.getByRole("cell").nth(2).textContent()) > 0, "no user synced");
    await page.close();
  });

  test("the triggers page subscribes a webhook (its secret shown once) and sends a test delivery the receiver gets", async () => {
    const received: string[] = [];
    const receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => {
        body += String(chunk);
      });
      req.on("end", () => {
        received.push(body);
        res.statusCode = 204;
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    try {
      const page = await signInAsUser();
      await page.goto(`${svc.url}/console/connections/default/triggers`);
      await page.getByText("No subscription yet.").waitFor();
      await page.getByLabel("Webhook URL").fill(hook);
      await page.getByLabel("Event types").fill("user.*, group.member.added");
      await page.getByRole("button", { name: "Subscribe" }).click();
      const secret = await page.locator("code.secret").textContent();
      assert.ok(secret && secret.length >= 16, "no signing secret shown");
      const row = page.getByRole("row").filter({ hasText: hook });
      await row.getByText("user.*").waitFor();
      await page.reload();
      await row.waitFor();
      assert.equal(await page.getByText(secret).count(), 0, "the secret is shown again");
      await page.getByRole("button", { name: `Send a test delivery to ${hook}` }).click();
      await page.getByRole("status").getByText("Delivered").waitFor();
      assert.ok(
        received.some((b) => b.includes("subscription.test")),
        "the receiver got no test event",
      );
      await page.close();
    } finally {
      receiver.close();
    }
  });

  test("a mapping to a SCIM service is created by pasting YAML, dry-run, synced now, and its log read", async () => {
    const scim = await startScimServer("console-scim-token-5b2e91");
    try {
      // The users the mapping pushes are the store's: synced here, so the test stands on its own.
      const auth = { authorization: `Bearer ${svc.tokens.operator}` };
      const sync = await fetch(`${svc.url}/api/v1/connections/default/sync`, {
        method: "POST",
        headers: auth,
      });
      const { runId } = (await sync.json()) as { runId: string };
      for (let status = "queued"; status === "queued" || status === "running"; ) {
        await new Promise((r) => setTimeout(r, 100));
        const run = await fetch(`${svc.url}/api/v1/connections/default/runs/${runId}`, { headers: auth });
        status = ((await run.json()) as { status: string }).status;
      }
      const page = await signInAsUser();
      await page.goto(`${svc.url}/console/connections/default/mappings`);
      await page.getByText("No mapping yet.").waitFor();
      await page
        .getByLabel("Definition (YAML or JSON)")
        .fill(
          [
            "name: e2e",
            "source:",
            "  users:",
            "    filter: [[{ property: userType, operator: EQUALS, value: Member }]]",
            "match: [userName]",
            "attributes:",
            '  userName: "ToLower([userPrincipalName])"',
            '  displayName: "[displayName]"',
            '  active: "[accountEnabled]"',
            '  externalId: "[id]"',
            "target:",
            "  type: scim",
            `  url: ${scim.url}`,
            `  token: ${scim.token}`,
          ].join("\n"),
        );
      await page.getByRole("button", { name: "Create mapping" }).click();
      await page.getByRole("heading", { name: "Mapping e2e" }).waitFor();
      assert.equal(await page.getByText(scim.token).count(), 0, "the token is shown");

      await page.getByRole("button", { name: "Dry run" }).click();
      await page.locator("#announce").getByText("Dry run succeeded.").waitFor({ timeout: 60_000 });
      await page.getByRole("heading", { name: "Dry run: the plan" }).waitFor();
      await page
        .getByRole("table", { name: "Planned actions" })
        .getByRole("cell", { name: "create" })
        .first()
        .waitFor();
      assert.equal(scim.users.size, 0, "a dry run wrote to the target");

      await page.getByRole("button", { name: "Sync Now" }).click();
      await page.getByRole("heading", { name: "Run", exact: true }).waitFor();
      await page.locator("#announce").getByText("Run succeeded.").waitFor({ timeout: 120_000 });
      assert.ok(scim.users.size > 0, "nothing reached the target");
      const log = page.getByRole("table", { name: "Log of e2e" });
      await log.getByRole("cell", { name: "create" }).first().waitFor();
      assert.equal(await log.getByRole("row").count(), scim.users.size + 1);
      await page.getByLabel("Result").selectOption("failed");
      await page.getByRole("button", { name: "Filter" }).click();
      await page.getByText("No record logged.").waitFor();
      await page.close();
    } finally {
      await scim.close();
    }
  });
});
