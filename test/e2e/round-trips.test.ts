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
      { d1Calls: 1, d1Statements: 4, r2: {} },
    ],
    [
      "PutObject at the inline limit (overwrite)",
      () => s3.send(new PutObjectCommand({ Bucket: B, Key: "new", Body: small })),
      { d1Calls: 1, d1Statements: 4, r2: {} },
    ],
    [
      "GetObject at the inline limit",
      () => s3.send(new GetObjectCommand({ Bucket: B, Key: "new" })).then((r) => r.Body!.transformToByteArray()),
      { d1Calls: 1, d1Statements: 1, r2: {} },
    ],
    [
      "PutObject above the inline limit, R2 blob (new key)",
      () => s3.send(new PutObjectCommand({ Bucket: B, Key: "blob", Body: blobSized })),
      { d1Calls: 1, d1Statements: 4, r2: { put: 1 } },
    ],
    [
      "PutObject above the inline limit, R2 blob (overwrite)",
      () => s3.send(new PutObjectCommand({ Bucket: B, Key: "blob", Body: blobSized })),
      { d1Calls: 1, d1Statements: 4, r2: { put: 1 } },
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
});
