import {
  DEPARTMENTS,
  FIRST_NAMES,
  GUEST_DOMAINS,
  JOB_TITLES,
  LAST_NAMES,
  OFFICES,
  USAGE_LOCATIONS,
} from "./catalog.ts";
import { addAppsRolesAndLicenses } from "./generator-directory.ts";
import { TenantModel } from "./model.ts";
import { createRandom, type Random } from "./random.ts";
import { TENANT_SIZES, type TenantCounts, type TenantSizeName } from "./sizes.ts";
import { isoSeconds } from "./time.ts";
import type { GraphObject } from "./types.ts";
import { addWellKnownApps, type WellKnownApps } from "./well-known-apps.ts";

export interface GenerateOptions {
  size: TenantSizeName;
  seed: number;
  /** Explicit counts override the size's. */
  counts?: Partial<TenantCounts>;
  /** Application permissions of the primary app (and the certificate / expired / disabled apps). */
  permissions: string[];
  /** Whether the tenant has Entra ID P2 (PIM). Default true. */
  p2?: boolean;
  /** The generator's clock: createdDateTime values are spread over the year before it. */
  now?: number;
}

export interface GeneratedTenant {
  model: TenantModel;
  apps: WellKnownApps;
}

/** A fixed clock keeps `--seed N` byte-for-byte reproducible across days. */
const DEFAULT_NOW = Date.UTC(2026, 0, 1);

/**
 * Builds a tenant deterministically from a seed: users (members, guests, disabled, on-premises synced,
 * managers, licences), groups (security, Microsoft 365, dynamic, on-premises synced, mail-enabled,
 * nested), memberships with a long tail (a few huge groups, many small ones), owners, enterprise apps
 * with assignments, activated roles with assignments and PIM eligibilities, SKUs and a few deleted items.
 * Runs without logging changes: the initial state is the start of history.
 */
export function generateTenant(options: GenerateOptions): GeneratedTenant {
  const counts: TenantCounts = { ...TENANT_SIZES[options.size], ...(options.counts ?? {}) };
  const random = createRandom(options.seed);
  const now = options.now ?? DEFAULT_NOW;
  const name = "Contoso";
  const model = new TenantModel({
    id: random.uuid(),
    displayName: `${name} Ltd`,
    domains: [`${name.toLowerCase()}.onmicrosoft.com`, `${name.toLowerCase()}.com`],
    hasP2: options.p2 ?? true,
  });
  const apps = model.changes.unlogged(() => {
    const wellKnown = addWellKnownApps(model, random, options.permissions, now);
    const users = addUsers(model, random, counts.users, now);
    const groups = addGroups(model, random, counts.groups, now);
    addMemberships(model, random, users, groups, counts);
    addOwners(model, random, users, groups);
    addAppsRolesAndLicenses(model, random, {
      users,
      groups,
      counts,
      now,
      adminId: wellKnown.delegatedUserId,
    });
    const full = model.list("subscribedSku").filter((sku) => freeSeats(sku) === 0);
    addDeletedItems(model, random, users, groups, now);
    // Deleted holders free their seats; a SKU generated full stays full (tests rely on one).
    for (const sku of full) {
      const prepaid = sku["prepaidUnits"] as Record<string, number>;
      sku["prepaidUnits"] = { ...prepaid, enabled: sku["consumedUnits"] as number };
    }
    return wellKnown;
  });
  return { model, apps };
}

function addUsers(model: TenantModel, random: Random, count: number, now: number): GraphObject[] {
  const [initialDomain, domain] = model.info.domains as [string, string];
  const syncedShare = count >= 1000 ? 0.3 : 0.2;
  const users: GraphObject[] = [];
  for (let i = 0; i < count; i++) {
    const given = random.pick(FIRST_NAMES);
    const surname = random.pick(LAST_NAMES);
    const nick = `${ascii(given)}.${ascii(surname)}${i}`.toLowerCase();
    const guest = random.chance(0.05);
    const created = now - random.int(365 * 86_400) * 1000;
    const user: GraphObject = {
      id: random.uuid(),
      displayName: `${given} ${surname}`,
      givenName: given,
      surname,
      accountEnabled: !random.chance(0.05),
      businessPhones: random.chance(0.6) ? [`+1 425 555 ${String(1000 + random.int(9000))}`] : [],
      createdDateTime: isoSeconds(created),
    };
    if (guest) {
      const external = `${nick}@${random.pick(GUEST_DOMAINS)}`;
      Object.assign(user, {
        userPrincipalName: `${external.replace("@", "_")}#EXT#@${initialDomain}`,
        mail: external,
        mailNickname: external.replace("@", "_"),
        userType: "Guest",
        otherMails: [external],
        externalUserState: "Accepted",
      });
    } else {
      const location = random.chance(0.92) ? random.pick(USAGE_LOCATIONS) : undefined;
      Object.assign(user, {
        userPrincipalName: `${nick}@${domain}`,
        mail: `${nick}@${domain}`,
        mailNickname: nick,
        userType: "Member",
        jobTitle: random.pick(JOB_TITLES),
        department: random.pick(DEPARTMENTS),
        officeLocation: random.pick(OFFICES),
        preferredLanguage: "en-US",
        employeeId: String(100000 + i),
        proxyAddresses: [`SMTP:${nick}@${domain}`],
      });
      if (location) user["usageLocation"] = location;
      if (random.chance(0.4)) user["mobilePhone"] = `+1 206 555 ${String(1000 + random.int(9000))}`;
      if (random.chance(syncedShare)) {
        Object.assign(user, {
          onPremisesSyncEnabled: true,
          onPremisesImmutableId: Buffer.from(random.uuid().replaceAll("-", ""), "hex").toString("base64"),
          onPremisesSamAccountName: nick.slice(0, 20),
          onPremisesDomainName: "corp.contoso.com",
          onPremisesLastSyncDateTime: isoSeconds(now - random.int(3600) * 1000),
        });
      }
    }
    model.insert("user", user);
    users.push(user);
    // Managers form a tree: each user reports to someone created earlier (the first 1% report to nobody).
    if (!guest && i > count / 100 && i > 0) {
      const manager = users[random.int(Math.max(1, Math.floor(i / 4)))];
      if (manager && manager.id !== user.id && manager["userType"] === "Member")
        model.setManager(user.id, manager.id);
    }
  }
  return users;
}

/**
 * Names the documentation's examples scope by (`memberOf: ["Finance", "IT Support"]`), given to the first
 * groups after the dynamic ones: only names change, so every tenant keeps its counts and random draws.
 */
const DEMO_GROUPS = ["Finance", "IT Support"];

type GroupFlavour = "security" | "unified" | "dynamic" | "synced" | "mailSecurity" | "distribution";

function addGroups(model: TenantModel, random: Random, count: number, now: number): GraphObject[] {
  const groups: GraphObject[] = [];
  const dynamicCount = Math.max(1, Math.round(count * 0.02));
  for (let i = 0; i < count; i++) {
    const flavour = groupFlavour(i, dynamicCount, random);
    const department = random.pick(DEPARTMENTS);
    const base =
      DEMO_GROUPS[i - dynamicCount] ??
      (flavour === "unified"
        ? `${department} Team ${i}`
        : `${department} ${flavour === "distribution" ? "News" : "Access"} ${i}`);
    const nick = base.replace(/[^A-Za-z0-9]/g, "").toLowerCase();
    const unified = flavour === "unified" || (flavour === "dynamic" && random.chance(0.3));
    const mailEnabled = unified || flavour === "mailSecurity" || flavour === "distribution";
    const group: GraphObject = {
      id: random.uuid(),
      displayName: base,
      description: `${base} (${flavour === "dynamic" ? "dynamic" : unified ? "Microsoft 365" : "security"} group)`,
      createdDateTime: isoSeconds(now - random.int(2 * 365 * 86_400) * 1000),
      groupTypes: unified ? ["Unified"] : [],
      mailEnabled,
      mailNickname: nick,
      securityEnabled: flavour !== "distribution" && (!unified || random.chance(0.2)),
      securityIdentifier: `S-1-12-1-${random.int(2 ** 31)}-${random.int(2 ** 31)}-${random.int(2 ** 31)}-${random.int(2 ** 31)}`,
      proxyAddresses: mailEnabled ? [`SMTP:${nick}@${model.info.domains[1]}`] : [],
      isAssignableToRole: false,
    };
    if (mailEnabled) group["mail"] = `${nick}@${model.info.domains[1]}`;
    if (unified) {
      group["visibility"] = random.chance(0.8) ? "Private" : "Public";
      group["renewedDateTime"] = group["createdDateTime"];
    }
    if (flavour === "dynamic") {
      const location = random.pick(USAGE_LOCATIONS);
      group["groupTypes"] = [...(group["groupTypes"] as string[]), "DynamicMembership"];
      group["membershipRule"] =
        model.count("user") >= 5000
          ? `(user.department -eq "${department}") and (user.usageLocation -eq "${location}")`
          : `(user.department -eq "${department}")`;
      group["membershipRuleProcessingState"] = "On";
    }
    if (flavour === "synced") {
      Object.assign(group, {
        onPremisesSyncEnabled: true,
        onPremisesSamAccountName: nick.slice(0, 20),
        onPremisesSecurityIdentifier: `S-1-5-21-${random.int(2 ** 31)}-${random.int(2 ** 31)}-${random.int(2 ** 31)}-${1000 + i}`,
        onPremisesLastSyncDateTime: isoSeconds(now - random.int(3600) * 1000),
      });
    }
    model.insert("group", group);
    groups.push(group);
  }
  return groups;
}

function groupFlavour(index: number, dynamicCount: number, random: Random): GroupFlavour {
  if (index < dynamicCount) return "dynamic";
  const roll = random.next();
  if (roll < 0.55) return "security";
  if (roll < 0.85) return "unified";
  if (roll < 0.93) return "synced";
  if (roll < 0.97) return "mailSecurity";
  return "distribution";
}

function addMemberships(
  model: TenantModel,
  random: Random,
  users: GraphObject[],
  groups: GraphObject[],
  counts: TenantCounts,
): void {
  if (users.length === 0 || groups.length === 0) return;
  let budget = Math.round(users.length * counts.membershipsPerUser);
  const members = users.filter((u) => u["userType"] === "Member");
  // Dynamic groups hold exactly the users their rule selects.
  const manual: GraphObject[] = [];
  for (const group of groups) {
    const rule = group["membershipRule"];
    if (typeof rule !== "string") {
      manual.push(group);
      continue;
    }
    const department = /department -eq "([^"]+)"/.exec(rule)?.[1];
    const location = /usageLocation -eq "([^"]+)"/.exec(rule)?.[1];
    for (const user of members) {
      if (user["department"] !== department) continue;
      if (location && user["usageLocation"] !== location) continue;
      if (model.addMember(group.id, user.id)) budget -= 1;
    }
  }
  // The rest follows a Zipf-like tail: the k-th group gets a share proportional to 1/k^0.9.
  const weights = manual.map((_, k) => 1 / (k + 1) ** 0.9);
  const total = weights.reduce((a, b) => a + b, 0);
  manual.forEach((group, k) => {
    const size = Math.min(
      users.length,
      Math.max(1, Math.round((Math.max(0, budget) * (weights[k] as number)) / total)),
    );
    // A random start and an odd stride coprime-ish to n visit distinct users without a dedupe pass.
    const start = random.int(users.length);
    const stride = 1 + 2 * random.int(Math.max(1, Math.floor(users.length / 2)));
    for (let j = 0; j < size; j++) {
      const user = users[(start + j * stride) % users.length] as GraphObject;
      model.addMember(group.id, user.id);
    }
  });
  // Nesting: about 5% of security groups contain 1–3 later security groups (a DAG, so no cycles).
  const security = manual.filter(
    (g) => (g["groupTypes"] as string[]).length === 0 && g["securityEnabled"] === true,
  );
  for (let i = 0; i < security.length; i++) {
    if (!random.chance(0.05)) continue;
    const children = 1 + random.int(3);
    for (let c = 0; c < children; c++) {
      const child = security[i + 1 + random.int(Math.max(1, security.length - i - 1))];
      if (child) model.addMember((security[i] as GraphObject).id, child.id);
    }
  }
}

function addOwners(model: TenantModel, random: Random, users: GraphObject[], groups: GraphObject[]): void {
  const members = users.filter((u) => u["userType"] === "Member" && u["accountEnabled"] === true);
  if (members.length === 0) return;
  for (const group of groups) {
    const unified = (group["groupTypes"] as string[]).includes("Unified");
    const owners = unified ? 1 + random.int(2) : random.chance(0.5) ? 1 : 0;
    for (let i = 0; i < owners; i++) model.addOwner("group", group.id, random.pick(members).id);
  }
}

function addDeletedItems(
  model: TenantModel,
  random: Random,
  users: GraphObject[],
  groups: GraphObject[],
  now: number,
): void {
  const userCount = Math.max(2, Math.round(users.length * 0.002));
  for (let i = 0; i < userCount && users.length > 0; i++) {
    const user = users[users.length - 1 - random.int(Math.min(users.length, 50))] as GraphObject;
    if (model.get("user", user.id)) model.softDelete("user", user.id, now - random.int(20 * 86_400) * 1000);
  }
  // The groups the documentation's examples name stay: a deleted one would not be found by name.
  const unified = groups.filter(
    (g) =>
      (g["groupTypes"] as string[]).includes("Unified") && !DEMO_GROUPS.includes(g["displayName"] as string),
  );
  const groupCount = Math.min(unified.length, Math.max(1, Math.round(groups.length * 0.002)));
  for (let i = 0; i < groupCount; i++) {
    const group = unified[unified.length - 1 - i] as GraphObject;
    model.softDelete("group", group.id, now - random.int(20 * 86_400) * 1000);
  }
}

function freeSeats(sku: GraphObject): number {
  return (sku["prepaidUnits"] as { enabled: number }).enabled - (sku["consumedUnits"] as number);
}

/** Strips accents and apostrophes for mail nicknames ("Müller" → "muller", "O'Brien" → "obrien"). */
function ascii(value: string): string {
  return value.normalize("NFD").replace(/[^A-Za-z0-9]/g, "");
}
