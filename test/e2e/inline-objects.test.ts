/**
 * Small objects inline in D1 (issue 16), end to end through @aws-sdk/client-s3 against workerd with
 * real local D1 and R2: objects of at most SOS_INLINE_MAX_BYTES keep their bytes in their D1 row
 * (objects.inline_body) and never reach R2, and every feature treats them as it treats blob-backed
 * objects: versions and delete markers, copies, part copies, conditionals and ranges, checksums,
 * usage, listings, lifecycle expiration, the sweeps, GetObjectAttributes. SSE-C objects never inline.
 */
import crypto from "node:crypto";
import { Readable } from "node:stream";
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketReplicationCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  UploadPartCopyCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { AwsClient } from "aws4fetch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { r2Keys, ROOT, runCron, settleJobs, startWorker, streamToBuffer, type Harness } from "./harness";

const LIMIT = 2048;
let h: Harness;
let s3: S3Client;

beforeAll(async () => {
  h = await startWorker({ SOS_INLINE_MAX_BYTES: String(LIMIT), SOS_REQUIRE_HTTPS_FOR_SSEC: "false" });
  s3 = h.client();
});
afterAll(() => h?.dispose());

/** Random bytes, so that a copy of them anywhere in R2 can be recognised. */
const bytes = (n: number) => crypto.randomBytes(n);
const md5hex = (b: Buffer) => crypto.createHash("md5").update(b).digest("hex");

/** How the row of the key's latest version (or a given version) stores its bytes, read from D1 directly. */
async function storage(bucket: string, key: string, versionId?: string): Promise<"inline" | "blob" | "parts"> {
  const db = await h.mf.getD1Database("DB");
  const row = await db
    .prepare(
      `SELECT o.inline_body IS NOT NULL AS inline, o.blob_key IS NOT NULL AS blob FROM objects o JOIN buckets b ON b.id = o.bucket_id
       WHERE b.name = ? AND o.key = ? AND (o.version_id = ? OR (? IS NULL AND o.is_latest = 1))`,
    )
    .bind(bucket, key, versionId ?? null, versionId ?? null)
    .first<{ inline: number; blob: number }>();
  if (!row) throw new Error(`no row for ${bucket}/${key}`);
  return row.inline ? "inline" : row.blob ? "blob" : "parts";
}

/** Fails if any R2 object in the zone holds `needle` (an inline object's bytes). */
async function expectNotInR2(...needles: Buffer[]): Promise<void> {
  const r2 = await h.mf.getR2Bucket("R2_CH_GVA_2");
  for (const key of await r2Keys(h.mf)) {
    const obj = await r2.get(key);
    const stored = Buffer.from(await obj!.arrayBuffer());
    for (const needle of needles) expect(stored.includes(needle), `R2 blob ${key} holds an inline object's bytes`).toBe(false);
  }
}

const get = async (Bucket: string, Key: string, extra: Record<string, unknown> = {}) => {
  const r = await s3.send(new GetObjectCommand({ Bucket, Key, ...extra }));
  return { r, body: await streamToBuffer(r.Body) };
};

describe("inline objects", () => {
  it("inlines bodies up to the limit (limit - 1 and limit bytes) and stores limit + 1 in R2; all read back exactly", async () => {
    const B = "inline-boundary";
    await s3.send(new CreateBucketCommand({ Bucket: B }));
    const before = (await r2Keys(h.mf)).length;
    const bodies = { below: bytes(LIMIT - 1), at: bytes(LIMIT), above: bytes(LIMIT + 1), empty: Buffer.alloc(0) };
    for (const [Key, Body] of Object.entries(bodies)) {
      const put = await s3.send(new PutObjectCommand({ Bucket: B, Key, Body }));
      expect(put.ETag).toBe(`"${md5hex(Body)}"`);
    }
    expect(await storage(B, "below")).toBe("inline");
    expect(await storage(B, "at")).toBe("inline");
    expect(await storage(B, "empty")).toBe("inline");
    expect(await storage(B, "above")).toBe("blob");
    expect((await r2Keys(h.mf)).length).toBe(before + 1);
    for (const [Key, Body] of Object.entries(bodies)) {
      const { r, body } = await get(B, Key);
      expect(body.equals(Body), Key).toBe(true);
      expect(r.ContentLength).toBe(Body.length);
      expect(r.ETag).toBe(`"${md5hex(Body)}"`);
    }
    await expectNotInR2(bodies.below, bodies.at);
  });

  it("keeps the bytes as base64 text in the row; a row written as a BLOB (the format before) reads back the same", async () => {
    const B = "inline-format";
    await s3.send(new CreateBucketCommand({ Bucket: B }));
    const body = bytes(LIMIT);
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "k", Body: body }));
    const db = await h.mf.getD1Database("DB");
    const where = "bucket_id = (SELECT id FROM buckets WHERE name = ?) AND key = ?";
    const row = await db
      .prepare(`SELECT typeof(inline_body) AS type, inline_body AS text FROM objects WHERE ${where}`)
      .bind(B, "k")
      .first<{ type: string; text: string }>();
    expect(row).toEqual({ type: "text", text: body.toString("base64") });
    await db
      .prepare(`UPDATE objects SET inline_body = X'${body.toString("hex")}' WHERE ${where}`)
      .bind(B, "k")
      .run();
    const type = await db.prepare(`SELECT typeof(inline_body) AS type FROM objects WHERE ${where}`).bind(B, "k").first<{ type: string }>();
    expect(type?.type).toBe("blob");
    const { r, body: got } = await get(B, "k");
    expect(got.equals(body)).toBe(true);
    expect(r.ETag).toBe(`"${md5hex(body)}"`);
  });

  it("verifies what R2 would verify: a wrong Content-MD5 or signed SHA-256 stores nothing; an aws-chunked body with a trailer checksum is inlined", async () => {
    const B = "inline-integrity";
    await s3.send(new CreateBucketCommand({ Bucket: B }));
    const body = bytes(100);
    const wrongMd5 = crypto.createHash("md5").update("something else").digest("base64");
    await expect(s3.send(new PutObjectCommand({ Bucket: B, Key: "bad", Body: body, ContentMD5: wrongMd5 }))).rejects.toMatchObject({
      name: "BadDigest",
      $metadata: { httpStatusCode: 400 },
    });
    await expect(s3.send(new HeadObjectCommand({ Bucket: B, Key: "bad" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    // A signed x-amz-content-sha256 that does not match the body (the SDK always sends the right one).
    const signer = new AwsClient({ ...ROOT, service: "s3", region: "us-east-1", retries: 0 });
    const wrongSha = crypto.createHash("sha256").update("something else").digest("hex");
    const res = await signer.fetch(`${h.url}/${B}/bad-sha`, { method: "PUT", body: body, headers: { "x-amz-content-sha256": wrongSha } });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("<Code>XAmzContentSHA256Mismatch</Code>");
    await expect(s3.send(new HeadObjectCommand({ Bucket: B, Key: "bad-sha" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    // A stream body: the SDK sends aws-chunked with x-amz-decoded-content-length and a CRC32 trailer.
    const streamed = bytes(700);
    const put = await s3.send(
      new PutObjectCommand({ Bucket: B, Key: "chunked", Body: Readable.from([streamed.subarray(0, 300), streamed.subarray(300)]), ContentLength: 700 }),
    );
    expect(put.ChecksumCRC32).toBeTruthy();
    expect(await storage(B, "chunked")).toBe("inline");
    const { r, body: got } = await get(B, "chunked", { ChecksumMode: "ENABLED" });
    expect(got.equals(streamed)).toBe(true);
    expect(r.ChecksumCRC32).toBe(put.ChecksumCRC32);
  });

  it("keeps and returns stored checksums, answers conditionals and ranges, and GetObjectAttributes, as for any object", async () => {
    const B = "inline-reads";
    await s3.send(new CreateBucketCommand({ Bucket: B }));
    const body = bytes(1000);
    const put = await s3.send(new PutObjectCommand({ Bucket: B, Key: "k", Body: body, ChecksumAlgorithm: "SHA256", ContentType: "application/x-test" }));
    expect(put.ChecksumSHA256).toBe(crypto.createHash("sha256").update(body).digest("base64"));
    expect(await storage(B, "k")).toBe("inline");

    const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: "k", ChecksumMode: "ENABLED" }));
    expect(head).toMatchObject({ ContentLength: 1000, ContentType: "application/x-test", ETag: put.ETag, ChecksumSHA256: put.ChecksumSHA256 });

    const ranged = await get(B, "k", { Range: "bytes=10-19" });
    expect(ranged.r.$metadata.httpStatusCode).toBe(206);
    expect(ranged.r.ContentRange).toBe("bytes 10-19/1000");
    expect(ranged.body.equals(body.subarray(10, 20))).toBe(true);
    const suffix = await get(B, "k", { Range: "bytes=-5" });
    expect(suffix.body.equals(body.subarray(995))).toBe(true);
    await expect(s3.send(new GetObjectCommand({ Bucket: B, Key: "k", Range: "bytes=5000-" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 416 } });

    await expect(s3.send(new GetObjectCommand({ Bucket: B, Key: "k", IfNoneMatch: put.ETag }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 304 } });
    await expect(s3.send(new GetObjectCommand({ Bucket: B, Key: "k", IfMatch: '"0000"' }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 412 } });
    expect((await get(B, "k", { IfMatch: put.ETag })).body.equals(body)).toBe(true);
    // Conditional writes re-check the inline row like any other.
    await expect(s3.send(new PutObjectCommand({ Bucket: B, Key: "k", Body: "x", IfNoneMatch: "*" }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 412 },
    });

    const attrs = await s3.send(new GetObjectAttributesCommand({ Bucket: B, Key: "k", ObjectAttributes: ["ETag", "ObjectSize", "Checksum", "ObjectParts"] }));
    expect(attrs).toMatchObject({ ETag: md5hex(body), ObjectSize: 1000, Checksum: { ChecksumSHA256: put.ChecksumSHA256 } });
    expect(attrs.ObjectParts).toBeUndefined();
    await expectNotInR2(body);
  });

  it("versions and delete markers: each inline version reads back by id; deleting one keeps the others", async () => {
    const B = "inline-versions";
    await s3.send(new CreateBucketCommand({ Bucket: B }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: B, VersioningConfiguration: { Status: "Enabled" } }));
    const v1 = bytes(300);
    const v2 = bytes(LIMIT + 10); // a blob-backed version between two inline ones
    const v3 = bytes(400);
    const ids = [];
    for (const Body of [v1, v2, v3]) ids.push((await s3.send(new PutObjectCommand({ Bucket: B, Key: "k", Body }))).VersionId!);
    expect([await storage(B, "k", ids[0]), await storage(B, "k", ids[1]), await storage(B, "k", ids[2])]).toEqual(["inline", "blob", "inline"]);
    const marker = await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "k" }));
    expect(marker.DeleteMarker).toBe(true);
    await expect(s3.send(new GetObjectCommand({ Bucket: B, Key: "k" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    for (const [i, Body] of [v1, v2, v3].entries()) expect((await get(B, "k", { VersionId: ids[i] })).body.equals(Body)).toBe(true);

    await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "k", VersionId: ids[2] }));
    await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "k", VersionId: marker.VersionId }));
    expect((await get(B, "k")).body.equals(v2)).toBe(true);
    const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: B }));
    expect(listed.Versions?.map((v) => [v.VersionId, v.Size])).toEqual([
      [ids[1], v2.length],
      [ids[0], v1.length],
    ]);
    await expectNotInR2(v1, v3);
  });

  it("CopyObject: inline to inline in the row, inline to SSE-C in R2, and a small blob source stays a shared blob", async () => {
    const B = "inline-copy";
    await s3.send(new CreateBucketCommand({ Bucket: B }));
    const small = bytes(500);
    const put = await s3.send(new PutObjectCommand({ Bucket: B, Key: "src", Body: small, ChecksumAlgorithm: "CRC32" }));
    const blobsBefore = (await r2Keys(h.mf)).length;

    const copy = await s3.send(new CopyObjectCommand({ Bucket: B, Key: "dst", CopySource: `${B}/src` }));
    expect(copy.CopyObjectResult?.ETag).toBe(put.ETag);
    expect(copy.CopyObjectResult?.ChecksumCRC32).toBe(put.ChecksumCRC32);
    expect(await storage(B, "dst")).toBe("inline");
    expect((await r2Keys(h.mf)).length).toBe(blobsBefore);
    // The copy is its own row: deleting the source leaves it whole.
    await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "src" }));
    expect((await get(B, "dst")).body.equals(small)).toBe(true);
    await expectNotInR2(small);

    // An SSE-C copy is a blob (encrypted by R2 in production; local R2 stores it as given).
    const key = crypto.randomBytes(32);
    const sse = { SSECustomerAlgorithm: "AES256", SSECustomerKey: key.toString("base64") };
    await s3.send(new CopyObjectCommand({ Bucket: B, Key: "encrypted", CopySource: `${B}/dst`, ...sse }));
    expect(await storage(B, "encrypted")).toBe("blob");
    expect((await r2Keys(h.mf)).length).toBe(blobsBefore + 1);
    expect((await get(B, "encrypted", sse)).body.equals(small)).toBe(true);

    const large = bytes(LIMIT + 1);
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "blob-src", Body: large }));
    const blobs = (await r2Keys(h.mf)).length;
    await s3.send(new CopyObjectCommand({ Bucket: B, Key: "blob-dst", CopySource: `${B}/blob-src` }));
    expect(await storage(B, "blob-dst")).toBe("blob");
    expect((await r2Keys(h.mf)).length).toBe(blobs); // shared, not rewritten
    expect((await get(B, "blob-dst")).body.equals(large)).toBe(true);
  });

  it("SSE-C objects are never inlined, however small", async () => {
    const B = "inline-ssec";
    await s3.send(new CreateBucketCommand({ Bucket: B }));
    const key = crypto.randomBytes(32);
    const sse = { SSECustomerAlgorithm: "AES256", SSECustomerKey: key.toString("base64") };
    const before = (await r2Keys(h.mf)).length;
    const body = bytes(10);
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "k", Body: body, ...sse }));
    expect(await storage(B, "k")).toBe("blob");
    expect((await r2Keys(h.mf)).length).toBe(before + 1);
    expect((await get(B, "k", sse)).body.equals(body)).toBe(true);
  });

  it("UploadPartCopy from an inline source (whole and ranged) completes to the right bytes", async () => {
    const B = "inline-partcopy";
    await s3.send(new CreateBucketCommand({ Bucket: B }));
    const src = bytes(1500);
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "src", Body: src }));
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: "mp" }));
    // Part 1 must be at least 5 MiB unless it is the last: one ranged part then is the whole upload.
    const part = await s3.send(
      new UploadPartCopyCommand({ Bucket: B, Key: "mp", UploadId, PartNumber: 1, CopySource: `${B}/src`, CopySourceRange: "bytes=100-1099" }),
    );
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: B,
        Key: "mp",
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.CopyPartResult!.ETag }] },
      }),
    );
    expect(await storage(B, "mp")).toBe("parts");
    expect((await get(B, "mp")).body.equals(src.subarray(100, 1100))).toBe(true);
    const whole = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: "mp2" }));
    const p = await s3.send(new UploadPartCopyCommand({ Bucket: B, Key: "mp2", UploadId: whole.UploadId, PartNumber: 1, CopySource: `${B}/src` }));
    expect(p.CopyPartResult?.ETag).toBe(`"${md5hex(src)}"`);
  });

  it("listings, usage and the cron sweeps treat inline objects like any other; lifecycle expires them", async () => {
    const B = "inline-listing";
    await s3.send(new CreateBucketCommand({ Bucket: B }));
    const bodies = [bytes(10), bytes(LIMIT), bytes(LIMIT + 5)];
    for (const [i, Body] of bodies.entries()) await s3.send(new PutObjectCommand({ Bucket: B, Key: `tmp/${i}`, Body }));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: B }));
    expect(listed.Contents?.map((c) => [c.Key, c.Size, c.ETag])).toEqual(bodies.map((b, i) => [`tmp/${i}`, b.length, `"${md5hex(b)}"`]));
    const delimited = await s3.send(new ListObjectsV2Command({ Bucket: B, Delimiter: "/" }));
    expect(delimited.CommonPrefixes).toEqual([{ Prefix: "tmp/" }]);

    const usage = await h.admin("GET", `/_admin/usage?bucket=${B}`);
    expect(usage.json.buckets[0]).toMatchObject({ objectCount: 3, storedBytes: 10 + LIMIT + LIMIT + 5 });

    // The orphan sweep and the blob deletion queue run over a zone holding inline rows (no blob key).
    const blobs = (await r2Keys(h.mf)).length;
    await runCron(h);
    expect((await r2Keys(h.mf)).length).toBe(blobs);
    for (const [i, Body] of bodies.entries()) expect((await get(B, `tmp/${i}`)).body.equals(Body)).toBe(true);

    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: B,
        LifecycleConfiguration: { Rules: [{ ID: "tmp", Status: "Enabled", Filter: { Prefix: "tmp/" }, Expiration: { Days: 1 } }] },
      }),
    );
    await runCron(h, new Date(Date.now() + 3 * 86400_000));
    expect((await s3.send(new ListObjectsV2Command({ Bucket: B }))).KeyCount).toBe(0);
    expect((await r2Keys(h.mf)).length).toBe(blobs - 1); // only the blob-backed one had bytes in R2
    expect((await h.admin("GET", `/_admin/usage?bucket=${B}`)).json.buckets[0]).toMatchObject({ objectCount: 0, storedBytes: 0 });
  });
});

describe("bucket replication", () => {
  it("copies an inline object to a bucket in another zone with its bytes in the row, never through R2", async () => {
    for (const [Bucket, zone] of [
      ["inline-repl-src", undefined],
      ["inline-repl-dst", "de-fra-1"],
    ] as const) {
      await s3.send(new CreateBucketCommand({ Bucket, CreateBucketConfiguration: zone ? { LocationConstraint: zone as never } : undefined }));
      await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: "Enabled" } }));
    }
    await s3.send(
      new PutBucketReplicationCommand({
        Bucket: "inline-repl-src",
        ReplicationConfiguration: {
          Role: "arn:aws:iam::000000000000:role/sos-replication",
          Rules: [
            {
              ID: "all",
              Priority: 1,
              Status: "Enabled",
              Filter: {},
              Destination: { Bucket: "arn:aws:s3:::inline-repl-dst" },
              DeleteMarkerReplication: { Status: "Disabled" },
            },
          ],
        },
      }),
    );
    const Body = bytes(100);
    const put = await s3.send(new PutObjectCommand({ Bucket: "inline-repl-src", Key: "small", Body, Metadata: { kind: "inline" } }));
    await settleJobs(h);
    const copy = await s3.send(new GetObjectCommand({ Bucket: "inline-repl-dst", Key: "small" }));
    expect(Buffer.from(await copy.Body!.transformToByteArray()).equals(Body)).toBe(true);
    expect([copy.VersionId, copy.ReplicationStatus, copy.Metadata]).toEqual([put.VersionId, "REPLICA", { kind: "inline" }]);
    expect((await s3.send(new HeadObjectCommand({ Bucket: "inline-repl-src", Key: "small" }))).ReplicationStatus).toBe("COMPLETED");
    expect(await storage("inline-repl-dst", "small")).toBe("inline");
    await expectNotInR2(Body);
  });
});
