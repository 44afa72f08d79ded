/**
 * How many D1 and R2 round trips each common operation makes, counted by wrapping the bindings
 * (test/support/counting-worker.ts) in workerd with real local D1 and R2. The budgets below are
 * today's counts for a warm isolate (authentication and the bucket row served from the bounded
 * caches): a change that adds a round trip fails here and has to say why; one that removes one
 * lowers the budget. A commit's preconditions (the bucket still exists, the replaced or deleted version
 * is not locked, the version limit, conditional headers) are one statement; demoting the previous
 * latest version and deleting a dropped manifest are triggers (migrations/0014). The lock check runs
 * for every bucket, because the cached bucket row may not know yet that object lock was just enabled.
 * Objects of at most SOS_INLINE_MAX_BYTES (default 4 KiB) keep their bytes in their D1 row: no R2 call at all.
 */
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_INLINE_MAX_BYTES } from "../../src/env";
import { startWorker, type Harness } from "./harness";

type Counts = { d1Calls: number; d1Statements: number; r2: Record<string, number> };
let h: Harness;
let s3: S3Client;
const B = "trips";
const V = "trips-versioned";

async function counted(step: () => Promise<unknown>): Promise<Counts> {
  await fetch(`${h.url}/__round-trips`); // reset
  await step();
  await new Promise((r) => setTimeout(r, 100)); // work deferred after the response counts too
  return (await (await fetch(`${h.url}/__round-trips`)).json()) as Counts;
}

beforeAll(async () => {
  // The deployed default: superseded bytes wait for the cron sweep (nothing deferred after the response).
  h = await startWorker(
    { SOS_BLOB_DELETION_GRACE_SECONDS: "86400", SOS_INLINE_MAX_BYTES: String(DEFAULT_INLINE_MAX_BYTES) },
    { entry: "test/support/counting-worker.ts" },
  );
  s3 = h.client();
  await s3.send(new CreateBucketCommand({ Bucket: B }));
  await s3.send(new CreateBucketCommand({ Bucket: V }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: V, VersioningConfiguration: { Status: "Enabled" } }));
  await s3.send(new PutObjectCommand({ Bucket: B, Key: "warm", Body: "warm-up" })); // fills the key and bucket caches
  await s3.send(new PutObjectCommand({ Bucket: V, Key: "warm", Body: "warm-up" }));
});
afterAll(() => h?.dispose());

const small = "x".repeat(DEFAULT_INLINE_MAX_BYTES); // inline: exactly the default SOS_INLINE_MAX_BYTES
const blobSized = "y".repeat(2 * DEFAULT_INLINE_MAX_BYTES); // above it: an R2 blob

describe("round trips per operation (warm caches)", () => {
  it.each([
    [
      "PutObject at the inline limit (new key)",
      () => s3.send(new PutObjectCommand({ Bucket: B, Key: "new", Body: small })),
      { d1Calls: 1, d1Statements: 2, r2: {} },
    ],
    [
      "PutObject at the inline limit (overwrite)",
      () => s3.send(new PutObjectCommand({ Bucket: B, Key: "new", Body: small })),
      { d1Calls: 1, d1Statements: 2, r2: {} },
    ],
    [
      "GetObject at the inline limit",
      () => s3.send(new GetObjectCommand({ Bucket: B, Key: "new" })).then((r) => r.Body!.transformToByteArray()),
      { d1Calls: 1, d1Statements: 1, r2: {} },
    ],
    [
      "PutObject above the inline limit, R2 blob (new key)",
      () => s3.send(new PutObjectCommand({ Bucket: B, Key: "blob", Body: blobSized })),
      { d1Calls: 1, d1Statements: 2, r2: { put: 1 } },
    ],
    [
      "PutObject above the inline limit, R2 blob (overwrite)",
      () => s3.send(new PutObjectCommand({ Bucket: B, Key: "blob", Body: blobSized })),
      { d1Calls: 1, d1Statements: 2, r2: { put: 1 } },
    ],
    [
      "GetObject above the inline limit, R2 blob",
      () => s3.send(new GetObjectCommand({ Bucket: B, Key: "blob" })).then((r) => r.Body!.transformToByteArray()),
      { d1Calls: 1, d1Statements: 1, r2: { get: 1 } },
    ],
    ["HeadObject", () => s3.send(new HeadObjectCommand({ Bucket: B, Key: "new" })), { d1Calls: 1, d1Statements: 1, r2: {} }],
    ["ListObjectsV2", () => s3.send(new ListObjectsV2Command({ Bucket: B })), { d1Calls: 1, d1Statements: 1, r2: {} }],
    ["DeleteObject", () => s3.send(new DeleteObjectCommand({ Bucket: B, Key: "new" })), { d1Calls: 1, d1Statements: 5, r2: {} }],
    [
      "PutObject in a versioned bucket (a new version: nothing dropped)",
      () => s3.send(new PutObjectCommand({ Bucket: V, Key: "v", Body: blobSized })),
      { d1Calls: 1, d1Statements: 2, r2: { put: 1 } },
    ],
  ] as const)("%s", async (_name, step, budget) => {
    await s3.send(new HeadObjectCommand({ Bucket: B, Key: "warm" })); // keep the caches warm
    await s3.send(new HeadObjectCommand({ Bucket: V, Key: "warm" }));
    const c = await counted(step);
    expect(c.d1Calls, `D1 round trips: ${JSON.stringify(c)}`).toBeLessThanOrEqual(budget.d1Calls);
    expect(c.d1Statements, "SQL statements").toBeLessThanOrEqual(budget.d1Statements);
    expect(c.r2, "R2 calls").toEqual(budget.r2);
  });

  it("a full page of ListObjectsV2 (1000 keys of 1,500) is one D1 read, truncation included", async () => {
    const db = await h.mf.getD1Database("DB");
    await s3.send(new CreateBucketCommand({ Bucket: "trips-list" }));
    const bucket = await db.prepare("SELECT id, owner_id FROM buckets WHERE name = 'trips-list'").first<{ id: string; owner_id: string }>();
    await db
      .prepare(
        `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < 1500)
         INSERT INTO objects (id, bucket_id, key, version_id, seq, is_latest, size, etag, last_modified, owner_id)
         SELECT lower(hex(randomblob(12))), ?1, printf('k%04d', i), 'null', 1, 1, 0, 'd41d8cd98f00b204e9800998ecf8427e', 0, ?2 FROM n`,
      )
      .bind(bucket!.id, bucket!.owner_id)
      .run();
    await s3.send(new ListObjectsV2Command({ Bucket: "trips-list", MaxKeys: 1 })); // the bucket row into the cache
    let page: { KeyCount?: number; IsTruncated?: boolean } = {};
    const c = await counted(async () => (page = await s3.send(new ListObjectsV2Command({ Bucket: "trips-list", MaxKeys: 1000 }))));
    expect(page).toMatchObject({ KeyCount: 1000, IsTruncated: true });
    expect(c).toMatchObject({ d1Calls: 1, d1Statements: 1 });
  });
});
