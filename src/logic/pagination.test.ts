import { describe, expect, test } from "vitest";
import { S3Error } from "../errors";
import { commonPrefixOf, compareUtf8, decodeContinuationToken, encodeContinuationToken, prefixSuccessor } from "./pagination";

/** The reference order: bytes of the UTF-8 encoding, as SQLite BINARY and S3 compare. */
function compareBytes(a: string, b: string): number {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
}

// Characters chosen at the edges where UTF-16 and UTF-8 orders disagree.
const ALPHABET = [
  "",
  "\u0000",
  "a",
  "b",
  "/",
  "\u007f",
  "\u0080",
  "é",
  "\u07ff",
  "\u0800",
  "\ud7ff",
  "\ue000",
  "\uffee",
  "\uffff",
  "\u{10000}",
  "😀",
  "\u{10fffe}",
  "\u{10ffff}",
].filter((c) => c !== "");

function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
}

function randomStrings(count: number, maxLen: number, seed: number): string[] {
  const r = rng(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let s = "";
    const len = Math.floor(r() * (maxLen + 1));
    for (let j = 0; j < len; j++) s += ALPHABET[Math.floor(r() * ALPHABET.length)];
    out.push(s);
  }
  return out;
}

describe("compareUtf8", () => {
  test("differs from JS order exactly where UTF-8 and UTF-16 disagree", () => {
    expect("😀" < "\uffff").toBe(true); // UTF-16 code units
    expect(compareUtf8("😀", "\uffff")).toBe(1); // code points / UTF-8 bytes
    expect(compareUtf8("\u{10000}", "\ue000")).toBe(1);
    expect(compareUtf8("\ud7ff", "😀")).toBe(-1);
    expect(compareUtf8("a", "a")).toBe(0);
    expect(compareUtf8("a", "ab")).toBe(-1);
    expect(compareUtf8("b", "ab")).toBe(1);
    expect(compareUtf8("", "")).toBe(0);
    expect(compareUtf8("\u{10000}", "\u{10ffff}")).toBe(-1);
  });

  test("agrees with UTF-8 byte order on random strings", () => {
    const xs = randomStrings(400, 4, 7);
    const byBytes = [...xs].sort(compareBytes);
    const byCodePoints = [...xs].sort(compareUtf8);
    expect(byCodePoints).toEqual(byBytes);
    for (let i = 0; i < 2000; i++) {
      const a = xs[i % xs.length]!;
      const b = xs[(i * 7 + 3) % xs.length]!;
      expect(compareUtf8(a, b)).toBe(compareBytes(a, b));
    }
  });
});

describe("prefixSuccessor", () => {
  test.each([
    ["a", "b"],
    ["photos/", "photos0"],
    ["a/b", "a/c"],
    ["\u0000", "\u0001"],
    ["\u007f", "\u0080"],
    ["a\u07ff", "a\u0800"],
    ["a\ud7ff", "a\ue000"], // skip the surrogate range
    ["a\uffff", "a\u{10000}"], // next code point is astral, although "\u{10000}" < "\uffff" in UTF-16
    ["a😀", "a😁"],
    ["a\u{10fffe}", "a\u{10ffff}"],
    ["a\u{10ffff}", "b"], // carry
    ["a\u{10ffff}\u{10ffff}", "b"],
    ["", null],
    ["\u{10ffff}", null],
    ["\u{10ffff}\u{10ffff}", null],
  ])("%j -> %j", (prefix, want) => {
    expect(prefixSuccessor(prefix)).toBe(want);
  });

  test("[prefix, successor) holds exactly the strings starting with prefix", () => {
    const prefixes = randomStrings(60, 3, 11).filter((p) => p !== "");
    const keys = randomStrings(400, 5, 13);
    for (const p of prefixes) {
      const succ = prefixSuccessor(p);
      for (const k of [...keys, ...keys.map((k) => p + k)]) {
        const inRange = compareBytes(k, p) >= 0 && (succ === null || compareBytes(k, succ) < 0);
        expect(inRange, `${JSON.stringify(p)} ${JSON.stringify(k)} ${JSON.stringify(succ)}`).toBe(k.startsWith(p));
      }
    }
  });

  test("successor sorts above every long extension of the prefix", () => {
    // Everything strictly between the largest prefixed string and the successor would have to
    // start with the prefix; spot-check that p + U+10FFFF... still sorts below the successor.
    for (const p of ["a", "a\uffff", "a\ud7ff", "😀"]) {
      const succ = prefixSuccessor(p)!;
      expect(compareBytes(p + "\u{10ffff}".repeat(5), succ)).toBe(-1);
      expect(compareBytes(succ, p)).toBe(1);
      expect(succ.startsWith(p)).toBe(false);
    }
  });
});

describe("commonPrefixOf", () => {
  test.each([
    ["photos/2006/jan/a.jpg", "photos/", "/", "photos/2006/"],
    ["photos/a.jpg", "photos/", "/", null],
    ["photos/", "photos/", "/", null], // the prefix itself is a key, not a CommonPrefix
    ["photos//x", "photos/", "/", "photos//"],
    ["a/b/c", "", "/", "a/"],
    ["abc", "", "/", null],
    ["other/x", "photos/", "/", null],
    ["a/b", "a/", undefined, null],
    ["a/b", "a/", "", null],
    // the delimiter is searched after the prefix, even if the prefix ends inside a delimiter
    ["a--b--c", "a-", "--", "a--b--"],
    ["a--b", "a-", "--", null],
    // multi-character and multi-byte delimiters
    ["2024→01→x", "", "→", "2024→"],
    ["a😀b😀c", "a😀", "😀", "a😀b😀"],
    ["x\uffffy", "", "\uffff", "x\uffff"],
    ["dir<>sub<>f", "dir<>", "<>", "dir<>sub<>"],
    ["key", "", "key", "key"],
  ])("%j with prefix %j, delimiter %j -> %j", (key, prefix, delimiter, want) => {
    expect(commonPrefixOf(key, prefix, delimiter)).toBe(want);
  });

  test("an astral delimiter never matches half of another astral character", () => {
    // U+1F600 is D83D DE00, U+1F601 is D83D DE01: sharing a high surrogate must not matter.
    expect(commonPrefixOf("a😁b", "", "😀")).toBeNull();
  });

  test("rolled-up keys are skipped with prefixSuccessor", () => {
    const keys = ["a/1", "a/2", "a0", "b/x", "b/y", "c"].sort(compareUtf8);
    const out: string[] = [];
    let i = 0;
    while (i < keys.length) {
      const cp = commonPrefixOf(keys[i]!, "", "/");
      if (cp === null) {
        out.push(keys[i]!);
        i++;
        continue;
      }
      out.push(cp);
      const next = prefixSuccessor(cp)!;
      while (i < keys.length && compareUtf8(keys[i]!, next) < 0) i++;
    }
    expect(out).toEqual(["a/", "a0", "b/", "c"]);
  });
});

describe("continuation tokens", () => {
  test("round trip", () => {
    for (const key of ["", "a", "photos/2006/b.jpg", "a b+c/=?", "\u0000\r\n", "😀\uffff\u{10ffff}", "é".repeat(600)]) {
      const token = encodeContinuationToken(key);
      expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeContinuationToken(token)).toBe(key);
    }
  });

  test("tokens are opaque (not the key in clear)", () => {
    expect(encodeContinuationToken("secret/key")).not.toContain("secret");
  });

  test.each([
    [""],
    ["!!!"],
    ["a"], // impossible base64 length
    ["AXNvbWU="], // padding is never issued
    ["c29tZQ"], // base64url of "some": no version byte
    ["AQ=="],
    ["Af8"], // version byte then 0xFF: not UTF-8
    ["Ae2goA"], // version byte then an encoded surrogate (ED A0 A0): not UTF-8
    ["AXNvbWV"], // non-canonical trailing bits
    ["AXNvbWU+"], // base64 (not base64url) alphabet
  ])("rejects %j", (token) => {
    try {
      decodeContinuationToken(token);
    } catch (e) {
      expect(e).toBeInstanceOf(S3Error);
      const err = e as S3Error;
      expect(err.code).toBe("InvalidArgument");
      expect(err.message).toBe("The continuation token provided is incorrect");
      expect(err.details).toEqual({ ArgumentName: "continuation-token", ArgumentValue: token });
      return;
    }
    throw new Error(`accepted ${token}`);
  });
});
