/**
 * Object lock end to end through @aws-sdk/client-s3 (a raw signer where the SDK adds headers on its
 * own): lock-enabled buckets, default retention, retention and legal hold per version, the lock
 * headers on PutObject / CreateMultipartUpload / CopyObject, the governance bypass, and that a
 * locked version survives DeleteObject, DeleteObjects, lifecycle and the sweeps with its bytes.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectLegalHoldCommand,
  GetObjectLockConfigurationCommand,
  GetObjectRetentionCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  PutObjectLockConfigurationCommand,
  PutObjectRetentionCommand,
  UploadPartCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { AwsClient } from "aws4fetch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { r2Keys, ROOT, runCron, startWorker, streamToBuffer, type Harness } from "./harness";

let h: Harness;
let s3: S3Client;
beforeAll(async () => {
  h = await startWorker();
  s3 = h.client();
});
afterAll(() => h?.dispose());

const DAY = 86_400_000;
const inDays = (d: number) => new Date(Math.floor((Date.now() + d * DAY) / 1000) * 1000);
const signer = new AwsClient({ ...ROOT, service: "s3", region: "us-east-1", retries: 0 });

async function raw(method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}) {
  const res = await signer.fetch(h.url + path, { method, body: init.body, headers: init.headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, code: /<Code>([^<]+)<\/Code>/.exec(text)?.[1] };
}

async function lockBucket(Bucket: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket, ObjectLockEnabledForBucket: true }));
}

async function put(Bucket: string, Key: string, Body: string, extra: Partial<ConstructorParameters<typeof PutObjectCommand>[0]> = {}) {
  return s3.send(new PutObjectCommand({ Bucket, Key, Body, ...extra }));
}

async function versionIds(Bucket: string, Key: string): Promise<string[]> {
  const r = await s3.send(new ListObjectVersionsCommand({ Bucket, Prefix: Key }));
  return [...(r.Versions ?? []), ...(r.DeleteMarkers ?? [])].filter((v) => v.Key === Key).map((v) => v.VersionId!);
}

/** Runs the scheduled job as if it fired at `at` (lifecycle, deletions, sweeps). */
async function cronAt(at: Date): Promise<void> {
  await runCron(h, at); // the trigger, then the jobs it sent
}

const denied = { name: "AccessDenied", $metadata: { httpStatusCode: 403 } };

describe("lock-enabled buckets", () => {
  it("CreateBucket with object lock turns versioning on for good and answers the lock configuration", async () => {
    await lockBucket("lock-basics");
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: "lock-basics" }))).Status).toBe("Enabled");
    expect((await s3.send(new GetObjectLockConfigurationCommand({ Bucket: "lock-basics" }))).ObjectLockConfiguration).toEqual({ ObjectLockEnabled: "Enabled" });
    await expect(s3.send(new PutBucketVersioningCommand({ Bucket: "lock-basics", VersioningConfiguration: { Status: "Suspended" } }))).rejects.toMatchObject({
      name: "InvalidBucketState",
      $metadata: { httpStatusCode: 409 },
    });
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: "lock-basics" }))).Status).toBe("Enabled");
  });

  it("a bucket without object lock has no configuration and refuses lock requests", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "no-lock" }));
    await expect(s3.send(new GetObjectLockConfigurationCommand({ Bucket: "no-lock" }))).rejects.toMatchObject({
      name: "ObjectLockConfigurationNotFoundError",
      $metadata: { httpStatusCode: 404 },
    });
    await expect(put("no-lock", "k", "x", { ObjectLockMode: "GOVERNANCE", ObjectLockRetainUntilDate: inDays(1) })).rejects.toMatchObject({
      name: "InvalidRequest",
    });
    await put("no-lock", "k", "x");
    await expect(
      s3.send(new PutObjectRetentionCommand({ Bucket: "no-lock", Key: "k", Retention: { Mode: "GOVERNANCE", RetainUntilDate: inDays(1) } })),
    ).rejects.toMatchObject({ name: "InvalidRequest" });
    await expect(s3.send(new PutObjectLegalHoldCommand({ Bucket: "no-lock", Key: "k", LegalHold: { Status: "ON" } }))).rejects.toMatchObject({
      name: "InvalidRequest",
    });
    // PutObjectLockConfiguration needs versioning first; then it enables object lock.
    const config = { ObjectLockEnabled: "Enabled" as const, Rule: { DefaultRetention: { Mode: "GOVERNANCE" as const, Days: 1 } } };
    await expect(s3.send(new PutObjectLockConfigurationCommand({ Bucket: "no-lock", ObjectLockConfiguration: config }))).rejects.toMatchObject({
      name: "InvalidBucketState",
      $metadata: { httpStatusCode: 409 },
    });
    await s3.send(new PutBucketVersioningCommand({ Bucket: "no-lock", VersioningConfiguration: { Status: "Enabled" } }));
    await s3.send(new PutObjectLockConfigurationCommand({ Bucket: "no-lock", ObjectLockConfiguration: config }));
    expect((await s3.send(new GetObjectLockConfigurationCommand({ Bucket: "no-lock" }))).ObjectLockConfiguration).toEqual(config);
  });

  it("a default retention applies to new versions; a bad configuration is refused and changes nothing", async () => {
    await lockBucket("lock-default");
    const config = { ObjectLockEnabled: "Enabled" as const, Rule: { DefaultRetention: { Mode: "COMPLIANCE" as const, Days: 2 } } };
    await s3.send(new PutObjectLockConfigurationCommand({ Bucket: "lock-default", ObjectLockConfiguration: config }));
    const before = Date.now();
    const v = await put("lock-default", "k", "kept");
    const head = await s3.send(new HeadObjectCommand({ Bucket: "lock-default", Key: "k" }));
    expect(head.ObjectLockMode).toBe("COMPLIANCE");
    const until = head.ObjectLockRetainUntilDate!.getTime();
    expect(until).toBeGreaterThanOrEqual(before + 2 * DAY - 1000);
    expect(until).toBeLessThanOrEqual(Date.now() + 2 * DAY + 1000);
    const r = await s3.send(new GetObjectRetentionCommand({ Bucket: "lock-default", Key: "k", VersionId: v.VersionId }));
    expect(r.Retention).toEqual({ Mode: "COMPLIANCE", RetainUntilDate: head.ObjectLockRetainUntilDate });
    // Both Days and Years: MalformedXML; zero days: InvalidArgument. The stored configuration stays.
    await expect(
      s3.send(
        new PutObjectLockConfigurationCommand({
          Bucket: "lock-default",
          ObjectLockConfiguration: { ObjectLockEnabled: "Enabled", Rule: { DefaultRetention: { Mode: "GOVERNANCE", Days: 1, Years: 1 } } },
        }),
      ),
    ).rejects.toMatchObject({ name: "MalformedXML" });
    await expect(
      s3.send(
        new PutObjectLockConfigurationCommand({
          Bucket: "lock-default",
          ObjectLockConfiguration: { ObjectLockEnabled: "Enabled", Rule: { DefaultRetention: { Mode: "GOVERNANCE", Days: 0 } } },
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidArgument" });
    expect((await s3.send(new GetObjectLockConfigurationCommand({ Bucket: "lock-default" }))).ObjectLockConfiguration).toEqual(config);
  });
});

describe("a locked version cannot go", () => {
  it("COMPLIANCE: no delete of the version, with or without bypass; a plain delete only adds a marker; retention only extends", async () => {
    await lockBucket("lock-compliance");
    const until = inDays(1);
    const v = await put("lock-compliance", "k", "precious", { ObjectLockMode: "COMPLIANCE", ObjectLockRetainUntilDate: until });
    await expect(s3.send(new DeleteObjectCommand({ Bucket: "lock-compliance", Key: "k", VersionId: v.VersionId }))).rejects.toMatchObject(denied);
    await expect(
      s3.send(new DeleteObjectCommand({ Bucket: "lock-compliance", Key: "k", VersionId: v.VersionId, BypassGovernanceRetention: true })),
    ).rejects.toMatchObject(denied);
    const marker = await s3.send(new DeleteObjectCommand({ Bucket: "lock-compliance", Key: "k" }));
    expect(marker.DeleteMarker).toBe(true);
    const body = await s3.send(new GetObjectCommand({ Bucket: "lock-compliance", Key: "k", VersionId: v.VersionId }));
    expect((await streamToBuffer(body.Body)).toString()).toBe("precious");
    // Shortening or downgrading: AccessDenied; extending: fine.
    await expect(
      s3.send(
        new PutObjectRetentionCommand({
          Bucket: "lock-compliance",
          Key: "k",
          VersionId: v.VersionId,
          Retention: { Mode: "COMPLIANCE", RetainUntilDate: new Date(until.getTime() - 60_000) },
        }),
      ),
    ).rejects.toMatchObject(denied);
    await expect(
      s3.send(
        new PutObjectRetentionCommand({
          Bucket: "lock-compliance",
          Key: "k",
          VersionId: v.VersionId,
          BypassGovernanceRetention: true,
          Retention: { Mode: "GOVERNANCE", RetainUntilDate: inDays(5) },
        }),
      ),
    ).rejects.toMatchObject(denied);
    const later = inDays(3);
    await s3.send(
      new PutObjectRetentionCommand({ Bucket: "lock-compliance", Key: "k", VersionId: v.VersionId, Retention: { Mode: "COMPLIANCE", RetainUntilDate: later } }),
    );
    expect((await s3.send(new GetObjectRetentionCommand({ Bucket: "lock-compliance", Key: "k", VersionId: v.VersionId }))).Retention).toEqual({
      Mode: "COMPLIANCE",
      RetainUntilDate: later,
    });
    // A past date is refused outright.
    await expect(
      s3.send(
        new PutObjectRetentionCommand({
          Bucket: "lock-compliance",
          Key: "k",
          VersionId: v.VersionId,
          Retention: { Mode: "COMPLIANCE", RetainUntilDate: inDays(-1) },
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidArgument" });
    expect(await versionIds("lock-compliance", "k")).toContain(v.VersionId);
  });

  it("GOVERNANCE: the owner's bypass header lets a delete or a shortening through, nothing else does", async () => {
    await lockBucket("lock-governance");
    const v = await put("lock-governance", "k", "g", { ObjectLockMode: "GOVERNANCE", ObjectLockRetainUntilDate: inDays(1) });
    await expect(s3.send(new DeleteObjectCommand({ Bucket: "lock-governance", Key: "k", VersionId: v.VersionId }))).rejects.toMatchObject(denied);
    await expect(
      s3.send(
        new PutObjectRetentionCommand({
          Bucket: "lock-governance",
          Key: "k",
          VersionId: v.VersionId,
          Retention: { Mode: "GOVERNANCE", RetainUntilDate: inDays(0.5) },
        }),
      ),
    ).rejects.toMatchObject(denied);
    await s3.send(
      new PutObjectRetentionCommand({
        Bucket: "lock-governance",
        Key: "k",
        VersionId: v.VersionId,
        BypassGovernanceRetention: true,
        Retention: { Mode: "GOVERNANCE", RetainUntilDate: inDays(0.5) },
      }),
    );
    await s3.send(new DeleteObjectCommand({ Bucket: "lock-governance", Key: "k", VersionId: v.VersionId, BypassGovernanceRetention: true }));
    expect(await versionIds("lock-governance", "k")).toEqual([]);
  });

  it("legal hold: protects a version with no retention from everyone until it is released", async () => {
    await lockBucket("lock-hold");
    const v = await put("lock-hold", "k", "held", { ObjectLockLegalHoldStatus: "ON" });
    expect((await s3.send(new GetObjectLegalHoldCommand({ Bucket: "lock-hold", Key: "k", VersionId: v.VersionId }))).LegalHold).toEqual({ Status: "ON" });
    expect((await s3.send(new HeadObjectCommand({ Bucket: "lock-hold", Key: "k" }))).ObjectLockLegalHoldStatus).toBe("ON");
    await expect(
      s3.send(new DeleteObjectCommand({ Bucket: "lock-hold", Key: "k", VersionId: v.VersionId, BypassGovernanceRetention: true })),
    ).rejects.toMatchObject(denied);
    await s3.send(new PutObjectLegalHoldCommand({ Bucket: "lock-hold", Key: "k", VersionId: v.VersionId, LegalHold: { Status: "OFF" } }));
    await s3.send(new DeleteObjectCommand({ Bucket: "lock-hold", Key: "k", VersionId: v.VersionId }));
    expect(await versionIds("lock-hold", "k")).toEqual([]);
    // A version that never had a retention or hold has no such document.
    const plain = await put("lock-hold", "plain", "p");
    await expect(s3.send(new GetObjectRetentionCommand({ Bucket: "lock-hold", Key: "plain", VersionId: plain.VersionId }))).rejects.toMatchObject({
      name: "NoSuchObjectLockConfiguration",
      $metadata: { httpStatusCode: 404 },
    });
    await expect(s3.send(new GetObjectLegalHoldCommand({ Bucket: "lock-hold", Key: "plain", VersionId: plain.VersionId }))).rejects.toMatchObject({
      name: "NoSuchObjectLockConfiguration",
    });
  });

  it("DeleteObjects reports each locked version as AccessDenied and deletes the others", async () => {
    await lockBucket("lock-batch");
    const locked = await put("lock-batch", "locked", "l", { ObjectLockMode: "COMPLIANCE", ObjectLockRetainUntilDate: inDays(1) });
    const held = await put("lock-batch", "held", "h", { ObjectLockLegalHoldStatus: "ON" });
    const free = await put("lock-batch", "free", "f");
    const r = await s3.send(
      new DeleteObjectsCommand({
        Bucket: "lock-batch",
        Delete: {
          Objects: [
            { Key: "locked", VersionId: locked.VersionId },
            { Key: "held", VersionId: held.VersionId },
            { Key: "free", VersionId: free.VersionId },
            { Key: "locked" },
          ],
        },
      }),
    );
    expect(r.Errors?.map((e) => [e.Key, e.VersionId, e.Code]).sort()).toEqual([
      ["held", held.VersionId, "AccessDenied"],
      ["locked", locked.VersionId, "AccessDenied"],
    ]);
    const deleted = new Map(r.Deleted?.map((d) => [d.Key, d]));
    expect([...deleted.keys()].sort()).toEqual(["free", "locked"]);
    expect(deleted.get("free")).toMatchObject({ VersionId: free.VersionId });
    expect(deleted.get("locked")).toMatchObject({ DeleteMarker: true }); // the plain delete of a locked key adds a marker
    expect(await versionIds("lock-batch", "locked")).toContain(locked.VersionId);
    expect(await versionIds("lock-batch", "held")).toEqual([held.VersionId]);
    expect(await versionIds("lock-batch", "free")).toEqual([]);
  });

  it("lifecycle and the sweeps leave a locked noncurrent version and its bytes alone, and remove it once free", async () => {
    await lockBucket("lock-lifecycle");
    const old = await put("lock-lifecycle", "k", "old bytes", { ObjectLockMode: "GOVERNANCE", ObjectLockRetainUntilDate: inDays(10) });
    await put("lock-lifecycle", "k", "new bytes");
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: "lock-lifecycle",
        LifecycleConfiguration: { Rules: [{ ID: "noncurrent", Status: "Enabled", Filter: {}, NoncurrentVersionExpiration: { NoncurrentDays: 1 } }] },
      }),
    );
    await cronAt(new Date()); // finishes whatever earlier tests queued, so the blob counts below are this test's
    const blobsBefore = (await r2Keys(h.mf)).sort();
    await cronAt(inDays(5)); // the version is noncurrent long enough, but still retained
    expect(await versionIds("lock-lifecycle", "k")).toContain(old.VersionId);
    expect((await r2Keys(h.mf)).sort()).toEqual(blobsBefore);
    const body = await s3.send(new GetObjectCommand({ Bucket: "lock-lifecycle", Key: "k", VersionId: old.VersionId }));
    expect((await streamToBuffer(body.Body)).toString()).toBe("old bytes");
    await cronAt(inDays(11)); // retention over: lifecycle may now remove it
    expect(await versionIds("lock-lifecycle", "k")).not.toContain(old.VersionId);
    expect((await r2Keys(h.mf)).length).toBe(blobsBefore.length - 1);
  });
});

describe("lock headers on every write path", () => {
  it("CreateMultipartUpload and CopyObject carry a retention and a legal hold to the new version", async () => {
    await lockBucket("lock-paths");
    const until = inDays(2);
    const up = await s3.send(
      new CreateMultipartUploadCommand({
        Bucket: "lock-paths",
        Key: "mp",
        ObjectLockMode: "GOVERNANCE",
        ObjectLockRetainUntilDate: until,
        ChecksumAlgorithm: "CRC32",
      }),
    );
    const part = await s3.send(
      new UploadPartCommand({ Bucket: "lock-paths", Key: "mp", UploadId: up.UploadId, PartNumber: 1, Body: "part one", ChecksumAlgorithm: "CRC32" }),
    );
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: "lock-paths",
        Key: "mp",
        UploadId: up.UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag, ChecksumCRC32: part.ChecksumCRC32 }] },
      }),
    );
    expect((await s3.send(new GetObjectRetentionCommand({ Bucket: "lock-paths", Key: "mp", VersionId: done.VersionId }))).Retention).toEqual({
      Mode: "GOVERNANCE",
      RetainUntilDate: until,
    });
    await expect(s3.send(new DeleteObjectCommand({ Bucket: "lock-paths", Key: "mp", VersionId: done.VersionId }))).rejects.toMatchObject(denied);

    const copy = await s3.send(
      new CopyObjectCommand({
        Bucket: "lock-paths",
        Key: "copy",
        CopySource: "lock-paths/mp",
        ObjectLockLegalHoldStatus: "ON",
        ObjectLockMode: "COMPLIANCE",
        ObjectLockRetainUntilDate: until,
      }),
    );
    const head = await s3.send(new HeadObjectCommand({ Bucket: "lock-paths", Key: "copy", VersionId: copy.VersionId }));
    expect([head.ObjectLockMode, head.ObjectLockRetainUntilDate, head.ObjectLockLegalHoldStatus]).toEqual(["COMPLIANCE", until, "ON"]);
    // The copy does not inherit the source's lock by itself.
    const plainCopy = await s3.send(new CopyObjectCommand({ Bucket: "lock-paths", Key: "plain-copy", CopySource: "lock-paths/mp" }));
    expect((await s3.send(new HeadObjectCommand({ Bucket: "lock-paths", Key: "plain-copy", VersionId: plainCopy.VersionId }))).ObjectLockMode).toBeUndefined();
  });

  it("lock headers are validated as S3 does; a retained upload needs an integrity header", async () => {
    await lockBucket("lock-headers");
    const date = inDays(1).toISOString();
    const cases: [Record<string, string>, string][] = [
      [{ "x-amz-object-lock-mode": "GOVERNANCE" }, "InvalidArgument"],
      [{ "x-amz-object-lock-mode": "SOMETIMES", "x-amz-object-lock-retain-until-date": date }, "InvalidArgument"],
      [{ "x-amz-object-lock-mode": "GOVERNANCE", "x-amz-object-lock-retain-until-date": "2001-01-01T00:00:00Z" }, "InvalidArgument"],
      [{ "x-amz-object-lock-legal-hold": "MAYBE" }, "InvalidArgument"],
      [{ "x-amz-object-lock-mode": "GOVERNANCE", "x-amz-object-lock-retain-until-date": date }, "InvalidRequest"], // no Content-MD5 or checksum
    ];
    for (const [headers, code] of cases) {
      const r = await raw("PUT", "/lock-headers/refused", { body: "x", headers });
      expect([r.status, r.code], JSON.stringify(headers)).toEqual([400, code]);
    }
    expect(await versionIds("lock-headers", "refused")).toEqual([]);
    const ok = await raw("PUT", "/lock-headers/accepted", {
      body: "x",
      headers: {
        "x-amz-object-lock-mode": "GOVERNANCE",
        "x-amz-object-lock-retain-until-date": date,
        "content-md5": "ndTkYSaMgDT1yFZOFVxnpg==" /* md5("x") */,
      },
    });
    expect(ok.status).toBe(200);
  });
});
