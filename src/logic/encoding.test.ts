import { describe, expect, it } from "vitest";
import { decodeTrustedBase64, fromBase64, fromBase64Url, toBase64, toBase64Url, toHex } from "./encoding";

const bytes = (...b: number[]) => new Uint8Array(b);

describe("encoding", () => {
  it("writes lowercase hex, from a Uint8Array or an ArrayBuffer", () => {
    expect(toHex(bytes(0, 1, 0x7f, 0x80, 0xab, 0xff))).toBe("00017f80abff");
    expect(toHex(bytes(0xde, 0xad).buffer)).toBe("dead");
    expect(toHex(bytes())).toBe("");
  });

  it("round-trips base64 and base64url for every length and byte value", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    for (let n = 0; n <= 40; n++) {
      const b = all.subarray(256 - n);
      expect(fromBase64(toBase64(b))).toEqual(b);
      expect(fromBase64Url(toBase64Url(b))).toEqual(b);
      expect(decodeTrustedBase64(toBase64(b))).toEqual(b);
    }
    expect(toBase64(all)).toBe(Buffer.from(all).toString("base64"));
    expect(toBase64Url(all)).toBe(Buffer.from(all).toString("base64url"));
  });

  it("encodes large inputs (no call-stack overflow)", () => {
    const big = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 31) & 0xff);
    expect(toBase64(big)).toBe(Buffer.from(big).toString("base64"));
    expect(Buffer.from(fromBase64(toBase64(big))!).equals(big)).toBe(true);
    expect(Buffer.from(decodeTrustedBase64(toBase64(big))).equals(big)).toBe(true);
  });

  it("decodes with or without padding", () => {
    expect(fromBase64("aGk=")).toEqual(bytes(104, 105));
    expect(fromBase64("aGk")).toEqual(bytes(104, 105));
    expect(fromBase64("")).toEqual(bytes());
  });

  it("refuses what is not base64", () => {
    for (const bad of ["a", "aGk===", "aG k=", "aGk=\n", "a-b_", "***", "aGk=aGk="]) expect(fromBase64(bad), bad).toBeNull();
    for (const bad of ["a", "aGk=", "a+b/", "a b"]) expect(fromBase64Url(bad), bad).toBeNull();
  });
});
