/**
 * Multipart uploads end to end through @aws-sdk/client-s3 and @aws-sdk/lib-storage: any legal
 * part layout completes, reads map Range and partNumber onto the manifest, every error of the
 * API reference is answered, and no part's bytes outlive the upload, its abort or the sweep.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { crc32 } from "@aws-crypto/crc32";
import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { r2Keys, runCron, startWorker, streamToBuffer, type Harness } from "./harness";
import { withoutExpectContinue } from "./no-expect-continue";

const MiB = 1024 * 1024;
const md5Hex = (b: Buffer) => createHash("md5").update(b).digest("hex");

/** S3's multipart ETag computed independently: md5 of the binary part MD5s, "-N". */
const multipartEtag = (parts: Buffer[]) =>
  `"${createHash("md5")
    .update(Buffer.concat(parts.map((p) => createHash("md5").update(p).digest())))
    .digest("hex")}-${parts.length}"`;

const crc32Bytes = (b: Buffer) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(b) >>> 0);
  return out;
};
const crc32Base64 = (b: Buffer) => crc32Bytes(b).toString("base64");

async function bucketId(h: Harness, name: string): Promise<string> {
  const row = await (await h.mf.getD1Database("DB")).prepare("SELECT id FROM buckets WHERE name = ?").bind(name).first<{ id: string }>();
  return row!.id;
}

/** Blob keys D1 refers to (objects, manifests, pending parts). */
async function referencedBlobs(h: Harness): Promise<string[]> {
  const db = await h.mf.getD1Database("DB");
  const { results } = await db
    .prepare("SELECT blob_key FROM objects WHERE blob_key IS NOT NULL UNION SELECT blob_key FROM object_parts UNION SELECT blob_key FROM upload_parts")
    .all<{ blob_key: string }>();
  return results.map((r) => r.blob_key).sort();
}

async function partBlobs(h: Harness, uploadId: string): Promise<Map<number, string>> {
  const db = await h.mf.getD1Database("DB");
  const { results } = await db
    .prepare("SELECT part_number, blob_key FROM upload_parts WHERE upload_id = ?")
    .bind(uploadId)
    .all<{ part_number: number; blob_key: string }>();
  return new Map(results.map((r) => [r.part_number, r.blob_key]));
}

/** After the sweep, R2 holds exactly the blobs D1 refers to: nothing leaked, nothing lost. */
async function expectNoLeaks(h: Harness): Promise<void> {
  await runCron(h);
  expect((await r2Keys(h.mf)).sort()).toEqual(await referencedBlobs(h));
}

async function create(s3: S3Client, Bucket: string, Key: string, extra: Partial<ConstructorParameters<typeof CreateMultipartUploadCommand>[0]> = {}) {
  const r = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key, ...extra }));
  expect(r.UploadId).toBeTruthy();
  return r.UploadId!;
}

async function part(s3: S3Client, Bucket: string, Key: string, UploadId: string, PartNumber: number, Body: Buffer): Promise<CompletedPart> {
  const r = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber, Body }));
  expect(r.ETag).toBe(`"${md5Hex(Body)}"`);
  return { PartNumber, ETag: r.ETag };
}

const complete = (s3: S3Client, Bucket: string, Key: string, UploadId: string, Parts: CompletedPart[]) =>
  s3.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts } }));

async function getBytes(s3: S3Client, Bucket: string, Key: string, extra: { Range?: string; PartNumber?: number } = {}) {
  const r = await s3.send(new GetObjectCommand({ Bucket, Key, ...extra }));
  return { body: await streamToBuffer(r.Body), r };
}

let h: Harness;
let s3: S3Client;
const B = "multipart";

beforeAll(async () => {
  h = await startWorker();
  s3 = withoutExpectContinue(h.client());
  await s3.send(new CreateBucketCommand({ Bucket: B }));
});
afterAll(() => h?.dispose());

describe("part layouts S3 allows", () => {
  // 5 MiB, 7 MiB, 1 KiB: R2's own multipart would refuse unequal parts; each part is its own blob here.
  const sizes = [5 * MiB, 7 * MiB, 1024];
  const bodies = sizes.map((n) => randomBytes(n));
  const whole = Buffer.concat(bodies);
  const K = "unequal/parts.bin";

  beforeAll(async () => {
    const id = await create(s3, B, K, { ContentType: "application/x-parts", Metadata: { origin: "multipart" }, CacheControl: "no-cache" });
    const parts = [];
    for (let i = 0; i < bodies.length; i++) parts.push(await part(s3, B, K, id, i + 1, bodies[i]));
    const blobsBefore = await r2Keys(h.mf);
    const done = await complete(s3, B, K, id, parts);
    expect(done.ETag).toBe(multipartEtag(bodies));
    expect(done.Key).toBe(K);
    expect(done.Bucket).toBe(B);
    // Completion is a metadata operation: no byte was copied.
    expect((await r2Keys(h.mf)).sort()).toEqual(blobsBefore.sort());
  });

  it("unequal part sizes complete; GET returns the bytes, the md5-of-md5s-N ETag, and the create-time headers", async () => {
    const { body, r } = await getBytes(s3, B, K);
    expect(r.ContentLength).toBe(whole.length);
    expect(body.length).toBe(whole.length);
    expect(Buffer.compare(body, whole)).toBe(0);
    expect(r.ETag).toBe(multipartEtag(bodies));
    expect(r.ContentType).toBe("application/x-parts");
    expect(r.CacheControl).toBe("no-cache");
    expect(r.Metadata).toEqual({ origin: "multipart" });
    const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: K }));
    expect(head.ContentLength).toBe(whole.length);
    expect(head.ETag).toBe(multipartEtag(bodies));
  });

  it.each([
    ["inside part 1", 100, 4000],
    ["across the 1|2 boundary", 5 * MiB - 10, 5 * MiB + 9],
    ["across all three parts", 5 * MiB - 3, 12 * MiB + 2],
    ["exactly part 2", 5 * MiB, 12 * MiB - 1],
    ["the last byte", 12 * MiB + 1023, 12 * MiB + 1023],
  ])("Range %s is byte-for-byte", async (_name, start, end) => {
    const { body, r } = await getBytes(s3, B, K, { Range: `bytes=${start}-${end}` });
    expect(r.$metadata.httpStatusCode).toBe(206);
    expect(r.ContentRange).toBe(`bytes ${start}-${end}/${whole.length}`);
    expect(r.ContentLength).toBe(end - start + 1);
    expect(Buffer.compare(body, whole.subarray(start, end + 1))).toBe(0);
  });

  it("suffix and open ranges reach into the last parts", async () => {
    const suffix = await getBytes(s3, B, K, { Range: "bytes=-2000" });
    expect(Buffer.compare(suffix.body, whole.subarray(whole.length - 2000))).toBe(0);
    const open = await getBytes(s3, B, K, { Range: `bytes=${12 * MiB - 5}-` });
    expect(Buffer.compare(open.body, whole.subarray(12 * MiB - 5))).toBe(0);
  });

  it("GET and HEAD ?partNumber=N serve that part with x-amz-mp-parts-count", async () => {
    let offset = 0;
    for (let n = 1; n <= 3; n++) {
      const { body, r } = await getBytes(s3, B, K, { PartNumber: n });
      expect(r.$metadata.httpStatusCode).toBe(206);
      expect(r.PartsCount).toBe(3);
      expect(r.ContentLength).toBe(sizes[n - 1]);
      expect(r.ContentRange).toBe(`bytes ${offset}-${offset + sizes[n - 1] - 1}/${whole.length}`);
      expect(r.ETag).toBe(multipartEtag(bodies));
      expect(Buffer.compare(body, bodies[n - 1])).toBe(0);
      const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: K, PartNumber: n }));
      expect(head.PartsCount).toBe(3);
      expect(head.ContentLength).toBe(sizes[n - 1]);
      offset += sizes[n - 1];
    }
    await expect(s3.send(new GetObjectCommand({ Bucket: B, Key: K, PartNumber: 4 }))).rejects.toMatchObject({
      name: "InvalidPartNumber",
      $metadata: { httpStatusCode: 416 },
    });
  });

  it("?partNumber=1 of a single-PUT object is the whole object, without a parts count", async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "single", Body: "single put" }));
    const { body, r } = await getBytes(s3, B, "single", { PartNumber: 1 });
    expect(body.toString()).toBe("single put");
    expect(r.PartsCount).toBeUndefined();
    expect(r.ContentLength).toBe(10);
    const ranged = await getBytes(s3, B, "single", { Range: "bytes=2-4" });
    expect(ranged.body.toString()).toBe("ngl");
    expect(ranged.r.ContentLength).toBe(3);
    await expect(s3.send(new GetObjectCommand({ Bucket: B, Key: "single", PartNumber: 2 }))).rejects.toMatchObject({
      name: "InvalidPartNumber",
      $metadata: { httpStatusCode: 416 },
    });
  });

  it("gaps in part numbers and a chosen subset complete; unchosen parts' bytes are freed", async () => {
    const K2 = "gaps.bin";
    const id = await create(s3, B, K2);
    const bodies2 = new Map([
      [1, randomBytes(5 * MiB)],
      [3, randomBytes(5 * MiB + 7)],
      [7, randomBytes(5 * MiB + 1)],
      [9, randomBytes(333)],
    ]);
    const etags = new Map<number, CompletedPart>();
    for (const [n, b] of bodies2) etags.set(n, await part(s3, B, K2, id, n, b));
    const blobs = await partBlobs(h, id);
    expect([...blobs.keys()].sort((a, b) => a - b)).toEqual([1, 3, 7, 9]);

    const chosen = [1, 7, 9];
    const done = await complete(
      s3,
      B,
      K2,
      id,
      chosen.map((n) => etags.get(n)!),
    );
    const expected = Buffer.concat(chosen.map((n) => bodies2.get(n)!));
    expect(done.ETag).toBe(multipartEtag(chosen.map((n) => bodies2.get(n)!)));
    const { body } = await getBytes(s3, B, K2);
    expect(Buffer.compare(body, expected)).toBe(0);

    // Parts keep the numbers they were uploaded with: part 7 is the second part of the object.
    const p7 = await getBytes(s3, B, K2, { PartNumber: 7 });
    expect(p7.r.PartsCount).toBe(3);
    expect(Buffer.compare(p7.body, bodies2.get(7)!)).toBe(0);
    await expect(s3.send(new GetObjectCommand({ Bucket: B, Key: K2, PartNumber: 3 }))).rejects.toMatchObject({ name: "InvalidPartNumber" });

    await runCron(h);
    const left = new Set(await r2Keys(h.mf));
    expect(left.has(blobs.get(3)!)).toBe(false);
    for (const n of chosen) expect(left.has(blobs.get(n)!)).toBe(true);
    await expectNoLeaks(h);
  });

  it("re-uploading a part replaces it and frees the old bytes", async () => {
    const K3 = "reupload.bin";
    const id = await create(s3, B, K3);
    const first = randomBytes(5 * MiB);
    const second = randomBytes(5 * MiB + 100);
    const tail = randomBytes(10);
    const old = await part(s3, B, K3, id, 1, first);
    const oldBlob = (await partBlobs(h, id)).get(1)!;
    const fresh = await part(s3, B, K3, id, 1, second);
    const t = await part(s3, B, K3, id, 2, tail);
    const listed = await s3.send(new ListPartsCommand({ Bucket: B, Key: K3, UploadId: id }));
    expect(listed.Parts?.map((p) => [p.PartNumber, p.ETag, p.Size])).toEqual([
      [1, fresh.ETag, second.length],
      [2, t.ETag, tail.length],
    ]);
    await runCron(h);
    expect(await r2Keys(h.mf)).not.toContain(oldBlob);
    // The superseded ETag no longer names part 1.
    await expect(complete(s3, B, K3, id, [old, t])).rejects.toMatchObject({ name: "InvalidPart", $metadata: { httpStatusCode: 400 } });
    await complete(s3, B, K3, id, [fresh, t]);
    const { body } = await getBytes(s3, B, K3);
    expect(Buffer.compare(body, Buffer.concat([second, tail]))).toBe(0);
    await expectNoLeaks(h);
  });

  it("parts uploaded concurrently and out of order complete in part order; a list out of order is InvalidPartOrder", async () => {
    const K4 = "concurrent.bin";
    const id = await create(s3, B, K4);
    const bodies4 = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(4321)];
    const order = [3, 1, 4, 2];
    const uploaded = await Promise.all(order.map((n) => part(s3, B, K4, id, n, bodies4[n - 1])));
    const byNumber = (n: number) => uploaded.find((p) => p.PartNumber === n)!;
    const inOrder = [1, 2, 3, 4].map(byNumber);

    await expect(complete(s3, B, K4, id, [2, 1, 3, 4].map(byNumber))).rejects.toMatchObject({ name: "InvalidPartOrder", $metadata: { httpStatusCode: 400 } });
    await expect(complete(s3, B, K4, id, [1, 2, 2, 3, 4].map(byNumber))).rejects.toMatchObject({ name: "InvalidPartOrder" });
    // The failed attempts changed nothing: the upload still completes.
    const done = await complete(s3, B, K4, id, inOrder);
    expect(done.ETag).toBe(multipartEtag(bodies4));
    const { body } = await getBytes(s3, B, K4);
    expect(Buffer.compare(body, Buffer.concat(bodies4))).toBe(0);
  });
});

describe("what CreateMultipartUpload keeps for the object", () => {
  it("tagging and ACL headers apply to the completed object", async () => {
    const K = "tagged-public";
    const id = await create(s3, B, K, { Tagging: "project=sos&tier=hot", ACL: "public-read", ContentDisposition: "attachment" });
    const p = await part(s3, B, K, id, 1, Buffer.from("public multipart bytes"));
    // Nothing is visible before Complete.
    await expect(s3.send(new HeadObjectCommand({ Bucket: B, Key: K }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    await complete(s3, B, K, id, [p]);
    const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: B, Key: K }));
    expect(tags.TagSet).toEqual([
      { Key: "project", Value: "sos" },
      { Key: "tier", Value: "hot" },
    ]);
    const anon = await fetch(`${h.url}/${B}/${K}`);
    expect(anon.status).toBe(200);
    expect(await anon.text()).toBe("public multipart bytes");
    expect(anon.headers.get("content-disposition")).toBe("attachment");
    expect(anon.headers.get("x-amz-tagging-count")).toBe("2");
  });

  it("an invalid tagging header is refused at create", async () => {
    await expect(s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: "bad-tags", Tagging: "aws:reserved=x" }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 400 },
    });
    expect(((await s3.send(new ListMultipartUploadsCommand({ Bucket: B, Prefix: "bad-tags" }))).Uploads ?? []).length).toBe(0);
  });
});

describe("errors", () => {
  it("InvalidPart: a wrong ETag or a part never uploaded; the upload survives", async () => {
    const K = "invalid-part";
    const id = await create(s3, B, K);
    const p1 = await part(s3, B, K, id, 1, randomBytes(5 * MiB));
    const p2 = await part(s3, B, K, id, 2, randomBytes(100));
    await expect(complete(s3, B, K, id, [p1, { PartNumber: 2, ETag: `"${"0".repeat(32)}"` }])).rejects.toMatchObject({
      name: "InvalidPart",
      $metadata: { httpStatusCode: 400 },
    });
    await expect(complete(s3, B, K, id, [p1, p2, { PartNumber: 3, ETag: p2.ETag }])).rejects.toMatchObject({ name: "InvalidPart" });
    await expect(s3.send(new HeadObjectCommand({ Bucket: B, Key: K }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    expect((await s3.send(new ListPartsCommand({ Bucket: B, Key: K, UploadId: id }))).Parts).toHaveLength(2);
    await complete(s3, B, K, id, [p1, p2]);
  });

  it("EntityTooSmall: a non-last part under 5 MiB; the last part may be small", async () => {
    const K = "too-small";
    const id = await create(s3, B, K);
    const a = await part(s3, B, K, id, 1, randomBytes(5 * MiB - 1));
    const b = await part(s3, B, K, id, 2, randomBytes(10));
    await expect(complete(s3, B, K, id, [a, b])).rejects.toMatchObject({ name: "EntityTooSmall", $metadata: { httpStatusCode: 400 } });
    await expect(s3.send(new HeadObjectCommand({ Bucket: B, Key: K }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    // A single small part is a legal (one-part) object.
    const done = await complete(s3, B, K, id, [b]);
    expect(done.ETag).toMatch(/-1"$/);
    expect((await s3.send(new HeadObjectCommand({ Bucket: B, Key: K }))).ContentLength).toBe(10);
  });

  it("part numbers outside 1..10000 are InvalidArgument", async () => {
    const K = "part-range";
    const id = await create(s3, B, K);
    for (const PartNumber of [0, 10001]) {
      await expect(s3.send(new UploadPartCommand({ Bucket: B, Key: K, UploadId: id, PartNumber, Body: "x" }))).rejects.toMatchObject({
        name: "InvalidArgument",
        $metadata: { httpStatusCode: 400 },
      });
    }
    await part(s3, B, K, id, 10000, Buffer.from("last possible part"));
    await s3.send(new AbortMultipartUploadCommand({ Bucket: B, Key: K, UploadId: id }));
  });

  it("NoSuchUpload after abort, for an unknown id, and for another key's upload", async () => {
    const K = "aborted";
    const id = await create(s3, B, K);
    const p = await part(s3, B, K, id, 1, Buffer.from("bytes"));
    const blob = (await partBlobs(h, id)).get(1)!;
    const abort = await s3.send(new AbortMultipartUploadCommand({ Bucket: B, Key: K, UploadId: id }));
    expect(abort.$metadata.httpStatusCode).toBe(204);
    const noSuchUpload = { name: "NoSuchUpload", $metadata: { httpStatusCode: 404 } };
    await expect(s3.send(new UploadPartCommand({ Bucket: B, Key: K, UploadId: id, PartNumber: 2, Body: "x" }))).rejects.toMatchObject(noSuchUpload);
    await expect(complete(s3, B, K, id, [p])).rejects.toMatchObject(noSuchUpload);
    await expect(s3.send(new ListPartsCommand({ Bucket: B, Key: K, UploadId: id }))).rejects.toMatchObject(noSuchUpload);
    await expect(s3.send(new AbortMultipartUploadCommand({ Bucket: B, Key: K, UploadId: id }))).rejects.toMatchObject(noSuchUpload);
    await expect(s3.send(new ListPartsCommand({ Bucket: B, Key: K, UploadId: "nonexistent" }))).rejects.toMatchObject(noSuchUpload);
    const other = await create(s3, B, "other-key");
    await expect(s3.send(new ListPartsCommand({ Bucket: B, Key: K, UploadId: other }))).rejects.toMatchObject(noSuchUpload);
    await s3.send(new AbortMultipartUploadCommand({ Bucket: B, Key: "other-key", UploadId: other }));
    // The refused UploadPart stored nothing, and the abort freed the part.
    await runCron(h);
    expect(await r2Keys(h.mf)).not.toContain(blob);
    await expectNoLeaks(h);
  });

  it("abort frees every part's bytes", async () => {
    const K = "abort-frees";
    const id = await create(s3, B, K);
    for (let n = 1; n <= 4; n++) await part(s3, B, K, id, n, randomBytes(1000 + n));
    const blobs = [...(await partBlobs(h, id)).values()];
    expect(blobs).toHaveLength(4);
    const present = new Set(await r2Keys(h.mf));
    for (const b of blobs) expect(present.has(b)).toBe(true);
    await s3.send(new AbortMultipartUploadCommand({ Bucket: B, Key: K, UploadId: id }));
    await runCron(h);
    const after = new Set(await r2Keys(h.mf));
    for (const b of blobs) expect(after.has(b)).toBe(false);
    const listed = await s3.send(new ListMultipartUploadsCommand({ Bucket: B, Prefix: K }));
    expect(listed.Uploads ?? []).toEqual([]);
  });

  it("a wrong part checksum is BadDigest and stores nothing", async () => {
    const K = "bad-part-sum";
    const id = await create(s3, B, K);
    const before = await r2Keys(h.mf);
    await expect(
      s3.send(new UploadPartCommand({ Bucket: B, Key: K, UploadId: id, PartNumber: 1, Body: "payload", ChecksumCRC32: crc32Base64(Buffer.from("other")) })),
    ).rejects.toMatchObject({ name: "BadDigest", $metadata: { httpStatusCode: 400 } });
    await expect(
      s3.send(
        new UploadPartCommand({
          Bucket: B,
          Key: K,
          UploadId: id,
          PartNumber: 1,
          Body: "payload",
          ContentMD5: createHash("md5").update("other").digest("base64"),
        }),
      ),
    ).rejects.toMatchObject({ name: "BadDigest", $metadata: { httpStatusCode: 400 } });
    await runCron(h);
    expect((await r2Keys(h.mf)).sort()).toEqual(before.sort());
    expect((await s3.send(new ListPartsCommand({ Bucket: B, Key: K, UploadId: id }))).Parts ?? []).toEqual([]);
    await s3.send(new AbortMultipartUploadCommand({ Bucket: B, Key: K, UploadId: id }));
  });
});

describe("checksums", () => {
  it("ChecksumAlgorithm CRC32 at create gives a COMPOSITE checksum: crc32 of the part crc32s, -N", async () => {
    const K = "composite";
    const id = await create(s3, B, K, { ChecksumAlgorithm: "CRC32" });
    const bodies = [randomBytes(5 * MiB), randomBytes(77)];
    const parts: CompletedPart[] = [];
    for (let i = 0; i < bodies.length; i++) {
      const r = await s3.send(new UploadPartCommand({ Bucket: B, Key: K, UploadId: id, PartNumber: i + 1, Body: bodies[i], ChecksumAlgorithm: "CRC32" }));
      expect(r.ChecksumCRC32).toBe(crc32Base64(bodies[i]));
      parts.push({ PartNumber: i + 1, ETag: r.ETag, ChecksumCRC32: r.ChecksumCRC32 });
    }
    const listed = await s3.send(new ListPartsCommand({ Bucket: B, Key: K, UploadId: id }));
    expect(listed.ChecksumAlgorithm).toBe("CRC32");
    expect(listed.Parts?.map((p) => p.ChecksumCRC32)).toEqual(bodies.map(crc32Base64));

    // A part checksum that does not match the uploaded part is InvalidPart.
    await expect(complete(s3, B, K, id, [parts[0], { ...parts[1], ChecksumCRC32: crc32Base64(Buffer.from("x")) }])).rejects.toMatchObject({
      name: "InvalidPart",
    });

    const expected = `${crc32Base64(Buffer.concat(bodies.map(crc32Bytes)))}-2`;
    const done = await complete(s3, B, K, id, parts);
    expect(done.ChecksumCRC32).toBe(expected);
    const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: K, ChecksumMode: "ENABLED" }));
    expect(head.ChecksumCRC32).toBe(expected);
    expect(head.ChecksumType).toBe("COMPOSITE");
    const { body } = await getBytes(s3, B, K);
    expect(Buffer.compare(body, Buffer.concat(bodies))).toBe(0);
  });

  it("without an algorithm at create, the part checksums SDKs echo back are accepted when they match", async () => {
    const K = "echoed-sums";
    const id = await create(s3, B, K);
    const bodies = [randomBytes(5 * MiB), randomBytes(5)];
    const parts: CompletedPart[] = [];
    for (let i = 0; i < bodies.length; i++) {
      // The SDK sends x-amz-checksum-crc32 on every UploadPart by default.
      const r = await s3.send(new UploadPartCommand({ Bucket: B, Key: K, UploadId: id, PartNumber: i + 1, Body: bodies[i] }));
      expect(r.ChecksumCRC32).toBe(crc32Base64(bodies[i]));
      parts.push({ PartNumber: i + 1, ETag: r.ETag, ChecksumCRC32: r.ChecksumCRC32 });
    }
    await expect(complete(s3, B, K, id, [parts[0], { ...parts[1], ChecksumCRC32: parts[0].ChecksumCRC32 }])).rejects.toMatchObject({ name: "InvalidPart" });
    const done = await complete(s3, B, K, id, parts);
    expect(done.ETag).toBe(multipartEtag(bodies));
    expect(Buffer.compare((await getBytes(s3, B, K)).body, Buffer.concat(bodies))).toBe(0);
  });
});

describe("listings", () => {
  it("ListParts pages with max-parts and part-number-marker", async () => {
    const K = "list-parts";
    const id = await create(s3, B, K);
    const etags: string[] = [];
    for (let n = 1; n <= 5; n++) etags.push((await part(s3, B, K, id, n, Buffer.from(`part ${n}`))).ETag!);
    const page = (PartNumberMarker?: string) => s3.send(new ListPartsCommand({ Bucket: B, Key: K, UploadId: id, MaxParts: 2, PartNumberMarker }));
    const p1 = await page();
    expect(p1.Parts?.map((p) => p.PartNumber)).toEqual([1, 2]);
    expect(p1.Parts?.map((p) => p.ETag)).toEqual(etags.slice(0, 2));
    expect(p1.Parts?.[0].Size).toBe(6);
    expect(p1.IsTruncated).toBe(true);
    expect(p1.NextPartNumberMarker).toBe("2");
    expect(p1.MaxParts).toBe(2);
    const p2 = await page(p1.NextPartNumberMarker);
    expect(p2.Parts?.map((p) => p.PartNumber)).toEqual([3, 4]);
    expect(p2.PartNumberMarker).toBe("2");
    expect(p2.IsTruncated).toBe(true);
    const p3 = await page(p2.NextPartNumberMarker);
    expect(p3.Parts?.map((p) => p.PartNumber)).toEqual([5]);
    expect(p3.IsTruncated).toBe(false);
    const all = await s3.send(new ListPartsCommand({ Bucket: B, Key: K, UploadId: id }));
    expect(all.Parts?.map((p) => p.PartNumber)).toEqual([1, 2, 3, 4, 5]);
    expect(all.IsTruncated).toBe(false);
    expect(all.Owner?.ID).toBeTruthy();
    await s3.send(new AbortMultipartUploadCommand({ Bucket: B, Key: K, UploadId: id }));
  });

  describe("ListMultipartUploads", () => {
    const LB = "uploads-list";
    const ids: Record<string, string> = {};
    const ordered: [string, string][] = [];

    beforeAll(async () => {
      await s3.send(new CreateBucketCommand({ Bucket: LB }));
      for (const [name, key] of [
        ["a1", "a/1"],
        ["a2", "a/2"],
        ["b", "b"],
        ["c1", "c"],
        ["c2", "c"],
        ["d", "d/x/y"],
        ["e", "e ü+&%.txt"],
      ] as const) {
        ids[name] = await create(s3, LB, key);
        await new Promise((r) => setTimeout(r, 5)); // distinct initiation times for the same key
      }
      ordered.push(["a/1", ids.a1], ["a/2", ids.a2], ["b", ids.b], ["c", ids.c1], ["c", ids.c2], ["d/x/y", ids.d], ["e ü+&%.txt", ids.e]);
    });

    const list = (extra: Partial<ConstructorParameters<typeof ListMultipartUploadsCommand>[0]> = {}) =>
      s3.send(new ListMultipartUploadsCommand({ Bucket: LB, ...extra }));
    const pairs = (r: Awaited<ReturnType<typeof list>>) => (r.Uploads ?? []).map((u) => [u.Key!, u.UploadId!]);

    it("lists every upload in key order, then initiation order", async () => {
      const r = await list();
      expect(pairs(r)).toEqual(ordered);
      expect(r.IsTruncated).toBe(false);
      expect(r.Uploads?.[0].Initiator?.ID).toBeTruthy();
      expect(r.Uploads?.[0].StorageClass).toBe("STANDARD");
    });

    it("prefix", async () => {
      expect(pairs(await list({ Prefix: "a/" }))).toEqual(ordered.slice(0, 2));
      expect(pairs(await list({ Prefix: "zzz" }))).toEqual([]);
    });

    it("delimiter rolls keys up into CommonPrefixes", async () => {
      const r = await list({ Delimiter: "/" });
      expect(pairs(r)).toEqual([
        ["b", ids.b],
        ["c", ids.c1],
        ["c", ids.c2],
        ["e ü+&%.txt", ids.e],
      ]);
      expect(r.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["a/", "d/"]);
      const nested = await list({ Prefix: "d/", Delimiter: "/" });
      expect(pairs(nested)).toEqual([]);
      expect(nested.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["d/x/"]);
    });

    it("max-uploads pages with NextKeyMarker / NextUploadIdMarker, splitting one key's uploads", async () => {
      const seen: [string, string][] = [];
      let KeyMarker: string | undefined;
      let UploadIdMarker: string | undefined;
      for (let i = 0; i < 10; i++) {
        const r = await list({ MaxUploads: 2, KeyMarker, UploadIdMarker });
        expect(r.MaxUploads).toBe(2);
        seen.push(...(pairs(r) as [string, string][]));
        if (!r.IsTruncated) break;
        expect(r.NextKeyMarker).toBe(seen[seen.length - 1][0]);
        expect(r.NextUploadIdMarker).toBe(seen[seen.length - 1][1]);
        KeyMarker = r.NextKeyMarker;
        UploadIdMarker = r.NextUploadIdMarker;
      }
      expect(seen).toEqual(ordered);
    });

    it("key-marker alone skips that key's uploads; with upload-id-marker it resumes inside the key", async () => {
      expect(pairs(await list({ KeyMarker: "c" }))).toEqual(ordered.slice(5));
      expect(pairs(await list({ KeyMarker: "c", UploadIdMarker: ids.c1 }))).toEqual(ordered.slice(4));
      expect(pairs(await list({ KeyMarker: "b" }))).toEqual(ordered.slice(3));
    });

    it("pages through CommonPrefixes with a delimiter without repeating a prefix", async () => {
      const uploads: string[] = [];
      const prefixes: string[] = [];
      let KeyMarker: string | undefined;
      let UploadIdMarker: string | undefined;
      for (let i = 0; i < 10; i++) {
        const r = await list({ Delimiter: "/", MaxUploads: 1, KeyMarker, UploadIdMarker });
        uploads.push(...(r.Uploads ?? []).map((u) => u.UploadId!));
        prefixes.push(...(r.CommonPrefixes ?? []).map((p) => p.Prefix!));
        if (!r.IsTruncated) break;
        KeyMarker = r.NextKeyMarker;
        UploadIdMarker = r.NextUploadIdMarker;
      }
      expect(prefixes).toEqual(["a/", "d/"]);
      expect(uploads).toEqual([ids.b, ids.c1, ids.c2, ids.e]);
    });
  });
});

describe("@aws-sdk/lib-storage Upload", () => {
  it("uploads a ~30 MiB stream in parts; GET returns it byte for byte", async () => {
    const total = 30 * MiB + 12_345;
    const data = randomBytes(total);
    // Odd-sized chunks so part boundaries never line up with what the stream hands over.
    const chunks: Buffer[] = [];
    for (let at = 0; at < total; at += 777_777) chunks.push(data.subarray(at, Math.min(total, at + 777_777)));
    const upload = new Upload({
      client: s3,
      params: { Bucket: B, Key: "lib-storage/big.bin", Body: Readable.from(chunks), ContentType: "application/octet-stream" },
      partSize: 5 * MiB,
      queueSize: 4,
    });
    const done = await upload.done();
    expect(done.ETag).toMatch(/-7"$/);
    const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: "lib-storage/big.bin", PartNumber: 1 }));
    expect(head.PartsCount).toBe(7);
    const { body } = await getBytes(s3, B, "lib-storage/big.bin");
    expect(body.length).toBe(total);
    expect(md5Hex(body)).toBe(md5Hex(data));
    expect(Buffer.compare(body, data)).toBe(0);
    await expectNoLeaks(h);
  });
});

describe("sweeps and limits (SOS_MULTIPART_MAX_AGE_SECONDS=1, SOS_MAX_REQUEST_BYTES=1 MiB)", () => {
  let lim: Harness;
  let c: S3Client;
  const LB = "limits";
  beforeAll(async () => {
    lim = await startWorker({ SOS_MULTIPART_MAX_AGE_SECONDS: "1", SOS_MAX_REQUEST_BYTES: String(MiB) });
    c = withoutExpectContinue(lim.client());
    await c.send(new CreateBucketCommand({ Bucket: LB }));
  });
  afterAll(() => lim?.dispose());

  it("the cron job aborts uploads older than the configured age and frees their parts", async () => {
    const stale = await create(c, LB, "stale");
    await part(c, LB, "stale", stale, 1, randomBytes(2000));
    const staleBlob = (await partBlobs(lim, stale)).get(1)!;
    await new Promise((r) => setTimeout(r, 1500));
    const fresh = await create(c, LB, "fresh");
    await part(c, LB, "fresh", fresh, 1, randomBytes(100));
    await runCron(lim);
    await expect(c.send(new ListPartsCommand({ Bucket: LB, Key: "stale", UploadId: stale }))).rejects.toMatchObject({ name: "NoSuchUpload" });
    expect(await r2Keys(lim.mf)).not.toContain(staleBlob);
    expect((await c.send(new ListPartsCommand({ Bucket: LB, Key: "fresh", UploadId: fresh }))).Parts).toHaveLength(1);
    expect(pairsOf(await c.send(new ListMultipartUploadsCommand({ Bucket: LB })))).toEqual([["fresh", fresh]]);
    await c.send(new AbortMultipartUploadCommand({ Bucket: LB, Key: "fresh", UploadId: fresh }));
  });

  it("a request body over SOS_MAX_REQUEST_BYTES is EntityTooLarge and nothing is written", async () => {
    const id = await create(c, LB, "big-part");
    const before = await r2Keys(lim.mf);
    const tooBig = randomBytes(MiB + 1);
    const entityTooLarge = {
      name: "EntityTooLarge",
      $metadata: { httpStatusCode: 400 },
      message: `Your proposed upload exceeds the maximum allowed size: ${MiB + 1} bytes is more than this deployment's request body limit (SOS_MAX_REQUEST_BYTES; upload bigger objects in smaller parts) of ${MiB} bytes.`,
    };
    await expect(c.send(new PutObjectCommand({ Bucket: LB, Key: "big-put", Body: tooBig }))).rejects.toMatchObject(entityTooLarge);
    await expect(c.send(new UploadPartCommand({ Bucket: LB, Key: "big-part", UploadId: id, PartNumber: 1, Body: tooBig }))).rejects.toMatchObject(
      entityTooLarge,
    );
    // aws-chunked streams announce their size in x-amz-decoded-content-length: refused the same way.
    await expect(
      c.send(new UploadPartCommand({ Bucket: LB, Key: "big-part", UploadId: id, PartNumber: 1, Body: Readable.from([tooBig]), ContentLength: tooBig.length })),
    ).rejects.toMatchObject(entityTooLarge);
    await runCron(lim);
    expect((await r2Keys(lim.mf)).sort()).toEqual(before.sort());
    expect((await c.send(new ListPartsCommand({ Bucket: LB, Key: "big-part", UploadId: id }))).Parts ?? []).toEqual([]);
    await expect(c.send(new HeadObjectCommand({ Bucket: LB, Key: "big-put" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    // Exactly the limit is accepted.
    await part(c, LB, "big-part", id, 1, randomBytes(MiB));
    await c.send(new AbortMultipartUploadCommand({ Bucket: LB, Key: "big-part", UploadId: id }));
  });

  it("the sweep deletes bytes a crash left unrecorded once they are a day old, and keeps young ones", async () => {
    const r2 = await lim.mf.getR2Bucket("R2_CH_GVA_2");
    const bid = await bucketId(lim, LB);
    const hex = () => randomBytes(12).toString("hex");
    const oldKey = `${bid}/${(Date.now() - 2 * 86_400_000).toString(36).padStart(9, "0")}-${hex()}`;
    const youngKey = `${bid}/${Date.now().toString(36).padStart(9, "0")}-${hex()}`;
    await r2.put(oldKey, "written, then the Worker died before D1 heard of it");
    await r2.put(youngKey, "maybe still being committed");
    await runCron(lim);
    const left = await r2Keys(lim.mf);
    expect(left).not.toContain(oldKey);
    expect(left).toContain(youngKey);
    await r2.delete(youngKey);
    await expectNoLeaks(lim);
  });
});

function pairsOf(r: { Uploads?: { Key?: string; UploadId?: string }[] }) {
  return (r.Uploads ?? []).map((u) => [u.Key, u.UploadId]);
}
