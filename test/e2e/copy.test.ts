/**
 * CopyObject and UploadPartCopy end to end. Within a zone a copy shares the source's immutable
 * blobs (no byte is rewritten, and the bytes live until the last object referring to them is
 * gone); across zones the bytes are streamed into the destination zone.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type BucketLocationConstraint,
  type S3Client,
} from "@aws-sdk/client-s3";
import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { r2Keys, runCron, startWorker, streamToBuffer, type Harness } from "./harness";
import { withoutExpectContinue } from "./no-expect-continue";

const MiB = 1024 * 1024;
const md5Hex = (b: Buffer | string) => createHash("md5").update(b).digest("hex");
const multipartEtag = (parts: Buffer[]) =>
  `"${createHash("md5")
    .update(Buffer.concat(parts.map((p) => createHash("md5").update(p).digest())))
    .digest("hex")}-${parts.length}"`;

let h: Harness;
let s3: S3Client;
const B = "copy-src";
const B2 = "copy-dst";
const FRA = "copy-fra";

async function bytes(Bucket: string, Key: string, extra: { PartNumber?: number } = {}) {
  const r = await s3.send(new GetObjectCommand({ Bucket, Key, ...extra }));
  return { body: await streamToBuffer(r.Body), r };
}

async function referencedBlobs(): Promise<string[]> {
  const db = await h.mf.getD1Database("DB");
  const { results } = await db
    .prepare("SELECT blob_key FROM objects WHERE blob_key IS NOT NULL UNION SELECT blob_key FROM object_parts UNION SELECT blob_key FROM upload_parts")
    .all<{ blob_key: string }>();
  return results.map((r) => r.blob_key).sort();
}

/** After the sweep, R2 (both zones) holds exactly the blobs D1 refers to. */
async function expectNoLeaks(): Promise<void> {
  await runCron(h);
  const stored = [...(await r2Keys(h.mf, "R2_CH_GVA_2")), ...(await r2Keys(h.mf, "R2_DE_FRA_1"))].sort();
  expect(stored).toEqual(await referencedBlobs());
}

/** The blob keys one object's bytes live in (its own blob or its manifest's parts). */
async function blobsOf(bucket: string, key: string): Promise<string[]> {
  const db = await h.mf.getD1Database("DB");
  const row = await db
    .prepare("SELECT o.id, o.blob_key FROM objects o JOIN buckets b ON b.id = o.bucket_id WHERE b.name = ? AND o.key = ? AND o.is_latest = 1")
    .bind(bucket, key)
    .first<{ id: string; blob_key: string | null }>();
  if (row!.blob_key) return [row!.blob_key];
  const { results } = await db.prepare("SELECT blob_key FROM object_parts WHERE object_id = ? ORDER BY part_number").bind(row!.id).all<{ blob_key: string }>();
  return results.map((r) => r.blob_key);
}

async function multipartObject(Bucket: string, Key: string, parts: Buffer[]) {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key, ContentType: "application/x-mp", Metadata: { kind: "multipart" } }));
  const done = [];
  for (let i = 0; i < parts.length; i++) {
    const r = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: i + 1, Body: parts[i] }));
    done.push({ PartNumber: i + 1, ETag: r.ETag });
  }
  await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: done } }));
}

beforeAll(async () => {
  h = await startWorker();
  s3 = withoutExpectContinue(h.client());
  await s3.send(new CreateBucketCommand({ Bucket: B }));
  await s3.send(new CreateBucketCommand({ Bucket: B2 }));
  await s3.send(new CreateBucketCommand({ Bucket: FRA, CreateBucketConfiguration: { LocationConstraint: "de-fra-1" as BucketLocationConstraint } }));
});
afterAll(() => h?.dispose());

describe("CopyObject", () => {
  const body = randomBytes(200_000);

  beforeAll(async () => {
    await s3.send(
      new PutObjectCommand({
        Bucket: B,
        Key: "source",
        Body: body,
        ContentType: "application/x-source",
        Metadata: { color: "red" },
        Tagging: "team=a&stage=raw",
      }),
    );
  });

  it("within a bucket: same bytes and ETag, metadata and tags copied, no byte rewritten", async () => {
    const before = await r2Keys(h.mf);
    const r = await s3.send(new CopyObjectCommand({ Bucket: B, Key: "copy", CopySource: `${B}/source` }));
    expect(r.CopyObjectResult?.ETag).toBe(`"${md5Hex(body)}"`);
    expect(r.CopyObjectResult?.LastModified).toBeInstanceOf(Date);
    expect((await r2Keys(h.mf)).sort()).toEqual(before.sort());
    const { body: got, r: g } = await bytes(B, "copy");
    expect(Buffer.compare(got, body)).toBe(0);
    expect(g.ContentType).toBe("application/x-source");
    expect(g.Metadata).toEqual({ color: "red" });
    expect(g.ETag).toBe(`"${md5Hex(body)}"`);
    const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: B, Key: "copy" }));
    expect(tags.TagSet).toEqual([
      { Key: "team", Value: "a" },
      { Key: "stage", Value: "raw" },
    ]);
  });

  it("MetadataDirective REPLACE takes the request's metadata; TaggingDirective REPLACE the request's tags", async () => {
    await s3.send(
      new CopyObjectCommand({
        Bucket: B,
        Key: "replaced",
        CopySource: `${B}/source`,
        MetadataDirective: "REPLACE",
        ContentType: "text/x-new",
        Metadata: { shape: "round" },
        TaggingDirective: "REPLACE",
        Tagging: "fresh=yes",
      }),
    );
    const { body: got, r } = await bytes(B, "replaced");
    expect(Buffer.compare(got, body)).toBe(0);
    expect(r.ContentType).toBe("text/x-new");
    expect(r.Metadata).toEqual({ shape: "round" });
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: B, Key: "replaced" }))).TagSet).toEqual([{ Key: "fresh", Value: "yes" }]);
    // COPY ignores x-amz-tagging, REPLACE without a header means no tags.
    await s3.send(new CopyObjectCommand({ Bucket: B, Key: "kept-tags", CopySource: `${B}/source`, Tagging: "ignored=1" }));
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: B, Key: "kept-tags" }))).TagSet).toHaveLength(2);
    await s3.send(new CopyObjectCommand({ Bucket: B, Key: "no-tags", CopySource: `${B}/source`, TaggingDirective: "REPLACE" }));
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: B, Key: "no-tags" }))).TagSet).toEqual([]);
  });

  it("copying an object onto itself needs MetadataDirective REPLACE; the shared bytes survive the replacement", async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "self", Body: "self-copied bytes", Metadata: { v: "1" } }));
    await expect(s3.send(new CopyObjectCommand({ Bucket: B, Key: "self", CopySource: `${B}/self` }))).rejects.toMatchObject({
      name: "InvalidRequest",
      $metadata: { httpStatusCode: 400 },
    });
    await s3.send(new CopyObjectCommand({ Bucket: B, Key: "self", CopySource: `${B}/self`, MetadataDirective: "REPLACE", Metadata: { v: "2" } }));
    await runCron(h);
    const { body: got, r } = await bytes(B, "self");
    expect(got.toString()).toBe("self-copied bytes");
    expect(r.Metadata).toEqual({ v: "2" });
    await expectNoLeaks();
  });

  it("the copy gets the request's ACL (private by default), never the source's", async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "public-src", Body: "visible", ACL: "public-read" }));
    await s3.send(new CopyObjectCommand({ Bucket: B, Key: "private-copy", CopySource: `${B}/public-src` }));
    const srcAcl = await s3.send(new GetObjectAclCommand({ Bucket: B, Key: "public-src" }));
    expect(srcAcl.Grants?.some((g) => g.Grantee?.URI?.endsWith("/AllUsers") && g.Permission === "READ")).toBe(true);
    const copyAcl = await s3.send(new GetObjectAclCommand({ Bucket: B, Key: "private-copy" }));
    expect(copyAcl.Grants?.map((g) => g.Permission)).toEqual(["FULL_CONTROL"]);
    expect((await fetch(`${h.url}/${B}/public-src`)).status).toBe(200);
    expect((await fetch(`${h.url}/${B}/private-copy`)).status).toBe(403);
    await s3.send(new CopyObjectCommand({ Bucket: B, Key: "public-copy", CopySource: `${B}/public-src`, ACL: "public-read" }));
    const anon = await fetch(`${h.url}/${B}/public-copy`);
    expect(anon.status).toBe(200);
    expect(await anon.text()).toBe("visible");
  });

  it("x-amz-copy-source-if-* conditions fail with 412 and write nothing", async () => {
    const etag = `"${md5Hex(body)}"`;
    const past = new Date(Date.now() - 3600_000);
    const future = new Date(Date.now() + 3600_000);
    const failing = [
      { CopySourceIfMatch: '"0123456789abcdef0123456789abcdef"' },
      { CopySourceIfNoneMatch: etag },
      { CopySourceIfUnmodifiedSince: past },
      { CopySourceIfModifiedSince: future },
    ];
    for (const cond of failing) {
      await expect(s3.send(new CopyObjectCommand({ Bucket: B, Key: "conditional", CopySource: `${B}/source`, ...cond }))).rejects.toMatchObject({
        name: "PreconditionFailed",
        $metadata: { httpStatusCode: 412 },
      });
    }
    await expect(s3.send(new HeadObjectCommand({ Bucket: B, Key: "conditional" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    await s3.send(
      new CopyObjectCommand({ Bucket: B, Key: "conditional", CopySource: `${B}/source`, CopySourceIfMatch: etag, CopySourceIfModifiedSince: past }),
    );
    expect(Buffer.compare((await bytes(B, "conditional")).body, body)).toBe(0);
  });

  it("a missing source is NoSuchKey / NoSuchBucket", async () => {
    await expect(s3.send(new CopyObjectCommand({ Bucket: B, Key: "x", CopySource: `${B}/missing` }))).rejects.toMatchObject({
      name: "NoSuchKey",
      $metadata: { httpStatusCode: 404 },
    });
    await expect(s3.send(new CopyObjectCommand({ Bucket: B, Key: "x", CopySource: "no-such-bucket-here/k" }))).rejects.toMatchObject({
      name: "NoSuchBucket",
      $metadata: { httpStatusCode: 404 },
    });
  });

  it("across buckets in a zone shares the bytes: deleting the source keeps the copy, deleting both frees them", async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "shared", Body: body }));
    const blob = (await blobsOf(B, "shared"))[0];
    await s3.send(new CopyObjectCommand({ Bucket: B2, Key: "shared-copy", CopySource: `${B}/shared` }));
    expect(await blobsOf(B2, "shared-copy")).toEqual([blob]);
    await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "shared" }));
    await runCron(h);
    expect(await r2Keys(h.mf)).toContain(blob);
    expect(Buffer.compare((await bytes(B2, "shared-copy")).body, body)).toBe(0);
    await s3.send(new DeleteObjectCommand({ Bucket: B2, Key: "shared-copy" }));
    await runCron(h);
    expect(await r2Keys(h.mf)).not.toContain(blob);
    await expectNoLeaks();
  });

  it("across zones rewrites the bytes into the destination zone", async () => {
    await s3.send(new CopyObjectCommand({ Bucket: FRA, Key: "far-copy", CopySource: `${B}/source` }));
    const [blob] = await blobsOf(FRA, "far-copy");
    expect(await r2Keys(h.mf, "R2_DE_FRA_1")).toContain(blob);
    expect(await r2Keys(h.mf, "R2_CH_GVA_2")).not.toContain(blob);
    const { body: got, r } = await bytes(FRA, "far-copy");
    expect(Buffer.compare(got, body)).toBe(0);
    expect(r.ETag).toBe(`"${md5Hex(body)}"`);
    expect(r.Metadata).toEqual({ color: "red" });
  });

  it("from a source version", async () => {
    const VB = "copy-versions";
    await s3.send(new CreateBucketCommand({ Bucket: VB }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: VB, VersioningConfiguration: { Status: "Enabled" } }));
    const v1 = await s3.send(new PutObjectCommand({ Bucket: VB, Key: "doc", Body: "version one" }));
    await s3.send(new PutObjectCommand({ Bucket: VB, Key: "doc", Body: "version two" }));
    const r = await s3.send(new CopyObjectCommand({ Bucket: B, Key: "from-v1", CopySource: `${VB}/doc?versionId=${v1.VersionId}` }));
    expect(r.CopySourceVersionId).toBe(v1.VersionId);
    expect((await bytes(B, "from-v1")).body.toString()).toBe("version one");
    const latest = await s3.send(new CopyObjectCommand({ Bucket: B, Key: "from-latest", CopySource: `${VB}/doc` }));
    expect(latest.CopySourceVersionId).not.toBe(v1.VersionId);
    expect((await bytes(B, "from-latest")).body.toString()).toBe("version two");
    await expect(s3.send(new CopyObjectCommand({ Bucket: B, Key: "x", CopySource: `${VB}/doc?versionId=nonexistentversion` }))).rejects.toMatchObject({
      name: "NoSuchVersion",
      $metadata: { httpStatusCode: 404 },
    });
  });
});

describe("copies of multipart objects", () => {
  const parts = [randomBytes(5 * MiB), randomBytes(1024)];
  const whole = Buffer.concat(parts);

  beforeAll(async () => {
    await multipartObject(B, "mp-source", parts);
  });

  it("share the source's parts, keep its md5-of-md5s-N ETag and serve partNumber reads", async () => {
    const sourceBlobs = await blobsOf(B, "mp-source");
    expect(sourceBlobs).toHaveLength(2);
    const before = await r2Keys(h.mf);
    const r = await s3.send(new CopyObjectCommand({ Bucket: B2, Key: "mp-copy", CopySource: `${B}/mp-source` }));
    expect(r.CopyObjectResult?.ETag).toBe(multipartEtag(parts));
    expect((await r2Keys(h.mf)).sort()).toEqual(before.sort());
    expect(await blobsOf(B2, "mp-copy")).toEqual(sourceBlobs);
    const { body, r: g } = await bytes(B2, "mp-copy");
    expect(Buffer.compare(body, whole)).toBe(0);
    expect(g.ContentType).toBe("application/x-mp");
    const p2 = await bytes(B2, "mp-copy", { PartNumber: 2 });
    expect(p2.r.PartsCount).toBe(2);
    expect(Buffer.compare(p2.body, parts[1])).toBe(0);
  });

  it("stay readable when the source is deleted; deleting every copy frees the parts", async () => {
    await s3.send(new CopyObjectCommand({ Bucket: B, Key: "mp-copy-2", CopySource: `${B}/mp-source` }));
    const partBlobs = await blobsOf(B, "mp-source");
    await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "mp-source" }));
    await runCron(h);
    const stored = new Set(await r2Keys(h.mf));
    for (const b of partBlobs) expect(stored.has(b)).toBe(true);
    expect(Buffer.compare((await bytes(B2, "mp-copy")).body, whole)).toBe(0);
    expect(Buffer.compare((await bytes(B, "mp-copy-2")).body, whole)).toBe(0);
    await s3.send(new DeleteObjectCommand({ Bucket: B2, Key: "mp-copy" }));
    await runCron(h);
    expect(Buffer.compare((await bytes(B, "mp-copy-2")).body, whole)).toBe(0);
    await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "mp-copy-2" }));
    await runCron(h);
    const after = new Set(await r2Keys(h.mf));
    for (const b of partBlobs) expect(after.has(b)).toBe(false);
    await expectNoLeaks();
  });

  it("across zones stream every part into one blob of the destination zone", async () => {
    await multipartObject(B, "mp-far-source", parts);
    const r = await s3.send(new CopyObjectCommand({ Bucket: FRA, Key: "mp-far", CopySource: `${B}/mp-far-source` }));
    expect(r.CopyObjectResult?.ETag).toBe(`"${md5Hex(whole)}"`);
    expect(await blobsOf(FRA, "mp-far")).toHaveLength(1);
    expect(Buffer.compare((await bytes(FRA, "mp-far")).body, whole)).toBe(0);
  });
});

describe("UploadPartCopy", () => {
  it("copies a whole object and a range across a multipart source's part boundary, byte for byte", async () => {
    const first = randomBytes(5 * MiB);
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "upc-single", Body: first }));
    const mpParts = [randomBytes(5 * MiB), randomBytes(3 * MiB)];
    await multipartObject(B, "upc-mp", mpParts);
    const mpWhole = Buffer.concat(mpParts);

    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: B2, Key: "assembled" }));
    const p1 = await s3.send(new UploadPartCopyCommand({ Bucket: B2, Key: "assembled", UploadId, PartNumber: 1, CopySource: `${B}/upc-single` }));
    expect(p1.CopyPartResult?.ETag).toBe(`"${md5Hex(first)}"`);
    const start = 5 * MiB - 1000;
    const end = 5 * MiB + 999;
    const p2 = await s3.send(
      new UploadPartCopyCommand({ Bucket: B2, Key: "assembled", UploadId, PartNumber: 2, CopySource: `${B}/upc-mp`, CopySourceRange: `bytes=${start}-${end}` }),
    );
    const slice = mpWhole.subarray(start, end + 1);
    expect(p2.CopyPartResult?.ETag).toBe(`"${md5Hex(slice)}"`);

    await expect(
      s3.send(
        new UploadPartCopyCommand({ Bucket: B2, Key: "assembled", UploadId, PartNumber: 3, CopySource: `${B}/upc-mp`, CopySourceRange: `bytes=0-${8 * MiB}` }),
      ),
    ).rejects.toMatchObject({ name: "InvalidRange" });
    await expect(
      s3.send(
        new UploadPartCopyCommand({
          Bucket: B2,
          Key: "assembled",
          UploadId,
          PartNumber: 3,
          CopySource: `${B}/upc-mp`,
          CopySourceIfMatch: '"0123456789abcdef0123456789abcdef"',
        }),
      ),
    ).rejects.toMatchObject({ name: "PreconditionFailed", $metadata: { httpStatusCode: 412 } });

    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: B2,
        Key: "assembled",
        UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: p1.CopyPartResult!.ETag },
            { PartNumber: 2, ETag: p2.CopyPartResult!.ETag },
          ],
        },
      }),
    );
    expect(done.ETag).toBe(multipartEtag([first, slice]));
    const { body } = await bytes(B2, "assembled");
    expect(Buffer.compare(body, Buffer.concat([first, slice]))).toBe(0);

    // The whole-object part shares the source's blob: deleting the source must not take the bytes.
    await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "upc-single" }));
    await runCron(h);
    expect(Buffer.compare((await bytes(B2, "assembled")).body, Buffer.concat([first, slice]))).toBe(0);
    await expectNoLeaks();
  });
});
