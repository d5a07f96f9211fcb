import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { compileExpression, type EvaluateOptions, type Source, type Value } from "./index.ts";

function run(text: string, source: Source = {}, options?: EvaluateOptions): Value {
  return compileExpression(text).evaluate(source, options);
}

describe("Append", () => {
  test("adds the suffix", () => {
    assert.equal(
      run('Append([userPrincipalName], ".test")', { userPrincipalName: "john@contoso.com" }),
      "john@contoso.com.test",
    );
  });
  test("null source stays null so Coalesce can supply a fallback", () => {
    assert.equal(run('Append([missing], ".test")'), null);
  });
  test("appends to every value of a multi-valued source", () => {
    assert.deepEqual(run('Append([otherMails], "!")', { otherMails: ["a", "b"] }), ["a!", "b!"]);
  });
});

describe("Coalesce", () => {
  test("returns the first non-null source", () => {
    assert.equal(run("Coalesce([mail], [userPrincipalName])", { userPrincipalName: "u@x" }), "u@x");
  });
  test("empty string is a value, not null", () => {
    assert.equal(run('Coalesce([mail], "d")', { mail: "" }), "");
  });
  test("all null gives the default, or null without one", () => {
    assert.equal(run('Coalesce([a], [b], "fallback")'), "fallback");
    assert.equal(run("Coalesce([a], [b])"), null);
  });
});

describe("IIF", () => {
  test("picks by a boolean or a True/False string, any case", () => {
    assert.equal(run('IIF(IsPresent([mail]), "yes", "no")', { mail: "m" }), "yes");
    assert.equal(run('IIF([flag], "yes", "no")', { flag: "TRUE" }), "yes");
    assert.equal(run('IIF("False", "yes", "no")'), "no");
    assert.equal(run('IIF(true, "yes", "no")'), "yes");
  });
  test("compares with =, as Entra writes conditions", () => {
    const expr = 'IIF([country]="USA", [country], [department])';
    assert.equal(run(expr, { country: "USA", department: "Sales" }), "USA");
    assert.equal(run(expr, { country: "usa", department: "Sales" }), "Sales");
    assert.equal(run('IIF([employeeType] = "1", "a", "b")', { employeeType: 1 }), "a");
    assert.equal(run("[missing] = null"), true);
    assert.equal(run('[missing] = ""'), false);
  });
  test("a null condition takes the false branch", () => {
    assert.equal(run('IIF([missing], "yes", "no")'), "no");
  });
});

describe("IsNull / IsNullOrEmpty / IsPresent", () => {
  test("IsNull is true only for null", () => {
    assert.equal(run("IsNull([missing])"), true);
    assert.equal(run("IsNull([x])", { x: "" }), false);
  });
  test("IsNullOrEmpty counts null, empty string and an empty list", () => {
    assert.equal(run("IsNullOrEmpty([missing])"), true);
    assert.equal(run("IsNullOrEmpty([x])", { x: "" }), true);
    assert.equal(run("IsNullOrEmpty([x])", { x: [] }), true);
    assert.equal(run("IsNullOrEmpty([x])", { x: "v" }), false);
  });
  test("IsPresent is the opposite of IsNullOrEmpty", () => {
    assert.equal(run("IsPresent([x])", { x: "v" }), true);
    assert.equal(run("IsPresent([x])", { x: "" }), false);
    assert.equal(run("IsPresent([missing])"), false);
  });
});

describe("Item", () => {
  test("counts from 1", () => {
    assert.equal(run("Item([proxyAddresses], 1)", { proxyAddresses: ["SMTP:a@x", "smtp:b@x"] }), "SMTP:a@x");
    assert.equal(run("Item([proxyAddresses], 2)", { proxyAddresses: ["SMTP:a@x", "smtp:b@x"] }), "smtp:b@x");
  });
  test("out of range or null source gives null", () => {
    assert.equal(run("Item([proxyAddresses], 3)", { proxyAddresses: ["a", "b"] }), null);
    assert.equal(run("Item([missing], 1)"), null);
  });
  test("works on a computed list", () => {
    assert.equal(run('Item(Split([x], ","), 2)', { x: "a,b,c" }), "b");
  });
});

describe("Join", () => {
  test("joins sources and the values of multi-valued ones", () => {
    assert.equal(run('Join(".", [givenName], [surname])', { givenName: "John", surname: "Doe" }), "John.Doe");
    assert.equal(run('Join(";", [a], [list])', { a: "x", list: ["y", "z"] }), "x;y;z");
  });
  test("null sources are skipped", () => {
    assert.equal(
      run('Join(".", [givenName], [missing], [surname])', { givenName: "J", surname: "D" }),
      "J.D",
    );
    assert.equal(run('Join(".", [missing])'), "");
  });
});

describe("Left", () => {
  test("returns the first characters", () => {
    assert.equal(run('Left("John Doe", 3)'), "Joh");
    assert.equal(run('Left("Jo", 5)'), "Jo");
  });
  test("0 gives empty, negative gives the whole string, null gives empty", () => {
    assert.equal(run('Left("John", 0)'), "");
    assert.equal(run('Left("John", -1)'), "John");
    assert.equal(run("Left([missing], 2)"), "");
  });
});

describe("Mid", () => {
  test("start counts from 1 and length is clipped at the end", () => {
    assert.equal(run('Mid("John Doe", 1, 1)'), "J");
    assert.equal(run('Mid("John Doe", 6, 10)'), "Doe");
  });
  test("null source gives empty", () => {
    assert.equal(run("Mid([missing], 1, 2)"), "");
  });
});

describe("NormalizeDiacritics", () => {
  test("removes accents and maps letters without a combining form", () => {
    assert.equal(
      run('NormalizeDiacritics("Zoë Ångström Łódź Søren Straße")'),
      "Zoe Angstrom Lodz Soren Strasse",
    );
  });
  test("null stays null", () => {
    assert.equal(run("NormalizeDiacritics([missing])"), null);
  });
});

describe("Not", () => {
  test("flips booleans and True/False strings", () => {
    assert.equal(run('Not("True")'), false);
    assert.equal(run("Not(false)"), true);
    assert.equal(run("Not(IsPresent([mail]))", { mail: "m" }), false);
  });
  test("anything that is not True, null included, gives true", () => {
    assert.equal(run("Not([missing])"), true);
  });
});

describe("Replace", () => {
  test("oldValue and replacementValue replace every occurrence, case-sensitively", () => {
    assert.equal(run('Replace([x], "a", , , "o", , )', { x: "banana Anna" }), "bonono Anno");
  });
  test("oldValue and template put the source into the template", () => {
    assert.equal(run('Replace([id], "{id}", , , , , "user-{id}@x")', { id: "42" }), "user-42@x");
  });
  test("regexPattern and replacementValue replace matches, with numbered and named groups", () => {
    assert.equal(
      run('Replace([mailNickname], , "[a-zA-Z_]*", , "", , )', { mailNickname: "john_doe72" }),
      "72",
    );
    assert.equal(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: ${d} is .NET replacement syntax in the expression
      run('Replace([x], , "(\\\\w+)@(?<d>\\\\w+)", , "${d}\\\\$1", , )', { x: "jo@corp" }),
      "corp\\jo",
    );
  });
  test("regexGroupName with replacementValue replaces only that group", () => {
    assert.equal(
      run('Replace([x], , "(?<user>\\\\w+)@corp", "user", "someone", , )', { x: "jo@corp" }),
      "someone@corp",
    );
  });
  test("regexGroupName with replacementAttributeName uses that attribute's value", () => {
    const compiled = compileExpression('Replace([mail], , "(?<user>[^@]+)@", "user", , "employeeId", )');
    assert.deepEqual(compiled.references, ["mail", "employeeId"]);
    assert.equal(compiled.evaluate({ mail: "jo@corp", employeeId: "E1" }), "E1@corp");
    assert.equal(compiled.evaluate({ mail: "jo@corp" }), "jo@corp");
  });
  test("null source gives null", () => {
    assert.equal(run('Replace([missing], "a", , , "b", , )'), null);
  });
});

describe("SelectUniqueValue", () => {
  const rules =
    'SelectUniqueValue(Join("@", [givenName], "x.com"), Join("@", Join(".", Left([givenName], 1), [surname]), "x.com"))';
  test("returns the first candidate the callback accepts", () => {
    const taken = new Set(["John@x.com"]);
    const value = run(rules, { givenName: "John", surname: "Doe" }, { isUnique: (v) => !taken.has(v) });
    assert.equal(value, "J.Doe@x.com");
  });
  test("null when every candidate is taken; the first non-empty one without a callback", () => {
    assert.equal(run(rules, { givenName: "John", surname: "Doe" }, { isUnique: () => false }), null);
    assert.equal(run("SelectUniqueValue([missing], [mail])", { mail: "m" }), "m");
  });
});

describe("SingleAppRoleAssignment", () => {
  test("returns the role's value, else its display name", () => {
    assert.equal(
      run("SingleAppRoleAssignment([appRoleAssignments])", {
        appRoleAssignments: [{ appRoleId: "r1", appRoleValue: "Admin", displayName: "Administrator" }],
      }),
      "Admin",
    );
    assert.equal(
      run("SingleAppRoleAssignment([appRoleAssignments])", {
        appRoleAssignments: [{ appRoleId: "r1", displayName: "Reader" }],
      }),
      "Reader",
    );
  });
  test("several roles give the lowest name, so the result is stable", () => {
    const appRoleAssignments = [
      { appRoleValue: "Writer" },
      { appRoleValue: "Admin" },
      { appRoleId: "default" },
    ];
    assert.equal(run("SingleAppRoleAssignment([appRoleAssignments])", { appRoleAssignments }), "Admin");
  });
  test("no assignments, or none with a name, give null", () => {
    assert.equal(run("SingleAppRoleAssignment([appRoleAssignments])"), null);
    assert.equal(
      run("SingleAppRoleAssignment([appRoleAssignments])", { appRoleAssignments: [{ appRoleId: "x" }] }),
      null,
    );
  });
});

describe("Split", () => {
  test("splits on the delimiter", () => {
    assert.deepEqual(run('Split([x], ",")', { x: "One,Two" }), ["One", "Two"]);
  });
  test("null gives null", () => {
    assert.equal(run('Split([missing], ",")'), null);
  });
});

describe("StripSpaces", () => {
  test("removes every space character", () => {
    assert.equal(run('StripSpaces(" a b  c ")'), "abc");
  });
  test("null stays null", () => {
    assert.equal(run("StripSpaces([missing])"), null);
  });
});

describe("Switch", () => {
  const tz = 'Switch([state], "Australia/Sydney", "NSW", "Australia/Sydney", "QLD", "Australia/Brisbane")';
  test("returns the value for the matching key, else the default", () => {
    assert.equal(run(tz, { state: "QLD" }), "Australia/Brisbane");
    assert.equal(run(tz, { state: "WA" }), "Australia/Sydney");
  });
  test("a null source gives the default; an empty default gives null", () => {
    assert.equal(run(tz), "Australia/Sydney");
    assert.equal(run('Switch([state], , "QLD", "B")'), null);
  });
});

describe("ToLower / ToUpper", () => {
  test("change case, invariant by default", () => {
    assert.equal(run('ToLower("John.SMITH@Contoso.com")'), "john.smith@contoso.com");
    assert.equal(run('ToUpper("straße")'), "STRASSE");
  });
  test("accept a culture", () => {
    assert.equal(run('ToUpper("i", "tr-TR")'), "İ");
    assert.equal(run('ToLower("I", "en-US")'), "i");
  });
  test("null stays null", () => {
    assert.equal(run("ToLower([missing])"), null);
    assert.equal(run("ToUpper([missing])"), null);
  });
});

describe("Word", () => {
  test("returns the nth word, any delimiter character separating", () => {
    assert.equal(run('Word("The quick,brown", 3, " ,")'), "brown");
    assert.equal(run('Word("a  b", 2, " ")'), "b");
  });
  test("out of range, below 1 or null give empty", () => {
    assert.equal(run('Word("a b", 3, " ")'), "");
    assert.equal(run('Word("a b", 0, " ")'), "");
    assert.equal(run('Word([missing], 1, " ")'), "");
  });
});

describe("FormatDateTime", () => {
  test("reads the generalized time and writes another layout", () => {
    assert.equal(
      run('FormatDateTime([x], , "yyyyMMddHHmmss.fZ", "yyyy-MM-dd")', { x: "20150123105347.1Z" }),
      "2015-01-23",
    );
    assert.equal(
      run('FormatDateTime([x], "yyyy-MM-ddTHH:mm:ssK", "dd/MM/yyyy HH:mm")', { x: "2024-02-29T23:30:00Z" }),
      "29/02/2024 23:30",
    );
  });
  test("an offset is converted to UTC", () => {
    assert.equal(
      run('FormatDateTime([x], "yyyy-MM-ddTHH:mmzzz", "yyyy-MM-dd HH:mm zzz")', {
        x: "2024-03-01T01:00+02:00",
      }),
      "2024-02-29 23:00 +00:00",
    );
  });
  test("null, a mismatch or an impossible date give null", () => {
    assert.equal(run('FormatDateTime([missing], "yyyy", "yyyy")'), null);
    assert.equal(run('FormatDateTime([x], "yyyy-MM-dd", "yyyy")', { x: "2024/01/01" }), null);
    assert.equal(run('FormatDateTime([x], "yyyy-MM-dd", "yyyy")', { x: "2023-02-29" }), null);
  });
});

describe("DateAdd / Now", () => {
  test("DateAdd adds the interval and answers in Entra's general format", () => {
    assert.equal(run('DateAdd("d", 7, [hire])', { hire: "2012-03-16T07:00:00Z" }), "3/23/2012 7:00:00 AM");
    assert.equal(run('DateAdd("m", 10, [hire])', { hire: "2012-03-16T19:05:00Z" }), "1/16/2013 7:05:00 PM");
  });
  test("DateAdd of a null date gives null", () => {
    assert.equal(run('DateAdd("d", 1, [missing])'), null);
  });
  test("Now reads the injected clock", () => {
    assert.equal(run("Now()", {}, { now: () => new Date("2021-07-02T15:33:38Z") }), "7/2/2021 3:33:38 PM");
  });
});

describe("references and values", () => {
  test("dotted paths and extension attributes resolve; missing or inherited names are null", () => {
    const source = { manager: { displayName: "Boss" }, extension_abc_costCenter: "CC1" };
    assert.equal(run("[manager.displayName]", source), "Boss");
    assert.equal(run("[extension_abc_costCenter]", source), "CC1");
    assert.equal(run("[manager.missing]", source), null);
    assert.equal(run("[constructor]", source), null);
    assert.equal(run("[manager.__proto__]", source), null);
  });
  test("compileExpression lists each attribute read once", () => {
    assert.deepEqual(compileExpression('Coalesce([mail], Join("@", [mail], [manager.mail]))').references, [
      "mail",
      "manager.mail",
    ]);
  });
  test("constants are expressions too", () => {
    assert.equal(run('"text"'), "text");
    assert.equal(run("42"), 42);
    assert.equal(run("TRUE"), true);
    assert.equal(run("null"), null);
  });
});
