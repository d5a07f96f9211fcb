/**
 * The input vocabulary every action shares, and the shapes of what actions return. Property names are
 * Graph's, so a form built from the JSON Schema reads like the Graph documentation.
 */
import { z } from "zod";

/**
 * Unicode control characters (C0, DEL, C1) and the Unicode line separators: a terminal escape, a NUL
 * or a stray line break in a value.
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
/** The same, but tab, line feed and carriage return, which multi-line text may hold. */
const CONTROL_BUT_LINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

/**
 * Every string an action takes starts here, so no field lets control characters through: they are
 * never meant in a directory value (usually a paste accident) and would reach logs and terminals as
 * escapes. `multiline` text (descriptions, rules) may hold tabs and line breaks; nothing else may.
 * `trim` drops surrounding blanks first (references copied with a trailing newline).
 */
export const plainString = (options: { multiline?: boolean; trim?: boolean } = {}) =>
  (options.trim ? z.string().trim() : z.string()).refine(
    (s) => !(options.multiline ? CONTROL_BUT_LINES : CONTROL).test(s),
    options.multiline
      ? "must not contain control characters (only tab and line breaks are allowed)"
      : "must not contain control characters (line breaks and tabs included)",
  );

/** A directory reference (id, name, address): surrounding blanks are trimmed. */
export const ref = (what: string, max = 1024) =>
  plainString({ trim: true }).min(1, `must name a ${what}`).max(max);

/** Free text (names): not empty (null clears a property), one line unless `multiline`. */
export const text = (max: number, options: { multiline?: boolean } = {}) =>
  plainString(options).min(1, "must not be empty (use null to clear it)").max(max);

export const userRef = ref("user").describe(
  "A user: object id, userPrincipalName or mail, or exact display name",
);
export const groupRef = ref("group").describe("A group: object id, mail, or exact display name");
export const principalRef = ref("principal", 1030).describe(
  "A user reference, or group:<ref> / app:<ref> for a group or service principal",
);
export const skuRef = ref("SKU", 200).describe(
  "A subscribed SKU: skuId (GUID) or skuPartNumber, e.g. ENTERPRISEPACK",
);

export const usageLocation = plainString()
  .regex(/^[A-Za-z]{2}$/, "must be a two-letter ISO country code, e.g. US")
  .transform((s) => s.toUpperCase())
  .describe("Two-letter ISO country code; required before a licence can be assigned");

const upn = plainString({ trim: true })
  .max(113)
  .regex(/^[^@\s]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/, "must look like name@verified-domain")
  .describe("userPrincipalName: name@<a verified domain of the tenant>");

/** A user's mail alias: printable ASCII without spaces or @()\[]";:<>, (dots are fine, e.g. ann.lee). */
const userMailNickname = plainString()
  .min(1)
  .max(64)
  .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces")
  .regex(/^[^@()\\[\]";:<>,]+$/, 'must not contain any of @ ( ) \\ [ ] " ; : < > ,');

/** A group's mailNickname (docs/graph.md#groups): ASCII, ≤64, none of @()\[]";:.<>, or space. */
export const mailNickname = plainString()
  .min(1)
  .max(64)
  .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces")
  .regex(/^[^@()\\[\]";:.<>,]+$/, 'must not contain any of @ ( ) \\ [ ] " ; : . < > ,');

/**
 * Azure AD's documented password rule for cloud users: 8–256 characters, three of four character
 * classes. Checked before sending so the common mistake costs no request; a tenant's stricter policy
 * is still reported from Graph's refusal.
 */
export const password = plainString()
  .min(8, "must be at least 8 characters")
  .max(256, "must be at most 256 characters")
  .refine(
    (p) => [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(p)).length >= 3,
    "must contain three of: lower case, upper case, digits, symbols",
  )
  .describe(
    "Initial password (never logged, audited or printed; on the CLI pass it with --input-file, not --input)",
  );

/** A property that may be set, or cleared with null. */
const optionalText = (max: number, what: string, options: { multiline?: boolean } = {}) =>
  text(max, options).nullable().describe(`${what} (null clears it)`);

/** Writable user properties (Graph names) shared by create-user and update-user. */
export const userProperties = {
  displayName: text(256).describe("Name shown in the directory"),
  givenName: optionalText(64, "First name"),
  surname: optionalText(64, "Last name"),
  jobTitle: optionalText(128, "Job title"),
  department: optionalText(64, "Department"),
  companyName: optionalText(64, "Company name"),
  employeeId: optionalText(16, "Employee id from HR"),
  officeLocation: optionalText(128, "Office location"),
  mobilePhone: optionalText(64, "Mobile phone number"),
  accountEnabled: z.boolean().describe("Whether the user can sign in"),
  usageLocation: usageLocation.nullable(),
  userPrincipalName: upn,
  mailNickname: userMailNickname.describe("Mail alias"),
};

export const groupProperties = {
  displayName: text(256).describe("Name shown in the directory"),
  description: optionalText(1024, "What the group is for", { multiline: true }),
  mailNickname,
  visibility: z.enum(["Public", "Private", "HiddenMembership"]).nullable(),
  membershipRule: text(3072, { multiline: true }),
};

export const licenseLists = {
  addLicenses: z.array(skuRef).max(50).default([]).describe("SKUs to assign (skuId or skuPartNumber)"),
  removeLicenses: z.array(skuRef).max(50).default([]).describe("SKUs to remove (skuId or skuPartNumber)"),
};

export const limit = z.number().int().min(1).max(999).default(100).describe("Most results to return (1–999)");
export const cursor = plainString()
  .max(8192)
  .optional()
  .describe("nextCursor from the previous call of the same search, with the same filters");

/** A Graph object as returned: `id` plus Graph properties. */
export const graphObject = z.looseObject({ id: z.string() });

const plannedRequest = z.object({
  method: z.string(),
  url: z.string(),
  body: z.unknown().optional(),
});

/** Fields every write's output carries. */
export const writeResult = {
  changed: z.boolean().describe("false when the tenant already was as asked (nothing sent)"),
  dryRun: z.literal(true).optional(),
  requests: z
    .array(plannedRequest)
    .optional()
    .describe("In a dry run: the Graph requests that would be sent"),
};

export const page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().optional() });
