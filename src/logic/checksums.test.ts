import { afterEach, describe, expect, it } from "vitest";
import { Crc32 } from "@aws-crypto/crc32";
import { Crc32c } from "@aws-crypto/crc32c";
import { S3Error } from "../errors";
import {
  algorithmFromHeaderName,
  checksumHeaderName,
  checksumTransform,
  checksumValuesEqual,
  createChecksum,
  decodeChecksumValue,
  parseChecksumAlgorithm,
  Sha1Js,
  Sha256Js,
  type ChecksumAlgorithm,
} from "./checksums";

const enc = new TextEncoder();
const hexToB64 = (hex: string) => Buffer.from(hex, "hex").toString("base64");
function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

async function sum(algo: ChecksumAlgorithm, ...parts: (string | Uint8Array)[]): Promise<string> {
  const c = createChecksum(algo);
  for (const p of parts) c.update(typeof p === "string" ? enc.encode(p) : p);
  return c.digest();
}

// "123456789" check values from the CRC catalogue (reveng) and FIPS 180 examples.
const VECTORS: [ChecksumAlgorithm, string][] = [
  ["CRC32", "cbf43926"],
  ["CRC32C", "e3069283"],
  ["CRC64NVME", "ae8b14860a799888"],
  ["SHA1", "f7c3bc1d808e04732adf679965ccc34ca7ae3441"],
  ["SHA256", "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225"],
];

describe("createChecksum", () => {
  it.each(VECTORS)("%s of '123456789' is %s (base64 of big-endian bytes)", async (algo, hex) => {
    expect(await sum(algo, "123456789")).toBe(hexToB64(hex));
    expect(await sum(algo, "1234", "", "56789")).toBe(hexToB64(hex));
  });

  it("matches the values S3 documents for empty input", async () => {
    expect(await sum("CRC32")).toBe("AAAAAA==");
    expect(await sum("CRC32C")).toBe("AAAAAA==");
    expect(await sum("SHA256")).toBe("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    expect(await sum("SHA1")).toBe("2jmj7l5rSw0yVb/vlWAYkK/YBwk=");
  });

  it("CRC32C of 65 KiB of 'a' matches the AWS trailer example (sOO8/Q==)", async () => {
    expect(await sum("CRC32C", "a".repeat(66560))).toBe("sOO8/Q==");
  });
});

describe("slice-by-8 CRC32/CRC32C match @aws-crypto on random input and random splits", () => {
  for (const [algo, Lib] of [
    ["CRC32", Crc32],
    ["CRC32C", Crc32c],
  ] as const) {
    it(algo, async () => {
      for (const len of [0, 1, 7, 8, 9, 15, 16, 17, 1000, 70_001]) {
        const data = randomBytes(len);
        const n = new Lib().update(data).digest();
        const want = Buffer.from([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]).toString("base64");
        const c = createChecksum(algo);
        for (let i = 0; i < len; ) {
          const k = Math.min(len - i, Math.floor(Math.random() * 40));
          c.update(data.subarray(i, i + k));
          i += k;
        }
        expect(await c.digest(), `len ${len}`).toBe(want);
      }
    });
  }
});

describe("pure-JS SHA matches crypto.subtle on random input and random splits", () => {
  for (const [name, Ctor] of [
    ["SHA-1", Sha1Js],
    ["SHA-256", Sha256Js],
  ] as const) {
    it(name, async () => {
      for (const len of [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 70_000]) {
        const data = randomBytes(len);
        const want = Buffer.from(await crypto.subtle.digest(name, data as Uint8Array<ArrayBuffer>)).toString("hex");
        const h = new Ctor();
        let i = 0;
        while (i < len) {
          const n = Math.min(len - i, Math.floor(Math.random() * 150));
          h.update(data.subarray(i, i + n));
          i += n;
        }
        expect(Buffer.from(h.digest()).toString("hex"), `len ${len}`).toBe(want);
      }
    });
  }
});

describe("crypto.DigestStream path (workerd)", () => {
  const c = crypto as unknown as { DigestStream?: unknown };
  afterEach(() => {
    delete c.DigestStream;
  });

  it("writes copies to the stream and reads its digest", async () => {
    // A stand-in with workerd's shape: a WritableStream with a `digest` promise.
    class FakeDigestStream extends WritableStream<ArrayBufferView> {
      readonly digest: Promise<ArrayBuffer>;
      constructor(algo: string) {
        const parts: Uint8Array[] = [];
        let done!: (b: ArrayBuffer) => void;
        const digest = new Promise<ArrayBuffer>((r) => (done = r));
        super({
          write: (chunk) => void parts.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)),
          close: async () => done(await crypto.subtle.digest(algo, new Uint8Array(Buffer.concat(parts)))),
        });
        this.digest = digest;
      }
    }
    c.DigestStream = FakeDigestStream;
    const buf = enc.encode("12345");
    const s = createChecksum("SHA256");
    s.update(buf);
    buf.fill(0); // caller reuses its buffer: the queued write must not see it
    s.update(enc.encode("6789"));
    expect(await s.digest()).toBe(hexToB64(VECTORS[4]![1]));
  });
});

describe("names and parsing", () => {
  it("maps algorithms to header names and back", () => {
    expect(checksumHeaderName("CRC64NVME")).toBe("x-amz-checksum-crc64nvme");
    expect(algorithmFromHeaderName("X-Amz-Checksum-CRC32C")).toBe("CRC32C");
    expect(algorithmFromHeaderName("x-amz-checksum-md5")).toBeNull();
    expect(algorithmFromHeaderName("x-amz-meta-a")).toBeNull();
  });

  it("parses algorithm names case-insensitively", () => {
    expect(parseChecksumAlgorithm("crc32c")).toBe("CRC32C");
    expect(parseChecksumAlgorithm("Sha256")).toBe("SHA256");
    expect(() => parseChecksumAlgorithm("md5")).toThrow(S3Error);
    try {
      parseChecksumAlgorithm("xxhash");
    } catch (e) {
      expect((e as S3Error).code).toBe("InvalidRequest");
    }
  });

  it("validates client values by decoded size", () => {
    expect(decodeChecksumValue("CRC32", "y/Q5Jg==")).toHaveLength(4);
    expect(() => decodeChecksumValue("CRC32", "AAAAAAAA")).toThrow(/x-amz-checksum-crc32 header is invalid/);
    expect(() => decodeChecksumValue("SHA1", "not base64!")).toThrow(S3Error);
    expect(checksumValuesEqual("y/Q5Jg==", " y/Q5Jg== ")).toBe(true);
    expect(checksumValuesEqual("y/Q5Jg==", "AAAAAA==")).toBe(false);
  });
});

async function pump(ts: TransformStream<Uint8Array, Uint8Array>, parts: string[]): Promise<string> {
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (const p of parts) c.enqueue(enc.encode(p));
      c.close();
    },
  });
  return new Response(body.pipeThrough(ts)).text();
}

describe("checksumTransform", () => {
  it("passes bytes through and resolves the checksum", async () => {
    const t = checksumTransform("CRC32");
    expect(await pump(t.stream, ["1234", "56789"])).toBe("123456789");
    expect(await t.result).toBe(hexToB64("cbf43926"));
  });

  it("accepts a matching expected value", async () => {
    const t = checksumTransform("CRC64NVME", hexToB64("ae8b14860a799888"));
    expect(await pump(t.stream, ["123456789"])).toBe("123456789");
    expect(await t.result).toBe(hexToB64("ae8b14860a799888"));
  });

  it("errors the stream with BadDigest on mismatch", async () => {
    const t = checksumTransform("SHA1", hexToB64("00".repeat(20)));
    const err = await pump(t.stream, ["123456789"]).catch((e) => e);
    expect(err).toBeInstanceOf(S3Error);
    expect(err.code).toBe("BadDigest");
    expect(err.message).toBe("The SHA1 you specified did not match the calculated checksum.");
    await expect(t.result).rejects.toThrow(/SHA1/);
  });

  it("rejects a malformed expected value up front", () => {
    expect(() => checksumTransform("CRC32C", "abc")).toThrow(S3Error);
  });
});
