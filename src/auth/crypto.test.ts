import { describe, expect, it } from "vitest";
import { timingSafeEqual } from "./crypto";

describe("timingSafeEqual", () => {
  it("uses a runtime constant-time primitive (here Node's node:crypto, in workerd crypto.subtle)", () => {
    // Node has no crypto.subtle.timingSafeEqual: the Node fallback must be what answers.
    expect((crypto.subtle as { timingSafeEqual?: unknown }).timingSafeEqual).toBeUndefined();
    expect(timingSafeEqual("abc", "abc")).toBe(true);
  });
  it("answers equality exactly, including lengths and non-ASCII", () => {
    expect(timingSafeEqual("abc", "abd")).toBe(false);
    expect(timingSafeEqual("abc", "abcd")).toBe(false);
    expect(timingSafeEqual("", "")).toBe(true);
    expect(timingSafeEqual("é", "e")).toBe(false);
    expect(timingSafeEqual("f0e8".repeat(16), "f0e8".repeat(16))).toBe(true);
  });
});
