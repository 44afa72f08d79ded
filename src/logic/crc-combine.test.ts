import { describe, expect, it } from "vitest";
import { Crc32 } from "@aws-crypto/crc32";
import { Crc32c } from "@aws-crypto/crc32c";
import { Crc64Nvme } from "@aws-sdk/crc64-nvme";
import { combineCrcParts, CRC_ALGORITHMS, isCrcAlgorithm, type CrcAlgorithm } from "./crc-combine";

// Reference values come from the packages the AWS SDK itself uses, over the whole object at once.
async function referenceCrc(algo: CrcAlgorithm, data: Uint8Array): Promise<string> {
  if (algo === "CRC64NVME") {
    const c = new Crc64Nvme();
    c.update(data);
    return Buffer.from(await c.digest()).toString("base64");
  }
  const c = algo === "CRC32" ? new Crc32() : new Crc32c();
  c.update(data);
  const v = c.digest();
  return Buffer.from([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]).toString("base64");
}

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

async function partsOf(algo: CrcAlgorithm, data: Uint8Array, sizes: number[]) {
  const parts = [];
  let off = 0;
  for (const size of sizes) {
    parts.push({ checksum: await referenceCrc(algo, data.subarray(off, off + size)), size });
    off += size;
  }
  expect(off).toBe(data.length);
  return parts;
}

describe("combineCrcParts", () => {
  for (const algo of CRC_ALGORITHMS) {
    it(`${algo}: equal-sized parts and a short last part combine to the whole-object CRC`, async () => {
      const sizes = [65536, 65536, 65536, 1234];
      const data = randomBytes(sizes.reduce((a, b) => a + b, 0));
      const parts = await partsOf(algo, data, sizes);
      expect(combineCrcParts(algo, parts)).toBe(await referenceCrc(algo, data));
    });

    it(`${algo}: odd sizes, one-byte parts and empty parts`, async () => {
      const sizes = [1, 0, 7, 3, 1, 1000, 0, 4097, 1];
      const data = randomBytes(sizes.reduce((a, b) => a + b, 0));
      const parts = await partsOf(algo, data, sizes);
      expect(combineCrcParts(algo, parts)).toBe(await referenceCrc(algo, data));
    });

    it(`${algo}: a single part is its own full-object CRC, no parts is the CRC of nothing`, async () => {
      const data = randomBytes(5000);
      const [part] = await partsOf(algo, data, [5000]);
      expect(combineCrcParts(algo, [part!])).toBe(part!.checksum);
      expect(combineCrcParts(algo, [])).toBe(await referenceCrc(algo, new Uint8Array(0)));
    });

    it(`${algo}: a changed byte in one part changes the combined value`, async () => {
      const data = randomBytes(3000);
      const good = await partsOf(algo, data, [1000, 1000, 1000]);
      data[1500] ^= 1;
      const bad = await partsOf(algo, data, [1000, 1000, 1000]);
      expect(combineCrcParts(algo, bad)).not.toBe(combineCrcParts(algo, good));
      expect(combineCrcParts(algo, bad)).toBe(await referenceCrc(algo, data));
    });
  }

  it("part sizes in the MiB range (higher bits of the length) combine exactly", async () => {
    const sizes = [(1 << 19) + 3, (1 << 20) + 5];
    const data = randomBytes(sizes[0]! + sizes[1]!);
    for (const algo of CRC_ALGORITHMS) {
      expect(combineCrcParts(algo, await partsOf(algo, data, sizes))).toBe(await referenceCrc(algo, data));
    }
  });

  it("rejects a value of the wrong width", () => {
    expect(() => combineCrcParts("CRC64NVME", [{ checksum: "AAAAAA==", size: 1 }])).toThrow();
    expect(() => combineCrcParts("CRC32", [{ checksum: "not base64!", size: 1 }])).toThrow();
  });

  it("isCrcAlgorithm knows the three CRCs only", () => {
    expect(CRC_ALGORITHMS.every(isCrcAlgorithm)).toBe(true);
    expect(isCrcAlgorithm("SHA256")).toBe(false);
    expect(isCrcAlgorithm("crc32")).toBe(false);
  });
});
