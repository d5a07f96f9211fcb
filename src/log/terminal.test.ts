import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { displayWidth, padDisplay, terminalSafe, terminalSafeJson } from "./terminal.ts";

/** Any character a terminal would act on rather than show. */
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe("terminal-safe text", () => {
  it("writes control, C1 and bidi characters as visible escapes and leaves the rest alone", () => {
    const hostile = "Mallory\x1b]8;;http://evil.test\x07link\x1b[2J\r\nx\x9b\u202eabc\x7f";
    const safe = terminalSafe(hostile);
    assert.doesNotMatch(safe, RAW_CONTROL);
    assert.equal(safe, "Mallory\\x1b]8;;http://evil.test\\x07link\\x1b[2J\\x0d\\x0ax\\x9b\\u202eabc\\x7f");
    assert.equal(terminalSafe("Zoë 山田 C:\\path"), "Zoë 山田 C:\\path");
  });

  it("escapes the same characters in JSON so that it parses back to the same value", () => {
    const value = { name: "a\x1bb\x9bc\u202ed\u2028e", n: 1 };
    const text = terminalSafeJson(value, 2);
    assert.doesNotMatch(text.replaceAll("\n", ""), RAW_CONTROL);
    assert.deepEqual(JSON.parse(text), value);
    // Plain JSON.stringify leaves C1 and bidi characters raw: the reason for this helper.
    assert.match(JSON.stringify(value), /[\u009b\u202e]/);
  });
});

describe("display width", () => {
  it("counts wide characters and emoji as two cells and combining marks as none", () => {
    assert.equal(displayWidth("Ann Lee"), 7);
    assert.equal(displayWidth("山田太郎"), 8);
    assert.equal(displayWidth("Zoe\u0301"), 3);
    assert.equal(displayWidth("👩‍💻 dev"), 6);
    assert.equal(padDisplay("山田", 6), "山田  ");
    assert.equal(padDisplay("toolong", 3), "toolong");
  });
});
