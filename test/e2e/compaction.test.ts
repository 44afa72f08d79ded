/**
 * Manifest compaction end to end (issue 11), through @aws-sdk/client-s3 against workerd with real
 * local D1 and R2. The Worker runs with the Free plan's budget of 50 subrequests per invocation and
 * the minimum part size lowered (test configuration), so a 200-part object is a manifest no single
 * GET can read: its Range reads work, its whole GET answers the clear 503, and after the cron job
 * compacts it (R2 multipart, 5 MiB internal parts, a few per run) it reads back byte for byte with
 * its ETag and checksum unchanged. A manifest overwritten during its compaction keeps the new
 * version; a copy of a manifest is compacted on its own.
 */
import { randomBytes } from "node:crypto";
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { Agent } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { r2Keys, ROOT, runCron, startWorker, streamToBuffer, type Harness } from "./harness";
import { withoutExpectContinue } from "./no-expect-continue";

const BUDGET = 50;
const INTERNAL_PART = 5 * 1024 ** 2;

let h: Harness;
let s3: S3Client;
beforeAll(async () => {
  h = await startWorker({
    SOS_SUBREQUEST_BUDGET: String(BUDGET),
    SOS_MIN_PART_BYTES: "1024",
    SOS_COMPACTION_PART_BYTES: String(INTERNAL_PART),
    SOS_REQUIRE_HTTPS_FOR_SSEC: "false",
  });
  // No keep-alive: workerd drops idle connections after about 5 s, and cron runs sit between requests.
  s3 = new S3Client({
    endpoint: h.url,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: ROOT,
    maxAttempts: 1,
    requestHandler: { httpAgent: new Agent({ keepAlive: false }) },
  });
});
afterAll(async () => {
  s3?.destroy();
  await h?.dispose();
});

type Upload = { body: Buffer; etag: string; checksum?: string };

/** A multipart upload of `count` random parts of `size` bytes (8 in flight), completed. */
async function uploadParts(Bucket: string, Key: string, count: number, size: number, extra: Record<string, string> = {}): Promise<Upload> {
  const body = randomBytes(count * size);
  const { UploadId } = await s3.send(
    new CreateMultipartUploadCommand({ Bucket, Key, ChecksumAlgorithm: extra.SSECustomerKey ? undefined : "CRC32", ...extra }),
  );
  const parts: { PartNumber: number; ETag?: string; ChecksumCRC32?: string }[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const r = await s3.send(
        new UploadPartCommand({
          Bucket,
          Key,
          UploadId,
          PartNumber: i + 1,
          Body: body.subarray(i * size, (i + 1) * size),
          ChecksumAlgorithm: extra.SSECustomerKey ? undefined : "CRC32",
          ...extra,
        }),
      );
      parts[i] = { PartNumber: i + 1, ETag: r.ETag, ChecksumCRC32: r.ChecksumCRC32 };
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts }, ...extra }));
  return { body, etag: done.ETag!, checksum: done.ChecksumCRC32 };
}

async function getBytes(Bucket: string, Key: string, opts: { Range?: string; PartNumber?: number } = {}): Promise<Buffer> {
  const r = await s3.send(new GetObjectCommand({ Bucket, Key, ...opts }));
  return streamToBuffer(r.Body);
}

async function d1<T>(sql: string, ...params: unknown[]): Promise<T[]> {
  const db = await h.mf.getD1Database("DB");
  return (
    await db
      .prepare(sql)
      .bind(...params)
      .all<T>()
  ).results;
}

/** Runs the cron job until no compaction is queued; returns how many runs it took. */
async function cronUntilCompacted(maxRuns: number): Promise<number> {
  for (let run = 1; run <= maxRuns; run++) {
    await runCron(h);
    const [{ n }] = await d1<{ n: number }>("SELECT COUNT(*) AS n FROM compactions WHERE failed IS NULL");
    if (n === 0) return run;
  }
  throw new Error(`compaction not done after ${maxRuns} cron runs`);
}

/** R2 keys of a bucket, once the deletions queued after the last cron run have gone. */
async function bucketBlobs(bucket: string, expected: number): Promise<string[]> {
  const [{ id }] = await d1<{ id: string }>("SELECT id FROM buckets WHERE name = ?", bucket);
  let keys: string[] = [];
  for (let i = 0; i < 50; i++) {
    keys = (await r2Keys(h.mf)).filter((k) => k.startsWith(`${id}/`));
    if (keys.length <= expected) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return keys;
}

/**
 * The 200 parts are UploadPartCopy ranges of one source object (one PUT of the whole body, then
 * server-side copies): the same manifest of 200 distinct part blobs as 200 client uploads, at a
 * fraction of the test's time.
 */
async function copyParts(Bucket: string, Key: string, count: number, size: number): Promise<Upload> {
  const body = randomBytes(count * size);
  await withoutExpectContinue(s3).send(new PutObjectCommand({ Bucket, Key: `${Key}.source`, Body: body }));
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
  const parts: { PartNumber: number; ETag?: string }[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const r = await s3.send(
        new UploadPartCopyCommand({
          Bucket,
          Key,
          UploadId,
          PartNumber: i + 1,
          CopySource: `${Bucket}/${Key}.source`,
          CopySourceRange: `bytes=${i * size}-${(i + 1) * size - 1}`,
        }),
      );
      parts[i] = { PartNumber: i + 1, ETag: r.CopyPartResult?.ETag };
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }));
  await s3.send(new DeleteObjectCommand({ Bucket, Key: `${Key}.source` }));
  return { body, etag: done.ETag! };
}

describe("a manifest with far more parts than the subrequest budget", () => {
  const PARTS = 200; // four times the budget: no GET can open them all
  // At a budget of 50, one cron run reads at most about 30 parts: a 5 MiB internal part must span no more.
  const PART = 176 * 1024;
  let big: Upload;

  it("serves Range and partNumber reads before compaction, answers a whole GET with a clear 503, and reads back byte for byte after", {
    timeout: 300_000,
  }, async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "compact-big" }));
    big = await copyParts("compact-big", "big.bin", PARTS, PART);
    expect(big.etag).toMatch(new RegExp(`-${PARTS}"$`));
    // The commit queued its compaction.
    expect(await d1("SELECT object_id FROM compactions")).toHaveLength(1);

    // A Range read across three parts and a partNumber read each open only the parts they touch.
    const start = 7 * PART + 1234;
    const range = await getBytes("compact-big", "big.bin", { Range: `bytes=${start}-${start + 2 * PART}` });
    expect(range.equals(big.body.subarray(start, start + 2 * PART + 1))).toBe(true);
    expect((await getBytes("compact-big", "big.bin", { PartNumber: 150 })).equals(big.body.subarray(149 * PART, 150 * PART))).toBe(true);
    // HEAD reads no part.
    expect((await s3.send(new HeadObjectCommand({ Bucket: "compact-big", Key: "big.bin" }))).ContentLength).toBe(PARTS * PART);

    // The whole object needs 200 part reads: refused before any byte, with the reason and Retry-After.
    const refused = await s3.send(new GetObjectCommand({ Bucket: "compact-big", Key: "big.bin" })).catch((e) => e);
    expect(refused).toMatchObject({ name: "ServiceUnavailable", $metadata: { httpStatusCode: 503 } });
    expect(refused.message).toMatch(new RegExp(`being compacted.*${PARTS} parts.*budget \\(${BUDGET}\\)`));
    expect(refused.$response?.headers?.["retry-after"]).toMatch(/^\d+$/);

    expect(await bucketBlobs("compact-big", PARTS)).toHaveLength(PARTS);
    // 34 MiB in 5 MiB internal parts, about one per cron run under a 50-subrequest budget.
    const runs = await cronUntilCompacted(40);
    expect(runs).toBeGreaterThan(1); // resumed across runs, not done in one

    const whole = await s3.send(new GetObjectCommand({ Bucket: "compact-big", Key: "big.bin" }));
    expect(whole.ETag).toBe(big.etag);
    expect((await streamToBuffer(whole.Body)).equals(big.body)).toBe(true);
    // partNumber reads still see the original parts, now ranges of one blob.
    const part = await s3.send(new GetObjectCommand({ Bucket: "compact-big", Key: "big.bin", PartNumber: 137 }));
    expect(part.PartsCount).toBe(PARTS);
    expect((await streamToBuffer(part.Body)).equals(big.body.subarray(136 * PART, 137 * PART))).toBe(true);

    // The part blobs went through the deletion queue: the one blob the row names is left.
    const [row] = await d1<{ blob_key: string | null; part_count: number }>("SELECT blob_key, part_count FROM objects WHERE key = 'big.bin'");
    expect(row.part_count).toBe(PARTS);
    expect(await bucketBlobs("compact-big", 1)).toEqual([row.blob_key]);
  });
});

describe("compaction meets other writes", () => {
  const PARTS = 60;
  const PART = 200 * 1024; // about 11.7 MiB: three internal parts

  it("an overwrite during compaction keeps the new version and drops the compaction; a copy of the manifest is compacted on its own", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "compact-race" }));
    const original = await uploadParts("compact-race", "o.bin", PARTS, PART);
    await s3.send(new CopyObjectCommand({ Bucket: "compact-race", Key: "copy.bin", CopySource: "compact-race/o.bin" }));
    expect(await d1("SELECT object_id FROM compactions")).toHaveLength(2);

    // One run uploads the first internal part of o.bin (the oldest queued).
    await runCron(h);
    const [progress] = await d1<{ next_part: number; source_offset: number; key: string }>(
      "SELECT c.next_part, c.source_offset, o.key FROM compactions c JOIN objects o ON o.id = c.object_id ORDER BY c.enqueued_at LIMIT 1",
    );
    expect(progress).toMatchObject({ key: "o.bin", next_part: 2, source_offset: INTERNAL_PART });

    await s3.send(new PutObjectCommand({ Bucket: "compact-race", Key: "o.bin", Body: "the new version" }));
    await cronUntilCompacted(20);

    expect((await getBytes("compact-race", "o.bin")).toString()).toBe("the new version");
    const copy = await s3.send(new GetObjectCommand({ Bucket: "compact-race", Key: "copy.bin", ChecksumMode: "ENABLED" }));
    expect(copy.ETag).toBe(original.etag);
    expect(copy.ChecksumCRC32).toBe(original.checksum);
    expect((await streamToBuffer(copy.Body)).equals(original.body)).toBe(true);
    // Left in R2: the new version's blob and the copy's compacted blob; no part blob, no half compaction.
    const live = (await d1<{ blob_key: string }>("SELECT blob_key FROM objects WHERE key IN ('o.bin', 'copy.bin')")).map((r) => r.blob_key).sort();
    expect(await bucketBlobs("compact-race", 2)).toEqual(live);
  });

  it("a compaction whose R2 upload is gone (R2 aborts uploads left for 7 days) starts over and still completes", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "compact-lost" }));
    const up = await uploadParts("compact-lost", "l.bin", 45, 200 * 1024);
    await runCron(h);
    const [job] = await d1<{ blob_key: string; upload_id: string; next_part: number }>("SELECT blob_key, upload_id, next_part FROM compactions");
    expect(job.next_part).toBe(2);
    const r2 = await h.mf.getR2Bucket("R2_CH_GVA_2");
    await r2.resumeMultipartUpload(job.blob_key, job.upload_id).abort();

    await cronUntilCompacted(10);
    const [row] = await d1<{ blob_key: string }>("SELECT blob_key FROM objects WHERE key = 'l.bin'");
    expect(row.blob_key).not.toBe(job.blob_key); // a new upload, from the start
    expect((await getBytes("compact-lost", "l.bin")).equals(up.body)).toBe(true);
  });

  it("an SSE-C manifest past the budget answers a clear error for a whole GET and is never queued; its Range reads work", async () => {
    const key = randomBytes(32);
    const sse = {
      SSECustomerAlgorithm: "AES256",
      SSECustomerKey: key.toString("base64"),
    };
    await s3.send(new CreateBucketCommand({ Bucket: "compact-ssec" }));
    const up = await uploadParts("compact-ssec", "s.bin", 60, 2048, sse);
    expect(await d1("SELECT c.object_id FROM compactions c JOIN objects o ON o.id = c.object_id WHERE o.key = 's.bin'")).toHaveLength(0);
    const refused = await s3.send(new GetObjectCommand({ Bucket: "compact-ssec", Key: "s.bin", ...sse })).catch((e) => e);
    expect(refused).toMatchObject({ name: "InvalidRequest", $metadata: { httpStatusCode: 400 } });
    expect(refused.message).toMatch(/SSE-C.*cannot be compacted/);
    const r = await s3.send(new GetObjectCommand({ Bucket: "compact-ssec", Key: "s.bin", Range: "bytes=4000-9999", ...sse }));
    expect((await streamToBuffer(r.Body)).equals(up.body.subarray(4000, 10000))).toBe(true);
  });
});
