import { describe, expect, it } from "vitest";
import { BoundedCache } from "./bounded-cache";

const cache = (over: { maxEntries?: number; maxBytes?: number; ttlMs?: number } = {}) =>
  new BoundedCache<string>({
    ttlMs: over.ttlMs ?? 1000,
    maxEntries: over.maxEntries ?? 3,
    maxBytes: over.maxBytes ?? 1000,
    sizeOf: (k, v) => k.length + v.length,
  });

describe("BoundedCache", () => {
  it("evicts the least recently used entry beyond maxEntries", () => {
    const c = cache();
    for (const k of ["a", "b", "c"]) c.set(k, "v", 0);
    expect(c.get("a", 1)).toBe("v"); // a is now the most recently used
    c.set("d", "v", 2);
    expect([c.get("a", 3), c.get("b", 3), c.get("c", 3), c.get("d", 3)]).toEqual(["v", undefined, "v", "v"]);
    expect(c.size()).toEqual({ entries: 3, bytes: 6 });
  });
  it("stays under maxBytes, and does not cache an entry bigger than the whole budget", () => {
    const c = cache({ maxEntries: 100, maxBytes: 10 });
    c.set("a", "1234", 0);
    c.set("b", "1234", 0);
    expect(c.size()).toEqual({ entries: 2, bytes: 10 });
    c.set("c", "1", 0);
    expect(c.get("a", 0)).toBeUndefined();
    expect(c.size().bytes).toBeLessThanOrEqual(10);
    c.set("huge", "x".repeat(20), 0);
    expect(c.get("huge", 0)).toBeUndefined();
    expect(c.size().bytes).toBeLessThanOrEqual(10);
  });
  it("expires entries after the TTL and frees their bytes", () => {
    const c = cache({ ttlMs: 100 });
    c.set("a", "v", 0);
    expect(c.get("a", 99)).toBe("v");
    expect(c.get("a", 200)).toBeUndefined();
    expect(c.size()).toEqual({ entries: 0, bytes: 0 });
  });
  it("replacing and deleting keep the byte count right", () => {
    const c = cache();
    c.set("a", "1", 0);
    c.set("a", "123", 0);
    expect(c.size()).toEqual({ entries: 1, bytes: 4 });
    c.delete("a");
    c.delete("missing");
    expect(c.size()).toEqual({ entries: 0, bytes: 0 });
  });
});
