import { describe, expect, it } from "vitest";
import { DEFAULT_INLINE_MAX_BYTES, type Env, MAX_INLINE_MAX_BYTES, readConfig } from "./env";

const env = (vars: Partial<Env>): Env => ({ DB: {} as D1Database, R2_CH_GVA_2: {} as R2Bucket, ...vars }) as Env;

describe("SOS_INLINE_MAX_BYTES", () => {
  it("defaults to 4 KiB, takes 0 (off) up to 1 MiB", () => {
    expect(readConfig(env({})).inlineMaxBytes).toBe(DEFAULT_INLINE_MAX_BYTES);
    expect(DEFAULT_INLINE_MAX_BYTES).toBe(4096);
    expect(readConfig(env({ SOS_INLINE_MAX_BYTES: "" })).inlineMaxBytes).toBe(DEFAULT_INLINE_MAX_BYTES);
    expect(readConfig(env({ SOS_INLINE_MAX_BYTES: "0" })).inlineMaxBytes).toBe(0);
    expect(readConfig(env({ SOS_INLINE_MAX_BYTES: String(MAX_INLINE_MAX_BYTES) })).inlineMaxBytes).toBe(1024 * 1024);
  });

  it("refuses values D1 rows cannot hold or that are not a byte count", () => {
    for (const v of ["-1", "1.5", "abc", String(MAX_INLINE_MAX_BYTES + 1), "3000000"]) {
      expect(() => readConfig(env({ SOS_INLINE_MAX_BYTES: v })), v).toThrow(/SOS_INLINE_MAX_BYTES/);
    }
  });
});
