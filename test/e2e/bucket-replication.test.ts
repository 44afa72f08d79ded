/**
 * S3 bucket replication end to end, through @aws-sdk/client-s3 against workerd with real local D1,
 * R2 in two zones (ch-gva-2, de-fra-1) and Miniflare's Queue: the configuration API and its errors,
 * then copies made by the jobs the cron's reconciling scan sends (this Worker runs with
 * SOS_REPLICATION_AFTER_RESPONSE=false, so that PENDING is observable and the copies happen exactly
 * when the test fires the cron and the queue settles), and finally, in a second Worker with the
 * default settings, copy jobs sent right after each write, and a lost one made by the scan.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication.html
 */
import { randomBytes } from "node:crypto";
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketReplicationCommand,
  DeleteObjectCommand,
  GetBucketReplicationCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutBucketAclCommand,
  PutBucketReplicationCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type ReplicationConfiguration,
  type S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { r2Keys, runCron, setFaults, settleJobs, startWorker, streamToBuffer, type Harness } from "./harness";
import { withoutExpectContinue } from "./no-expect-continue";
import { createKey, createUser } from "./principals";
import { ROOT_USER_ID } from "../../src/identity";

let h: Harness;
let s3: S3Client;
beforeAll(async () => {
  h = await startWorker({ SOS_REPLICATION_AFTER_RESPONSE: "false", SOS_REQUIRE_HTTPS_FOR_SSEC: "false" });
  s3 = withoutExpectContinue(h.client());
});
afterAll(() => h?.dispose());

const ROLE = "arn:aws:iam::000000000000:role/sos-replication";

async function bucket(Bucket: string, opts: { zone?: string; versioned?: boolean } = {}): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket, CreateBucketConfiguration: opts.zone ? { LocationConstraint: opts.zone as never } : undefined }));
  if (opts.versioned !== false) await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: "Enabled" } }));
}

const replication = (Bucket: string, config: ReplicationConfiguration) =>
  s3.send(new PutBucketReplicationCommand({ Bucket, ReplicationConfiguration: config }));

/** Every version and delete marker of a bucket: key@versionId, markers flagged. */
async function versions(Bucket: string): Promise<string[]> {
  const r = await s3.send(new ListObjectVersionsCommand({ Bucket }));
  return [...(r.Versions ?? []).map((v) => `${v.Key}@${v.VersionId}`), ...(r.DeleteMarkers ?? []).map((m) => `${m.Key}@${m.VersionId}(marker)`)].sort();
}

const status = async (Bucket: string, Key: string, VersionId?: string, extra = {}) =>
  (await s3.send(new HeadObjectCommand({ Bucket, Key, VersionId, ...extra }))).ReplicationStatus;

describe("configuration API", () => {
  beforeAll(async () => {
    await bucket("cfg-src");
    await bucket("cfg-dst", { zone: "de-fra-1" });
    await bucket("cfg-unversioned", { versioned: false });
  });

  const rule = (over: Record<string, unknown> = {}) => ({
    ID: "r1",
    Priority: 1,
    Status: "Enabled" as const,
    Filter: { Prefix: "docs/" },
    Destination: { Bucket: "arn:aws:s3:::cfg-dst" },
    DeleteMarkerReplication: { Status: "Enabled" as const },
    ...over,
  });

  it("round-trips a configuration, answers ReplicationConfigurationNotFoundError without one, and deletes it", async () => {
    await expect(s3.send(new GetBucketReplicationCommand({ Bucket: "cfg-src" }))).rejects.toMatchObject({
      name: "ReplicationConfigurationNotFoundError",
      $metadata: { httpStatusCode: 404 },
    });
    const config: ReplicationConfiguration = {
      Role: ROLE,
      Rules: [
        rule(),
        rule({
          ID: "tagged",
          Priority: 2,
          Filter: { And: { Prefix: "t/", Tags: [{ Key: "copy", Value: "yes" }] } },
          DeleteMarkerReplication: { Status: "Disabled" },
        }),
        rule({ ID: "one-tag", Priority: 3, Status: "Disabled", Filter: { Tag: { Key: "k", Value: "v" } }, DeleteMarkerReplication: { Status: "Disabled" } }),
      ],
    };
    await replication("cfg-src", config);
    const got = await s3.send(new GetBucketReplicationCommand({ Bucket: "cfg-src" }));
    expect(got.ReplicationConfiguration).toEqual(config);
    // V1 rules (top-level Prefix, no Priority) round-trip too.
    const v1: ReplicationConfiguration = {
      Role: ROLE,
      Rules: [{ ID: "old", Prefix: "logs/", Status: "Enabled", Destination: { Bucket: "arn:aws:s3:::cfg-dst" } }],
    };
    await replication("cfg-src", v1);
    expect((await s3.send(new GetBucketReplicationCommand({ Bucket: "cfg-src" }))).ReplicationConfiguration).toEqual(v1);
    // A replicated bucket's versioning cannot be suspended, as in S3.
    await expect(s3.send(new PutBucketVersioningCommand({ Bucket: "cfg-src", VersioningConfiguration: { Status: "Suspended" } }))).rejects.toMatchObject({
      name: "InvalidBucketState",
      $metadata: { httpStatusCode: 409 },
    });
    expect((await s3.send(new DeleteBucketReplicationCommand({ Bucket: "cfg-src" }))).$metadata.httpStatusCode).toBe(204);
    await expect(s3.send(new GetBucketReplicationCommand({ Bucket: "cfg-src" }))).rejects.toMatchObject({ name: "ReplicationConfigurationNotFoundError" });
  });

  it.each([
    ["an unversioned source", "cfg-unversioned", [rule()], "InvalidRequest", /Versioning must be 'Enabled'/],
    [
      "a missing destination",
      "cfg-src",
      [rule({ Destination: { Bucket: "arn:aws:s3:::no-such-bucket-here" } })],
      "InvalidRequest",
      /Destination bucket must exist/,
    ],
    [
      "an unversioned destination",
      "cfg-src",
      [rule({ Destination: { Bucket: "arn:aws:s3:::cfg-unversioned" } })],
      "InvalidRequest",
      /must have versioning enabled/,
    ],
    ["duplicate rule IDs", "cfg-src", [rule(), rule({ Priority: 2 })], "InvalidArgument", /Rule Id must be unique/],
    ["duplicate priorities", "cfg-src", [rule(), rule({ ID: "r2" })], "InvalidArgument", /duplicate priority/],
    [
      "a Filter without DeleteMarkerReplication",
      "cfg-src",
      [rule({ DeleteMarkerReplication: undefined })],
      "InvalidRequest",
      /DeleteMarkerReplication must be specified/,
    ],
    ["delete markers with a Tag filter", "cfg-src", [rule({ Filter: { Tag: { Key: "k", Value: "v" } } })], "InvalidRequest", /Tag filter/],
    ["a destination that is not a bucket ARN", "cfg-src", [rule({ Destination: { Bucket: "cfg-dst" } })], "InvalidArgument", /ARN/],
    ["a rule without a Destination", "cfg-src", [rule({ Destination: undefined })], "MalformedXML", /well-formed/],
    ["a Status other than Enabled or Disabled", "cfg-src", [rule({ Status: "Maybe" })], "MalformedXML", /well-formed/],
  ])("refuses %s and keeps no configuration", async (_, Bucket, Rules, name, message) => {
    const err = await replication(Bucket, { Role: ROLE, Rules } as ReplicationConfiguration).catch((e) => e);
    expect(err).toMatchObject({ name, $metadata: { httpStatusCode: 400 } });
    expect(err.message).toMatch(message);
    await expect(s3.send(new GetBucketReplicationCommand({ Bucket }))).rejects.toMatchObject({ name: "ReplicationConfigurationNotFoundError" });
  });
});

describe("copies made by the reconciling scan", () => {
  const SRC = "rep-src"; // ch-gva-2
  const FRA = "rep-fra"; // de-fra-1: bytes streamed across zones; delete markers replicated
  const GVA = "rep-gva"; // ch-gva-2: bytes shared; delete markers not replicated
  const CHAIN = "rep-chain"; // FRA replicates here: replicas must not be replicated again
  const body = randomBytes(3000);
  const written: Record<string, string> = {};

  beforeAll(async () => {
    await bucket(SRC);
    await bucket(FRA, { zone: "de-fra-1" });
    await bucket(GVA);
    await bucket(CHAIN);
    const dest = (name: string) => ({ Bucket: `arn:aws:s3:::${name}` });
    await replication(SRC, {
      Role: ROLE,
      Rules: [
        { ID: "to-fra", Priority: 2, Status: "Enabled", Filter: { Prefix: "docs/" }, Destination: dest(FRA), DeleteMarkerReplication: { Status: "Enabled" } },
        { ID: "to-gva", Priority: 1, Status: "Enabled", Filter: { Prefix: "docs/" }, Destination: dest(GVA), DeleteMarkerReplication: { Status: "Disabled" } },
      ],
    });
    await replication(FRA, {
      Role: ROLE,
      Rules: [{ ID: "chain", Priority: 1, Status: "Enabled", Filter: {}, Destination: dest(CHAIN), DeleteMarkerReplication: { Status: "Enabled" } }],
    });
  });

  it("marks new versions PENDING at commit, and only those a rule matches", async () => {
    const put = (Key: string, Body: Buffer | string, extra = {}) => s3.send(new PutObjectCommand({ Bucket: SRC, Key, Body, ...extra }));
    written.v1 = (await put("docs/a.txt", "first")).VersionId!;
    written.v2 = (
      await put("docs/a.txt", body, {
        ContentType: "text/x-test",
        CacheControl: "max-age=60",
        ContentDisposition: "inline",
        Metadata: { colour: "blue" },
        Tagging: "team=storage&tier=1",
        ACL: "public-read",
      })
    ).VersionId!;
    written.excluded = (await put("other/x.txt", "not replicated")).VersionId!;
    // A multipart object: two parts, so the replica in another zone gets both, with the same ETag.
    const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: SRC, Key: "docs/big.bin", Metadata: { kind: "multipart" } }));
    const part1 = randomBytes(5 * 1024 * 1024);
    const part2 = randomBytes(1000);
    const parts = [];
    for (const [i, Body] of [part1, part2].entries()) {
      const r = await s3.send(new UploadPartCommand({ Bucket: SRC, Key: "docs/big.bin", UploadId: up.UploadId, PartNumber: i + 1, Body }));
      parts.push({ PartNumber: i + 1, ETag: r.ETag });
    }
    written.big = (
      await s3.send(new CompleteMultipartUploadCommand({ Bucket: SRC, Key: "docs/big.bin", UploadId: up.UploadId, MultipartUpload: { Parts: parts } }))
    ).VersionId!;
    written.copy = (await s3.send(new CopyObjectCommand({ Bucket: SRC, Key: "docs/copy.txt", CopySource: `${SRC}/docs/a.txt` }))).VersionId!;
    written.ssec = (await put("docs/secret.txt", "sse-c", { SSECustomerAlgorithm: "AES256", SSECustomerKey: randomBytes(32).toString("base64") })).VersionId!;

    expect(await status(SRC, "docs/a.txt")).toBe("PENDING");
    expect(await status(SRC, "docs/big.bin")).toBe("PENDING");
    expect(await status(SRC, "docs/copy.txt")).toBe("PENDING");
    expect(await status(SRC, "other/x.txt")).toBeUndefined();
    expect(await versions(FRA)).toEqual([]);
  });

  it("converges when the job runs: same version ids, bytes, metadata, tags and ACL; REPLICA on the copies, COMPLETED on the source", async () => {
    const gvaBlobsBefore = (await r2Keys(h.mf, "R2_CH_GVA_2")).length;
    await runCron(h);
    const expected = [`docs/a.txt@${written.v1}`, `docs/a.txt@${written.v2}`, `docs/big.bin@${written.big}`, `docs/copy.txt@${written.copy}`].sort();
    expect(await versions(FRA)).toEqual(expected);
    expect(await versions(GVA)).toEqual(expected);
    for (const dest of [FRA, GVA]) {
      const got = await s3.send(new GetObjectCommand({ Bucket: dest, Key: "docs/a.txt" }));
      expect(Buffer.compare(await streamToBuffer(got.Body), body)).toBe(0);
      expect(got).toMatchObject({
        VersionId: written.v2,
        ContentType: "text/x-test",
        CacheControl: "max-age=60",
        ContentDisposition: "inline",
        Metadata: { colour: "blue" },
        ReplicationStatus: "REPLICA",
        TagCount: 2,
      });
      const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: dest, Key: "docs/a.txt" }));
      expect(tags.TagSet).toEqual([
        { Key: "team", Value: "storage" },
        { Key: "tier", Value: "1" },
      ]);
      const acl = await s3.send(new GetObjectAclCommand({ Bucket: dest, Key: "docs/a.txt" }));
      expect(acl.Grants).toContainEqual({ Grantee: { Type: "Group", URI: "http://acs.amazonaws.com/groups/global/AllUsers" }, Permission: "READ" });
      const first = await s3.send(new GetObjectCommand({ Bucket: dest, Key: "docs/a.txt", VersionId: written.v1 }));
      expect(await first.Body!.transformToString()).toBe("first");
      const src = await s3.send(new HeadObjectCommand({ Bucket: SRC, Key: "docs/big.bin" }));
      const big = await s3.send(new GetObjectCommand({ Bucket: dest, Key: "docs/big.bin" }));
      expect({ etag: big.ETag, size: big.ContentLength, meta: big.Metadata }).toEqual({ etag: src.ETag, size: src.ContentLength, meta: { kind: "multipart" } });
      const srcBytes = await streamToBuffer((await s3.send(new GetObjectCommand({ Bucket: SRC, Key: "docs/big.bin" }))).Body);
      expect(Buffer.compare(await streamToBuffer(big.Body), srcBytes)).toBe(0);
    }
    for (const key of ["docs/a.txt", "docs/big.bin", "docs/copy.txt"]) expect(await status(SRC, key)).toBe("COMPLETED");
    expect(await status(SRC, "docs/a.txt", written.v1)).toBe("COMPLETED");
    // The prefix filter kept other/ out.
    await expect(s3.send(new HeadObjectCommand({ Bucket: FRA, Key: "other/x.txt" }))).rejects.toMatchObject({ name: "NotFound" });
    // SSE-C versions are not replicated (the server has no key): FAILED, as on Exoscale.
    const key = randomBytes(32);
    const sse = { SSECustomerAlgorithm: "AES256", SSECustomerKey: key.toString("base64") };
    const ssecVersion = (await s3.send(new PutObjectCommand({ Bucket: SRC, Key: "docs/secret2.txt", Body: "x", ...sse }))).VersionId;
    await runCron(h);
    expect(await status(SRC, "docs/secret2.txt", ssecVersion, sse)).toBe("FAILED");
    expect((await versions(FRA)).some((v) => v.startsWith("docs/secret"))).toBe(false);
    // Within one zone the replica shares the source's blobs: ch-gva-2 gained none for GVA's copies.
    expect((await r2Keys(h.mf, "R2_CH_GVA_2")).length).toBe(gvaBlobsBefore + 1); // the second SSE-C object only
    // Replicas are not replicated again, though FRA has a rule to CHAIN.
    expect(await versions(CHAIN)).toEqual([]);
  });

  it("replicates a delete marker where the rule says so and not where it does not; a versioned delete is not replicated", async () => {
    const marker = await s3.send(new DeleteObjectCommand({ Bucket: SRC, Key: "docs/a.txt" }));
    expect(marker.DeleteMarker).toBe(true);
    await s3.send(new DeleteObjectCommand({ Bucket: SRC, Key: "docs/copy.txt", VersionId: written.copy }));
    await runCron(h);
    expect(await versions(FRA)).toContain(`docs/a.txt@${marker.VersionId}(marker)`);
    await expect(s3.send(new HeadObjectCommand({ Bucket: FRA, Key: "docs/a.txt" }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    // GVA's rule has DeleteMarkerReplication Disabled: its latest is still the second version.
    expect(await versions(GVA)).not.toContain(`docs/a.txt@${marker.VersionId}(marker)`);
    expect((await s3.send(new HeadObjectCommand({ Bucket: GVA, Key: "docs/a.txt" }))).VersionId).toBe(written.v2);
    // Deleting one version permanently stays on the source.
    for (const dest of [FRA, GVA]) expect(await versions(dest)).toContain(`docs/copy.txt@${written.copy}`);
  });

  it("changes nothing when the job runs again (every copy is settled once)", async () => {
    const before = [await versions(FRA), await versions(GVA), await r2Keys(h.mf, "R2_DE_FRA_1")];
    await runCron(h);
    expect([await versions(FRA), await versions(GVA), await r2Keys(h.mf, "R2_DE_FRA_1")]).toEqual(before);
  });
});

describe("racing runs and the destination owner's permission", () => {
  const dest = (name: string) => ({ Bucket: `arn:aws:s3:::${name}` });
  const all = (name: string) => ({
    Role: ROLE,
    Rules: [
      { ID: "all", Priority: 1, Status: "Enabled" as const, Filter: {}, Destination: dest(name), DeleteMarkerReplication: { Status: "Disabled" as const } },
    ],
  });

  it("makes each copy exactly once when several runs race over the same pending copies", async () => {
    await bucket("race-src");
    await bucket("race-dst", { zone: "de-fra-1" });
    await replication("race-src", all("race-dst"));
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await s3.send(new PutObjectCommand({ Bucket: "race-src", Key: `k${i}`, Body: randomBytes(2048) }))).VersionId!);
    const blobsBefore = (await r2Keys(h.mf, "R2_DE_FRA_1")).length;
    // Three scans at once, and every job message delivered twice.
    await setFaults(h, { duplicateSends: true });
    try {
      await Promise.all([runCron(h), runCron(h), runCron(h)]);
    } finally {
      await setFaults(h, {});
    }
    expect(await versions("race-dst")).toEqual(ids.map((id, i) => `k${i}@${id}`).sort());
    // Blobs a losing run copied were freed: the zone holds exactly one new blob per copy.
    expect((await r2Keys(h.mf, "R2_DE_FRA_1")).length).toBe(blobsBefore + ids.length);
    for (let i = 0; i < 6; i++) expect(await status("race-src", `k${i}`)).toBe("COMPLETED");
  });

  it("writes a destination owned by another user only once its bucket ACL grants the source's owner WRITE", async () => {
    const other = await createUser(h, "replication-destination-owner");
    const theirs = withoutExpectContinue(h.client(await createKey(h, other.userId)));
    await theirs.send(new CreateBucketCommand({ Bucket: "theirs-dst" }));
    await theirs.send(new PutBucketVersioningCommand({ Bucket: "theirs-dst", VersioningConfiguration: { Status: "Enabled" } }));
    await bucket("perm-src");
    await replication("perm-src", all("theirs-dst"));
    await s3.send(new PutObjectCommand({ Bucket: "perm-src", Key: "refused", Body: "no" }));
    await runCron(h);
    expect(await status("perm-src", "refused")).toBe("FAILED");
    expect((await theirs.send(new ListObjectVersionsCommand({ Bucket: "theirs-dst" }))).Versions).toBeUndefined();
    await theirs.send(new PutBucketAclCommand({ Bucket: "theirs-dst", GrantWrite: `id=${ROOT_USER_ID}`, GrantFullControl: `id=${other.userId}` }));
    const allowed = await s3.send(new PutObjectCommand({ Bucket: "perm-src", Key: "allowed", Body: "yes" }));
    await runCron(h);
    expect(await status("perm-src", "allowed")).toBe("COMPLETED");
    const listed = await theirs.send(new ListObjectVersionsCommand({ Bucket: "theirs-dst" }));
    expect(listed.Versions?.map((v) => `${v.Key}@${v.VersionId}`)).toEqual([`allowed@${allowed.VersionId}`]);
    // FAILED is final: the refused version stays FAILED.
    expect(await status("perm-src", "refused")).toBe("FAILED");
  });
});

describe("copies started right after the write (default settings)", () => {
  let h2: Harness;
  let c2: S3Client;
  beforeAll(async () => {
    h2 = await startWorker();
    c2 = h2.client();
  });
  afterAll(() => h2?.dispose());

  it("converges without the cron, by the jobs sent after each write, across zones", async () => {
    for (const [Bucket, zone] of [
      ["fast-src", undefined],
      ["fast-dst", "de-fra-1"],
    ] as const) {
      await c2.send(new CreateBucketCommand({ Bucket, CreateBucketConfiguration: zone ? { LocationConstraint: zone as never } : undefined }));
      await c2.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: "Enabled" } }));
    }
    await c2.send(
      new PutBucketReplicationCommand({
        Bucket: "fast-src",
        ReplicationConfiguration: {
          Role: ROLE,
          Rules: [
            {
              ID: "all",
              Priority: 1,
              Status: "Enabled",
              Filter: {},
              Destination: { Bucket: "arn:aws:s3:::fast-dst" },
              DeleteMarkerReplication: { Status: "Enabled" },
            },
          ],
        },
      }),
    );
    const N = 20;
    const started = performance.now();
    const ids = await Promise.all(
      Array.from(
        { length: N },
        async (_, i) => (await c2.send(new PutObjectCommand({ Bucket: "fast-src", Key: `k${i}`, Body: randomBytes(1024) }))).VersionId!,
      ),
    );
    const expected = ids.map((id, i) => `k${i}@${id}`).sort();
    let seen: string[] = [];
    // Bounded wait for work deferred after the responses (no timing is asserted; the figure is logged).
    for (let i = 0; i < 200 && seen.length < N; i++) {
      const r = await c2.send(new ListObjectVersionsCommand({ Bucket: "fast-dst" }));
      seen = (r.Versions ?? []).map((v) => `${v.Key}@${v.VersionId}`).sort();
      if (seen.length < N) await new Promise((r) => setTimeout(r, 50));
    }
    console.log(
      `bucket replication: ${N} PUTs (1 KiB, ch-gva-2 -> de-fra-1) converged ${Math.round(performance.now() - started)} ms after the first PUT started`,
    );
    expect(seen).toEqual(expected);
    expect((await c2.send(new HeadObjectCommand({ Bucket: "fast-src", Key: "k0" }))).ReplicationStatus).toBe("COMPLETED");
  });

  it("makes a copy whose job message was lost when the cron's scan runs", async () => {
    await setFaults(h2, { dropSends: true });
    let lost: string | undefined;
    try {
      lost = (await c2.send(new PutObjectCommand({ Bucket: "fast-src", Key: "lost", Body: "message dropped" }))).VersionId;
      await settleJobs(h2);
    } finally {
      await setFaults(h2, {});
    }
    expect((await c2.send(new HeadObjectCommand({ Bucket: "fast-src", Key: "lost" }))).ReplicationStatus).toBe("PENDING");
    await runCron(h2);
    expect((await c2.send(new HeadObjectCommand({ Bucket: "fast-dst", Key: "lost" }))).VersionId).toBe(lost);
    expect((await c2.send(new HeadObjectCommand({ Bucket: "fast-src", Key: "lost" }))).ReplicationStatus).toBe("COMPLETED");
  });
});
