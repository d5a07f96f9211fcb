/**
 * Directory data on a terminal. Anyone who can edit a display name can put escape sequences in it
 * (a screen clear, an OSC 8 link, a title change, a bidi override that reorders the line), so every
 * human-readable renderer passes directory text through `terminalSafe`, and columns are padded by
 * the width a terminal gives the text, not by its UTF-16 length.
 */

/**
 * C0 controls (newlines too: a value must not forge a line), DEL, C1 controls (terminals decode
 * UTF-8 U+009B as CSI), and the bidi and line-separator characters that reorder or break a line.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;
/** What JSON.stringify leaves raw of the above (C0 inside strings is escaped; outside, it is layout). */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/** `text` with control characters written as visible escapes: "a\x1b[2Jb" prints as `a\x1b[2Jb`. */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/**
 * JSON text that is safe on a terminal and means the same: JSON.stringify escapes C0 controls but
 * leaves DEL, C1 and bidi characters raw; `\u` escapes for them are equivalent JSON.
 */
export function terminalSafeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(
    UNSAFE_IN_JSON,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

const segmenter = new Intl.Segmenter("en", { granularity: "grapheme" });
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}]+$/u;
const EMOJI = /\p{Extended_Pictographic}/u;

/** East Asian Wide and Fullwidth ranges: terminals give these two cells. */
function isWide(code: number): boolean {
  return (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0x303e) ||
    (code >= 0x3041 && code <= 0x33ff) ||
    (code >= 0x3400 && code <= 0x4dbf) ||
    (code >= 0x4e00 && code <= 0x9fff) ||
    (code >= 0xa000 && code <= 0xa4cf) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x20000 && code <= 0x3fffd)
  );
}

/** The number of terminal cells `text` takes: wide CJK and emoji count two, combining marks none. */
export function displayWidth(text: string): number {
  // Plain ASCII, the common case, needs no segmentation.
  if (/^[\x20-\x7e]*$/.test(text)) return text.length;
  let width = 0;
  for (const { segment } of segmenter.segment(text)) {
    if (ZERO_WIDTH.test(segment)) continue;
    width += EMOJI.test(segment) || isWide(segment.codePointAt(0) ?? 0) ? 2 : 1;
  }
  return width;
}

/** `text` padded with spaces to `width` terminal cells. */
export function padDisplay(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - displayWidth(text)));
}
