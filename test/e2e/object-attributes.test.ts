/**
 * GetObjectAttributes and full-object multipart checksums end to end through @aws-sdk/client-s3.
 * Full-object CRCs (x-amz-checksum-type: FULL_OBJECT) are combined from the part CRCs by the
 * server; the test compares them with the CRC the SDK's own packages compute over the whole body.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 */
import {
  ChecksumAlgorithm,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectAttributesCommand,
  HeadObjectCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { Crc32 } from "@aws-crypto/crc32";
import { Crc32c } from "@aws-crypto/crc32c";
import { Crc64Nvme } from "@aws-sdk/crc64-nvme";
import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type Harness } from "./harness";
import { withoutExpectContinue } from "./no-expect-continue";

let h: Harness;
let s3: S3Client;
const B = "attributes";
beforeAll(async () => {
  h = await startWorker();
  s3 = withoutExpectContinue(h.client());
  await s3.send(new CreateBucketCommand({ Bucket: B }));
});
afterAll(() => h?.dispose());

const MiB = 1024 * 1024;
const ALL = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"] as const;

async function wholeCrc(algo: "CRC32" | "CRC32C" | "CRC64NVME", data: Uint8Array): Promise<string> {
  if (algo === "CRC64NVME") {
    const c = new Crc64Nvme();
    c.update(data);
    return Buffer.from(await c.digest()).toString("base64");
  }
  const c = algo === "CRC32" ? new Crc32() : new Crc32c();
  c.update(data);
  const b = Buffer.alloc(4);
  b.writeUInt32BE(c.digest() >>> 0);
  return b.toString("base64");
}

const checksumField = { CRC32: "ChecksumCRC32", CRC32C: "ChecksumCRC32C", CRC64NVME: "ChecksumCRC64NVME" } as const;

/** A multipart upload of `sizes`-byte parts with `algo` and `type`; returns the body and the Complete answer. */
async function multipart(Key: string, algo: "CRC32" | "CRC32C" | "CRC64NVME", type: "FULL_OBJECT" | "COMPOSITE", sizes: number[], fullChecksum?: string) {
  const body = randomBytes(sizes.reduce((a, b) => a + b, 0));
  const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key, ChecksumAlgorithm: algo, ChecksumType: type }));
  expect([up.ChecksumAlgorithm, up.ChecksumType]).toEqual([algo, type]);
  const parts = [];
  let off = 0;
  for (const [i, size] of sizes.entries()) {
    const r = await s3.send(
      new UploadPartCommand({ Bucket: B, Key, UploadId: up.UploadId, PartNumber: i + 1, Body: body.subarray(off, off + size), ChecksumAlgorithm: algo }),
    );
    parts.push({ PartNumber: i + 1, ETag: r.ETag, [checksumField[algo]]: r[checksumField[algo]] });
    off += size;
  }
  const done = s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: B,
      Key,
      UploadId: up.UploadId,
      MultipartUpload: { Parts: parts },
      ChecksumType: type,
      ...(fullChecksum ? { [checksumField[algo]]: fullChecksum } : {}),
    }),
  );
  return { body, done, uploadId: up.UploadId!, parts };
}

describe("full-object checksums of multipart uploads", () => {
  for (const algo of ["CRC32", "CRC32C", "CRC64NVME"] as const) {
    it(`${algo}: the combined CRC equals the CRC of the whole body, on Complete, HEAD and GetObjectAttributes`, async () => {
      const { body, done } = await multipart(`full-${algo}`, algo, "FULL_OBJECT", [5 * MiB, 5 * MiB, 1234]);
      const expected = await wholeCrc(algo, body);
      const r = await done;
      expect([r[checksumField[algo]], r.ChecksumType]).toEqual([expected, "FULL_OBJECT"]);
      const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: `full-${algo}`, ChecksumMode: "ENABLED" }));
      expect([head[checksumField[algo]], head.ChecksumType]).toEqual([expected, "FULL_OBJECT"]);
      const attrs = await s3.send(new GetObjectAttributesCommand({ Bucket: B, Key: `full-${algo}`, ObjectAttributes: ["Checksum"] }));
      expect(attrs.Checksum).toEqual({ [checksumField[algo]]: expected, ChecksumType: "FULL_OBJECT" });
    });
  }

  it("a full-object value sent with Complete must match (BadDigest), and then the upload is still there to complete", async () => {
    const wrong = await wholeCrc("CRC32", Buffer.from("something else"));
    const { body, done, uploadId, parts } = await multipart("full-mismatch", "CRC32", "FULL_OBJECT", [5 * MiB, 10], wrong);
    await expect(done).rejects.toMatchObject({ name: "BadDigest", $metadata: { httpStatusCode: 400 } });
    const right = await wholeCrc("CRC32", body);
    const ok = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: B,
        Key: "full-mismatch",
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
        ChecksumType: "FULL_OBJECT",
        ChecksumCRC32: right,
      }),
    );
    expect(ok.ChecksumCRC32).toBe(right);
  });

  it("FULL_OBJECT needs a CRC algorithm; CRC64NVME is full-object only", async () => {
    await expect(
      s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: "x", ChecksumAlgorithm: ChecksumAlgorithm.SHA256, ChecksumType: "FULL_OBJECT" })),
    ).rejects.toMatchObject({ name: "InvalidRequest" });
    await expect(
      s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: "x", ChecksumAlgorithm: "CRC64NVME", ChecksumType: "COMPOSITE" })),
    ).rejects.toMatchObject({ name: "InvalidRequest" });
    const nvme = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: "x", ChecksumAlgorithm: "CRC64NVME" }));
    expect(nvme.ChecksumType).toBe("FULL_OBJECT");
  });
});

describe("GetObjectAttributes", () => {
  it("a simple object: ETag unquoted, size, storage class, its checksum, no parts", async () => {
    const body = "attributes of a small object";
    const put = await s3.send(new PutObjectCommand({ Bucket: B, Key: "small", Body: body, ChecksumAlgorithm: "CRC32" }));
    const r = await s3.send(new GetObjectAttributesCommand({ Bucket: B, Key: "small", ObjectAttributes: [...ALL] }));
    expect(r.ETag).toBe(createHash("md5").update(body).digest("hex"));
    expect(put.ETag).toBe(`"${r.ETag}"`);
    expect(r.ObjectSize).toBe(body.length);
    expect(r.StorageClass).toBe("STANDARD");
    expect(r.Checksum).toEqual({ ChecksumCRC32: await wholeCrc("CRC32", Buffer.from(body)), ChecksumType: "FULL_OBJECT" });
    expect(r.ObjectParts).toBeUndefined();
    expect(r.LastModified).toBeInstanceOf(Date);
    // Only what was asked for.
    const size = await s3.send(new GetObjectAttributesCommand({ Bucket: B, Key: "small", ObjectAttributes: ["ObjectSize"] }));
    expect([size.ObjectSize, size.ETag, size.Checksum, size.StorageClass]).toEqual([body.length, undefined, undefined, undefined]);
  });

  it("a multipart object: parts with their checksums, paged by MaxParts and PartNumberMarker", async () => {
    const { done, parts } = await multipart("parts", "CRC32C", "COMPOSITE", [5 * MiB, 5 * MiB, 77]);
    await done;
    const first = await s3.send(new GetObjectAttributesCommand({ Bucket: B, Key: "parts", ObjectAttributes: ["ObjectParts", "ObjectSize"], MaxParts: 2 }));
    expect(first.ObjectSize).toBe(10 * MiB + 77);
    expect(first.ObjectParts).toMatchObject({ TotalPartsCount: 3, MaxParts: 2, IsTruncated: true, NextPartNumberMarker: "2" });
    expect(first.ObjectParts?.Parts?.map((p) => [p.PartNumber, p.Size, p.ChecksumCRC32C])).toEqual([
      [1, 5 * MiB, parts[0]!.ChecksumCRC32C],
      [2, 5 * MiB, parts[1]!.ChecksumCRC32C],
    ]);
    const rest = await s3.send(
      new GetObjectAttributesCommand({ Bucket: B, Key: "parts", ObjectAttributes: ["ObjectParts"], MaxParts: 2, PartNumberMarker: "2" }),
    );
    expect(rest.ObjectParts).toMatchObject({ TotalPartsCount: 3, IsTruncated: false, PartNumberMarker: "2" });
    expect(rest.ObjectParts?.Parts?.map((p) => p.PartNumber)).toEqual([3]);
  });

  it("versions: a named version answers with its id; a delete marker is NoSuchKey; unknown attributes are InvalidArgument", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "attributes-versions" }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: "attributes-versions", VersioningConfiguration: { Status: "Enabled" } }));
    const v1 = await s3.send(new PutObjectCommand({ Bucket: "attributes-versions", Key: "k", Body: "one" }));
    await s3.send(new PutObjectCommand({ Bucket: "attributes-versions", Key: "k", Body: "second" }));
    const r = await s3.send(
      new GetObjectAttributesCommand({ Bucket: "attributes-versions", Key: "k", VersionId: v1.VersionId, ObjectAttributes: ["ObjectSize"] }),
    );
    expect([r.VersionId, r.ObjectSize]).toEqual([v1.VersionId, 3]);
    await s3.send(new DeleteObjectCommand({ Bucket: "attributes-versions", Key: "k" }));
    await expect(s3.send(new GetObjectAttributesCommand({ Bucket: "attributes-versions", Key: "k", ObjectAttributes: ["ObjectSize"] }))).rejects.toMatchObject({
      name: "NoSuchKey",
      $metadata: { httpStatusCode: 404 },
    });
    await expect(
      s3.send(new GetObjectAttributesCommand({ Bucket: "attributes-versions", Key: "k", VersionId: v1.VersionId, ObjectAttributes: ["Size" as never] })),
    ).rejects.toMatchObject({ name: "InvalidArgument" });
  });
});
