/**
 * In workerd every checksum algorithm runs natively (crypto.DigestStream: crc32, crc32c, crc64nvme,
 * SHA-1, SHA-256) and gives exactly what the JS implementations give (which the unit tests check
 * against the reference packages).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type Harness } from "./harness";

let h: Harness;
beforeAll(async () => {
  h = await startWorker({}, { entry: "test/support/checksum-probe-worker.ts" });
});
afterAll(() => h?.dispose());

describe("native checksums in workerd", () => {
  it("computes every algorithm natively, equal to the JS implementation", async () => {
    const r = (await (await fetch(`${h.url}/__checksums`)).json()) as Record<string, { native: boolean; value: string; js: string }>;
    expect(Object.keys(r).sort()).toEqual(["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"]);
    for (const [algo, { native, value, js }] of Object.entries(r)) {
      expect(native, algo).toBe(true);
      expect(value, algo).toBe(js);
    }
  });
});
