/**
 * aws-chunked decoding. Vectors: the chunked-upload and trailing-header examples of the S3 API
 * reference (sigv4-streaming.html, sigv4-streaming-trailers.html): 65 KiB of "a" in 64 KiB + 1 KiB chunks.
 */
import { describe, expect, it } from "vitest";
import { S3Error } from "../errors";
import { createChecksum, type ChecksumAlgorithm } from "../logic/checksums";
import { awsChunkedDecoder, chunkStringToSign, type AwsChunkedOptions } from "./chunked";
import { toHex } from "../logic/encoding";
import { hmac, sha256Hex, signingKey } from "./crypto";
import type { ChunkSigning } from "./sigv4";

const enc = new TextEncoder();
const A64K = "a".repeat(65536);
const A1K = "a".repeat(1024);
const SCOPE = "20130524/us-east-1/s3/aws4_request";

async function exampleSigning(seedSignature: string): Promise<ChunkSigning> {
  const key = await signingKey("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", "us-east-1", "s3");
  return { key, amzDate: "20130524T000000Z", scope: SCOPE, seedSignature };
}

const SIGNED_WIRE =
  `10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n${A64K}\r\n` +
  `400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n${A1K}\r\n` +
  `0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n`;

const TRAILER_CHUNKS =
  `10000;chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2\r\n${A64K}\r\n` +
  `400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7\r\n${A1K}\r\n` +
  `0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n`;
const TRAILER_LINES = "x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n";

type Split = "whole" | "bytes" | "random";

/** Feeds `wire` through the decoder in the given split pattern; returns the decoded bytes and trailer. */
async function decode(wire: string | Uint8Array, opts: AwsChunkedOptions, split: Split = "whole") {
  const bytes = typeof wire === "string" ? enc.encode(wire) : wire;
  const pieces: Uint8Array[] = [];
  if (split === "whole") pieces.push(bytes);
  else {
    for (let i = 0; i < bytes.length; ) {
      const n = split === "bytes" ? 1 : 1 + Math.floor(Math.random() * Math.random() * 9000);
      pieces.push(bytes.slice(i, i + n));
      i += n;
    }
  }
  const src = new ReadableStream<Uint8Array>({
    pull(c) {
      const p = pieces.shift();
      if (p) c.enqueue(p);
      else c.close();
    },
  });
  const d = awsChunkedDecoder(opts);
  const out = new Uint8Array(await new Response(src.pipeThrough(d.stream)).arrayBuffer());
  return { out, trailer: await d.trailer };
}

async function decodeError(wire: string | Uint8Array, opts: AwsChunkedOptions, split: Split = "whole"): Promise<S3Error> {
  const e = await decode(wire, opts, split).then(
    () => null,
    (e) => e,
  );
  expect(e).toBeInstanceOf(S3Error);
  return e as S3Error;
}

/** An encoder written from the spec, checked against the AWS vectors below, used for random bodies. */
async function encodeSigned(data: Uint8Array, chunkSize: number, signing: ChunkSigning, trailer?: { algo: ChecksumAlgorithm; value?: string }) {
  const parts: (string | Uint8Array)[] = [];
  let prev = signing.seedSignature;
  const sign = async (payload: Uint8Array) => {
    prev = toHex(await hmac(signing.key, chunkStringToSign(signing, prev, await sha256Hex(payload))));
    return prev;
  };
  for (let i = 0; i < data.length; i += chunkSize) {
    const c = data.subarray(i, i + chunkSize);
    parts.push(`${c.length.toString(16)};chunk-signature=${await sign(c)}\r\n`, c, "\r\n");
  }
  parts.push(`0;chunk-signature=${await sign(new Uint8Array(0))}\r\n`);
  if (trailer) {
    const sum = createChecksum(trailer.algo);
    sum.update(data);
    const line = `x-amz-checksum-${trailer.algo.toLowerCase()}:${trailer.value ?? (await sum.digest())}`;
    const sts = `AWS4-HMAC-SHA256-TRAILER\n${signing.amzDate}\n${signing.scope}\n${prev}\n${await sha256Hex(line + "\n")}`;
    parts.push(`${line}\r\nx-amz-trailer-signature:${toHex(await hmac(signing.key, sts))}\r\n\r\n`);
  } else parts.push("\r\n");
  return concat(parts);
}

/** What @aws-sdk's getAwsChunkedEncodingStream writes for STREAMING-UNSIGNED-PAYLOAD-TRAILER. */
async function encodeUnsigned(data: Uint8Array, chunkSize: number, algo: ChecksumAlgorithm | null) {
  const parts: (string | Uint8Array)[] = [];
  for (let i = 0; i < data.length; i += chunkSize) {
    const c = data.subarray(i, i + chunkSize);
    parts.push(`${c.length.toString(16)}\r\n`, c, "\r\n");
  }
  parts.push("0\r\n");
  if (algo) {
    const sum = createChecksum(algo);
    sum.update(data);
    parts.push(`x-amz-checksum-${algo.toLowerCase()}:${await sum.digest()}\r\n\r\n`);
  } else parts.push("\r\n");
  return concat(parts);
}

function concat(parts: (string | Uint8Array)[]): Uint8Array {
  const bufs = parts.map((p) => (typeof p === "string" ? enc.encode(p) : p));
  const out = new Uint8Array(bufs.reduce((n, b) => n + b.length, 0));
  let o = 0;
  for (const b of bufs) {
    out.set(b, o);
    o += b.length;
  }
  return out;
}

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}
const same = (a: Uint8Array, b: Uint8Array) => expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);

describe("STREAMING-AWS4-HMAC-SHA256-PAYLOAD (AWS example)", () => {
  const opts = async (): Promise<AwsChunkedOptions> => ({
    mode: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    signing: await exampleSigning("4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"),
    decodedLength: 66560,
  });

  it("has the documented encoded length", () => expect(enc.encode(SIGNED_WIRE).length).toBe(66824));

  for (const split of ["whole", "bytes", "random"] as const) {
    it(`decodes and verifies every chunk signature (${split} input)`, async () => {
      const { out, trailer } = await decode(SIGNED_WIRE, await opts(), split);
      expect(out.length).toBe(66560);
      expect(out.every((b) => b === 97)).toBe(true);
      expect(trailer).toBeNull();
    });
  }

  it("our test encoder reproduces the AWS wire bytes", async () => {
    const wire = await encodeSigned(enc.encode(A64K + A1K), 65536, (await opts()).signing!);
    expect(new TextDecoder().decode(wire)).toBe(SIGNED_WIRE);
  });

  it("a tampered chunk -> SignatureDoesNotMatch", async () => {
    const tampered = SIGNED_WIRE.replace(`\r\n${A1K}`, `\r\nb${A1K.slice(1)}`);
    const e = await decodeError(tampered, await opts(), "random");
    expect(e.code).toBe("SignatureDoesNotMatch");
    expect(String(e.details.StringToSign)).toMatch(/^AWS4-HMAC-SHA256-PAYLOAD\n20130524T000000Z\n/);
  });

  it("a wrong seed, reordered chunks or a missing signature are rejected", async () => {
    const o = await opts();
    expect((await decodeError(SIGNED_WIRE, { ...o, signing: { ...o.signing!, seedSignature: "0".repeat(64) } })).code).toBe("SignatureDoesNotMatch");
    expect((await decodeError(SIGNED_WIRE.replace(/;chunk-signature=0055[0-9a-f]+/, ""), o)).code).toBe("InvalidRequest");
  });

  it("wrong x-amz-decoded-content-length -> IncompleteBody", async () => {
    const o = await opts();
    expect((await decodeError(SIGNED_WIRE, { ...o, decodedLength: 66561 })).code).toBe("IncompleteBody");
    expect((await decodeError(SIGNED_WIRE, { ...o, decodedLength: 66559 })).code).toBe("IncompleteBody");
  });

  it("a truncated body -> IncompleteBody", async () => {
    for (const cut of [10, 5000, 66000, 66820]) {
      expect((await decodeError(SIGNED_WIRE.slice(0, cut), await opts())).code, `cut ${cut}`).toBe("IncompleteBody");
    }
  });

  it("requires signing material for signed modes", () => {
    expect(() => awsChunkedDecoder({ mode: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", decodedLength: 0 })).toThrow(S3Error);
  });
});

describe("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER (AWS example, CRC32C trailer)", () => {
  const opts = async (): Promise<AwsChunkedOptions> => ({
    mode: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
    signing: await exampleSigning("106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"),
    decodedLength: 66560,
    trailerAlgorithm: "CRC32C",
  });

  const variants: Record<string, string> = {
    "as specified": TRAILER_CHUNKS + TRAILER_LINES + "\r\n",
    "blank line before the trailer": TRAILER_CHUNKS + "\r\n" + TRAILER_LINES + "\r\n",
    "no final CRLF": TRAILER_CHUNKS + TRAILER_LINES,
    "no CRLF after the signature line": TRAILER_CHUNKS + TRAILER_LINES.slice(0, -2),
  };
  for (const [name, wire] of Object.entries(variants)) {
    it(`verifies chunk and trailer signatures and the checksum (${name})`, async () => {
      const { out, trailer } = await decode(wire, await opts(), "random");
      expect(out.length).toBe(66560);
      expect(trailer).toEqual({ algorithm: "CRC32C", value: "sOO8/Q==" });
    });
  }

  it("works one byte at a time", async () => {
    const { trailer } = await decode(variants["as specified"]!, await opts(), "bytes");
    expect(trailer?.value).toBe("sOO8/Q==");
  });

  it("a changed trailer value -> SignatureDoesNotMatch (the trailer is signed)", async () => {
    const e = await decodeError(variants["as specified"]!.replace("sOO8/Q==", "AAAAAA=="), await opts());
    expect(e.code).toBe("SignatureDoesNotMatch");
  });

  it("a missing trailer signature -> rejected", async () => {
    const wire = TRAILER_CHUNKS + "x-amz-checksum-crc32c:sOO8/Q==\r\n\r\n";
    expect((await decodeError(wire, await opts())).code).toBe("InvalidRequest");
  });

  it("a correctly signed but wrong checksum -> BadDigest", async () => {
    const o = await opts();
    const wire = await encodeSigned(enc.encode("hello"), 8192, o.signing!, { algo: "CRC32C", value: "AAAAAA==" });
    const e = await decodeError(wire, { ...o, decodedLength: 5 });
    expect([e.code, e.message]).toEqual(["BadDigest", "The CRC32C you specified did not match the calculated checksum."]);
  });

  it("round-trips random bodies through our signed encoder", async () => {
    const o = await opts();
    for (const [len, chunk] of [
      [0, 8192],
      [1, 8192],
      [8192, 8192],
      [200_001, 65536],
    ] as const) {
      const data = randomBytes(len);
      const wire = await encodeSigned(data, chunk, o.signing!, { algo: "SHA256" });
      const { out, trailer } = await decode(wire, { ...o, decodedLength: len, trailerAlgorithm: "SHA256" }, "random");
      same(out, data);
      expect(trailer?.algorithm).toBe("SHA256");
    }
  });
});

describe("STREAMING-UNSIGNED-PAYLOAD-TRAILER (what @aws-sdk/client-s3 sends for stream bodies)", () => {
  const opts = (len: number, algo: ChecksumAlgorithm | null = "CRC32"): AwsChunkedOptions => ({
    mode: "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    decodedLength: len,
    trailerAlgorithm: algo,
  });

  for (const split of ["whole", "bytes", "random"] as const) {
    it(`decodes and checks the CRC32 trailer (${split} input)`, async () => {
      const data = randomBytes(split === "bytes" ? 3000 : 300_000);
      const wire = await encodeUnsigned(data, 65536, "CRC32");
      const { out, trailer } = await decode(wire, opts(data.length), split);
      same(out, data);
      const sum = createChecksum("CRC32");
      sum.update(data);
      expect(trailer).toEqual({ algorithm: "CRC32", value: await sum.digest() });
    });
  }

  it("bad trailer checksum -> BadDigest", async () => {
    const wire = new TextDecoder().decode(await encodeUnsigned(enc.encode("hello world"), 4, "CRC32"));
    const bad = wire.replace(/x-amz-checksum-crc32:[^\r]+/, "x-amz-checksum-crc32:AAAAAA==");
    expect((await decodeError(bad, opts(11))).code).toBe("BadDigest");
  });

  it("a malformed or absent trailer value is rejected", async () => {
    const wire = new TextDecoder().decode(await encodeUnsigned(enc.encode("hello"), 4, "CRC32"));
    expect((await decodeError(wire.replace(/crc32:[^\r]+/, "crc32:zz"), opts(5))).code).toBe("InvalidRequest");
    expect((await decodeError("5\r\nhello\r\n0\r\n\r\n", opts(5))).code).toBe("InvalidRequest");
  });

  it("no trailer declared: plain 0-chunk end, chunk-signature extensions ignored, bare LF tolerated", async () => {
    expect((await decode("5\r\nhello\r\n0\r\n\r\n", opts(5, null))).out).toEqual(enc.encode("hello"));
    expect((await decode("5;chunk-signature=abc\nhello\n0\n\n", opts(5, null))).out).toEqual(enc.encode("hello"));
    expect((await decode("0\r\n\r\n", opts(0, null))).out).toEqual(new Uint8Array(0));
  });

  it("framing errors", async () => {
    expect((await decodeError("zz\r\nhello\r\n0\r\n\r\n", opts(5, null))).code).toBe("InvalidRequest");
    expect((await decodeError("5\r\nhelloXX0\r\n\r\n", opts(5, null))).code).toBe("InvalidRequest");
    expect((await decodeError("5\r\nhello\r\n0\r\n\r\ngarbage", opts(5, null))).code).toBe("InvalidRequest");
    expect((await decodeError("5\r\nhel", opts(5, null))).code).toBe("IncompleteBody");
    expect((await decodeError("", opts(0, null))).code).toBe("IncompleteBody");
    expect((await decodeError("5\r\nhello\r\n0\r\n\r\n", opts(4, null))).code).toBe("IncompleteBody");
    expect((await decodeError("5\r\nhello\r\n0\r\n\r\n", opts(6, null))).code).toBe("IncompleteBody");
    expect((await decodeError("1".repeat(5000) + "\r\n", opts(5, null))).code).toBe("InvalidRequest");
  });

  it("streams: an 8 MiB chunk is passed through in the pieces it arrived in", async () => {
    const data = randomBytes(8 << 20);
    const wire = await encodeUnsigned(data, 8 << 20, null);
    const pieces: number[] = [];
    const src = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < wire.length; i += 65536) c.enqueue(wire.slice(i, i + 65536));
        c.close();
      },
    });
    const d = awsChunkedDecoder(opts(data.length, null));
    const reader = src.pipeThrough(d.stream).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      pieces.push(value.length);
    }
    expect(pieces.reduce((a, b) => a + b, 0)).toBe(data.length);
    expect(Math.max(...pieces)).toBeLessThanOrEqual(65536);
  });
});
