/**
 * Bucket lifecycle end to end: Put/Get/DeleteBucketLifecycleConfiguration through
 * @aws-sdk/client-s3, and the rules applied by the scheduled job, fired with a chosen
 * `scheduledTime` so "30 days later" is a parameter, not a wait. Each run must be idempotent.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lifecycle-mgmt.html
 */
import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketLifecycleCommand,
  GetBucketLifecycleConfigurationCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  type LifecycleRule,
  type S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobCounts, r2Keys, runCron, startWorker, type Harness } from "./harness";

let h: Harness;
let s3: S3Client;
beforeAll(async () => {
  h = await startWorker();
  s3 = h.client();
});
afterAll(() => h?.dispose());

const DAY = 86_400_000;
const later = (days: number) => new Date(Date.now() + days * DAY);

async function cronAt(at: Date): Promise<void> {
  await runCron(h, at); // the trigger, then the jobs it sent
}

async function rules(Bucket: string, Rules: LifecycleRule[]): Promise<void> {
  await s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket, LifecycleConfiguration: { Rules } }));
}

/** [key, versionId or "marker:<id>"] of every version, newest first per key. */
async function versions(Bucket: string): Promise<string[]> {
  const r = await s3.send(new ListObjectVersionsCommand({ Bucket }));
  return [...(r.Versions ?? []).map((v) => `${v.Key}@${v.VersionId}`), ...(r.DeleteMarkers ?? []).map((m) => `${m.Key}@marker`)].sort();
}

describe("configuration", () => {
  it("round-trips a configuration, answers NoSuchLifecycleConfiguration without one, and deletes it", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "lc-config" }));
    await expect(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: "lc-config" }))).rejects.toMatchObject({
      name: "NoSuchLifecycleConfiguration",
      $metadata: { httpStatusCode: 404 },
    });
    const config: LifecycleRule[] = [
      { ID: "logs", Status: "Enabled", Filter: { Prefix: "logs/" }, Expiration: { Days: 30 }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 } },
      {
        ID: "tagged",
        Status: "Disabled",
        Filter: { And: { Prefix: "t/", Tags: [{ Key: "tmp", Value: "1" }], ObjectSizeGreaterThan: 10 } },
        NoncurrentVersionExpiration: { NoncurrentDays: 3, NewerNoncurrentVersions: 2 },
      },
      { ID: "markers", Status: "Enabled", Filter: {}, Expiration: { ExpiredObjectDeleteMarker: true } },
    ];
    await rules("lc-config", config);
    const got = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: "lc-config" }));
    expect(got.Rules).toEqual([{ ...config[0], Filter: { Prefix: "logs/" } }, config[1], { ...config[2], Filter: {} }]);
    // A rule without an ID gets one.
    await rules("lc-config", [{ Status: "Enabled", Filter: { Prefix: "" }, Expiration: { Days: 1 } }]);
    const named = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: "lc-config" }));
    expect(named.Rules?.[0]?.ID).toMatch(/^.{1,255}$/);
    await s3.send(new DeleteBucketLifecycleCommand({ Bucket: "lc-config" }));
    await expect(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: "lc-config" }))).rejects.toMatchObject({ name: "NoSuchLifecycleConfiguration" });
  });

  it("refuses invalid rules with S3's codes and keeps the previous configuration", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "lc-invalid" }));
    const good: LifecycleRule[] = [{ ID: "keep", Status: "Enabled", Filter: {}, Expiration: { Days: 7 } }];
    await rules("lc-invalid", good);
    const bad: [LifecycleRule[], string][] = [
      [[{ ID: "a", Status: "Enabled", Filter: {}, Expiration: { Days: 0 } }], "InvalidArgument"],
      [
        [
          { ID: "a", Status: "Enabled", Filter: {}, Expiration: { Days: 1 } },
          { ID: "a", Status: "Enabled", Filter: {}, Expiration: { Days: 2 } },
        ],
        "InvalidArgument",
      ],
      [[{ ID: "a", Status: "Enabled", Filter: {} }], "InvalidRequest"],
      [[{ ID: "a", Status: "Enabled", Filter: {}, Expiration: { Days: 1, ExpiredObjectDeleteMarker: true } }], "MalformedXML"],
      [
        [{ ID: "a", Status: "Enabled", Filter: { Tag: { Key: "k", Value: "v" } }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }],
        "InvalidRequest",
      ],
      [[{ ID: "a", Status: "Enabled", Filter: {}, Expiration: { Date: new Date(Date.UTC(2030, 0, 1, 12)) } }], "InvalidArgument"],
    ];
    for (const [Rules, name] of bad) {
      await expect(
        s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: "lc-invalid", LifecycleConfiguration: { Rules } })),
        JSON.stringify(Rules),
      ).rejects.toMatchObject({ name, $metadata: { httpStatusCode: 400 } });
    }
    expect((await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: "lc-invalid" }))).Rules).toEqual(good);
  });
});

describe("the job", () => {
  it("unversioned: expires matching objects once due (by prefix, tag and size), frees their bytes, and a second run changes nothing", async () => {
    const B = "lc-unversioned";
    await s3.send(new CreateBucketCommand({ Bucket: B }));
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "tmp/a", Body: "a" }));
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "keep/b", Body: "b" }));
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "tagged", Body: "c", Tagging: "scratch=yes" }));
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "big", Body: "x".repeat(2000) }));
    await rules(B, [
      { ID: "tmp", Status: "Enabled", Filter: { Prefix: "tmp/" }, Expiration: { Days: 2 } },
      { ID: "scratch", Status: "Enabled", Filter: { Tag: { Key: "scratch", Value: "yes" } }, Expiration: { Days: 2 } },
      { ID: "big", Status: "Enabled", Filter: { ObjectSizeGreaterThan: 1000 }, Expiration: { Days: 10 } },
    ]);
    const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: "tmp/a" }));
    expect(head.Expiration).toMatch(/^expiry-date="[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} 00:00:00 GMT", rule-id="tmp"$/);
    expect((await s3.send(new HeadObjectCommand({ Bucket: B, Key: "keep/b" }))).Expiration).toBeUndefined();
    const put = await s3.send(new PutObjectCommand({ Bucket: B, Key: "tmp/new", Body: "n" }));
    expect(put.Expiration).toMatch(/rule-id="tmp"/);

    await cronAt(new Date());
    const blobs = (await r2Keys(h.mf)).length;
    await cronAt(later(1)); // not due yet
    expect(await versions(B)).toEqual(["big@null", "keep/b@null", "tagged@null", "tmp/a@null", "tmp/new@null"]);
    await cronAt(later(3));
    expect(await versions(B)).toEqual(["big@null", "keep/b@null"]);
    await cronAt(later(3));
    expect(await versions(B)).toEqual(["big@null", "keep/b@null"]);
    await cronAt(later(11));
    expect(await versions(B)).toEqual(["keep/b@null"]);
    expect((await r2Keys(h.mf)).length).toBe(blobs - 4);
  });

  it("versioned: the current version gets a delete marker, noncurrent versions go after NoncurrentDays keeping the newest, lone markers are removed", async () => {
    const B = "lc-versioned";
    await s3.send(new CreateBucketCommand({ Bucket: B }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: B, VersioningConfiguration: { Status: "Enabled" } }));
    const ids: string[] = [];
    for (const body of ["v1", "v2", "v3"]) ids.push((await s3.send(new PutObjectCommand({ Bucket: B, Key: "doc", Body: body }))).VersionId!);
    const gone = (await s3.send(new PutObjectCommand({ Bucket: B, Key: "gone", Body: "g" }))).VersionId!;
    await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "gone", VersionId: gone }));
    await s3.send(new DeleteObjectCommand({ Bucket: B, Key: "gone" })); // a marker with no versions left
    await rules(B, [
      { ID: "current", Status: "Enabled", Filter: { Prefix: "doc" }, Expiration: { Days: 5 } },
      { ID: "noncurrent", Status: "Enabled", Filter: {}, NoncurrentVersionExpiration: { NoncurrentDays: 1, NewerNoncurrentVersions: 1 } },
      { ID: "markers", Status: "Enabled", Filter: { Prefix: "gone" }, Expiration: { ExpiredObjectDeleteMarker: true } },
    ]);
    await cronAt(later(2));
    // v1 is noncurrent with one newer noncurrent version (v2): it goes; v2 is kept; the lone marker goes.
    expect(await versions(B)).toEqual([`doc@${ids[1]}`, `doc@${ids[2]}`].sort());
    await cronAt(later(6));
    // v3 is 5 days old: a delete marker goes on top (v3 becomes noncurrent, the newest one, so v2 is now beyond the one kept).
    expect(await versions(B)).toEqual(["doc@marker", `doc@${ids[1]}`, `doc@${ids[2]}`].sort());
    await cronAt(later(8));
    expect(await versions(B)).toEqual(["doc@marker", `doc@${ids[2]}`].sort());
    await cronAt(later(8));
    expect(await versions(B)).toEqual(["doc@marker", `doc@${ids[2]}`].sort());
  });

  it("suspended: the current null version is replaced by a null delete marker and its bytes are freed; older versions stay", async () => {
    const B = "lc-suspended";
    await s3.send(new CreateBucketCommand({ Bucket: B }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: B, VersioningConfiguration: { Status: "Enabled" } }));
    const v1 = (await s3.send(new PutObjectCommand({ Bucket: B, Key: "s", Body: "versioned" }))).VersionId!;
    await s3.send(new PutBucketVersioningCommand({ Bucket: B, VersioningConfiguration: { Status: "Suspended" } }));
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "s", Body: "the null version" }));
    await rules(B, [{ ID: "all", Status: "Enabled", Filter: {}, Expiration: { Days: 2 } }]);
    await cronAt(new Date());
    const blobs = (await r2Keys(h.mf)).length;
    await cronAt(later(3));
    const r = await s3.send(new ListObjectVersionsCommand({ Bucket: B }));
    expect((r.Versions ?? []).map((v) => v.VersionId)).toEqual([v1]);
    expect((r.DeleteMarkers ?? []).map((m) => [m.VersionId, m.IsLatest])).toEqual([["null", true]]);
    expect((await r2Keys(h.mf)).length).toBe(blobs - 1);
  });

  it("aborts incomplete multipart uploads DaysAfterInitiation after they began, by prefix", async () => {
    const B = "lc-uploads";
    await s3.send(new CreateBucketCommand({ Bucket: B }));
    const stale = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: "big/one" }));
    const other = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: "small/one" }));
    await rules(B, [{ ID: "abort", Status: "Enabled", Filter: { Prefix: "big/" }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }]);
    await cronAt(later(0.5));
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: B }))).Uploads?.map((u) => u.UploadId).sort()).toEqual(
      [stale.UploadId, other.UploadId].sort(),
    );
    await cronAt(later(2));
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: B }))).Uploads?.map((u) => u.UploadId)).toEqual([other.UploadId]);
  });

  it("walks a bucket in as many job messages as the subrequest budget needs, each resuming where the last stopped", async () => {
    // 50 subrequests per invocation (Workers Free): each expiration is one D1 commit, so 120 keys need several messages.
    const small = await startWorker({ SOS_SUBREQUEST_BUDGET: "50" });
    try {
      const c = small.client();
      const B = "lc-many";
      await c.send(new CreateBucketCommand({ Bucket: B }));
      const keys = Array.from({ length: 120 }, (_, i) => `many/${String(i).padStart(4, "0")}`);
      for (let i = 0; i < keys.length; i += 40) {
        await Promise.all(keys.slice(i, i + 40).map((Key) => c.send(new PutObjectCommand({ Bucket: B, Key, Body: "" }))));
      }
      await c.send(new PutObjectCommand({ Bucket: B, Key: "zz-kept", Body: "kept" }));
      await c.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket: B,
          LifecycleConfiguration: { Rules: [{ ID: "many", Status: "Enabled", Filter: { Prefix: "many/" }, Expiration: { Days: 1 } }] },
        }),
      );
      const sent = async (run: () => Promise<void>) => {
        const before = (await jobCounts(small)).sent;
        await run();
        return (await jobCounts(small)).sent - before;
      };
      const walking = await sent(() => runCron(small, later(3)));
      const left = await c.send(new ListObjectsV2Command({ Bucket: B }));
      expect(left.Contents?.map((o) => o.Key)).toEqual(["zz-kept"]);
      // The same cron with nothing left to expire sends the same messages but the continuations.
      const idle = await sent(() => runCron(small, later(3)));
      expect(walking - idle).toBeGreaterThanOrEqual(2);
    } finally {
      await small.dispose();
    }
  }, 120_000);
});
