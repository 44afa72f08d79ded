/**
 * How long bytes live after the row that named them is gone (issue: a GET in flight was cut off by
 * an overwrite). Superseded and deleted bytes outlive their rows by SOS_BLOB_DELETION_GRACE_SECONDS,
 * and only the cron sweep deletes them once that has passed, so that a read that started before the
 * write finishes with the bytes it started with, as in S3.
 */
import { randomBytes } from "node:crypto";
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { AwsClient } from "aws4fetch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { r2Keys, ROOT, runCron, startWorker, type Harness } from "./harness";
import { withoutExpectContinue } from "./no-expect-continue";

const MiB = 1024 * 1024;
const B = "lifetime";
let h: Harness;
let s3: S3Client;
const signer = new AwsClient({ ...ROOT, service: "s3", region: "us-east-1", retries: 0 });

beforeAll(async () => {
  h = await startWorker({ SOS_BLOB_DELETION_GRACE_SECONDS: "3600" });
  s3 = withoutExpectContinue(h.client());
  await s3.send(new CreateBucketCommand({ Bucket: B }));
});
afterAll(() => h?.dispose());

/** A multipart object of `count` 5 MiB parts (large enough that a paused reader holds back the stream); returns its bytes. */
async function multipartObject(key: string, count: number): Promise<Buffer> {
  const parts = Array.from({ length: count }, () => randomBytes(5 * MiB));
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: key }));
  const done = [];
  for (const [i, Body] of parts.entries()) {
    const { ETag } = await s3.send(new UploadPartCommand({ Bucket: B, Key: key, UploadId, PartNumber: i + 1, Body }));
    done.push({ ETag, PartNumber: i + 1 });
  }
  await s3.send(new CompleteMultipartUploadCommand({ Bucket: B, Key: key, UploadId, MultipartUpload: { Parts: done } }));
  return Buffer.concat(parts);
}

describe("blob lifetime", () => {
  it("a GET streaming a multipart object finishes with its bytes when the object is overwritten meanwhile", async () => {
    const original = await multipartObject("streamed", 6);
    const res = await signer.fetch(`${h.url}/${B}/streamed`);
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const chunks: Uint8Array[] = [];
    let received = 0;
    while (received < MiB) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.byteLength;
    }
    // The overwrite commits and answers while the GET is still inside part 1; its deferred work runs after.
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "streamed", Body: "replaced" }));
    await new Promise((r) => setTimeout(r, 300));
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
    const body = Buffer.concat(chunks);
    expect(body.length).toBe(original.length);
    expect(body.equals(original)).toBe(true);
  });

  it("keeps superseded bytes through the grace period, then the cron sweep deletes them", async () => {
    await multipartObject("aged", 2);
    const before = await r2Keys(h.mf);
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "aged", Body: "new bytes" }));
    const afterOverwrite = await r2Keys(h.mf);
    const added = afterOverwrite.filter((k) => !before.includes(k));
    expect(added).toHaveLength(1); // the new version's blob
    for (const k of before) expect(afterOverwrite).toContain(k); // the two old parts are still there

    await runCron(h, new Date(Date.now() + 30 * 60 * 1000)); // within the hour: nothing goes
    expect(await r2Keys(h.mf)).toEqual(afterOverwrite);

    await runCron(h, new Date(Date.now() + 2 * 3600 * 1000)); // past it: every superseded blob goes
    const left = await r2Keys(h.mf);
    expect(left).toContain(added[0]);
    // Everything that is left is named by a live row: the two current objects, one blob each.
    expect(left).toHaveLength(2);
  });
});

describe("SOS_SWEEP_PAUSED", () => {
  it("stops the cron sweep from deleting anything", async () => {
    const paused = await startWorker({ SOS_BLOB_DELETION_GRACE_SECONDS: "1", SOS_SWEEP_PAUSED: "true" });
    try {
      const c = withoutExpectContinue(paused.client());
      await c.send(new CreateBucketCommand({ Bucket: B }));
      await c.send(new PutObjectCommand({ Bucket: B, Key: "k", Body: "one" }));
      await c.send(new PutObjectCommand({ Bucket: B, Key: "k", Body: "two" }));
      const keys = await r2Keys(paused.mf);
      expect(keys).toHaveLength(2); // the superseded blob waits for the sweep
      await runCron(paused, new Date(Date.now() + 3600_000));
      expect(await r2Keys(paused.mf)).toEqual(keys);
    } finally {
      await paused.dispose();
    }
  });
});
