/**
 * The store tier: the D1 store (src/store/d1) against Miniflare's real local D1 with the
 * migrations applied, called directly from Node (no Worker, no HTTP). One database per test file;
 * tests keep apart by using their own bucket ids and names.
 */
import { Miniflare } from "miniflare";
import { newVersionRow } from "../../src/ops/version-row";
import { MetaStore } from "../../src/store/d1";
import type { Bucket, NewObjectVersion } from "../../src/store/model";
import { applyMigrations } from "../support/worker";

export type StoreHarness = { meta: MetaStore; db: D1Database; dispose: () => Promise<void> };

export async function startStore(): Promise<StoreHarness> {
  const mf = new Miniflare({
    modules: true,
    script: "export default { fetch() { return new Response(null, { status: 404 }); } };",
    d1Databases: ["DB"],
    host: "127.0.0.1",
    port: 0,
  });
  await applyMigrations(mf);
  const db = (await mf.getD1Database("DB")) as unknown as D1Database;
  return { meta: new MetaStore(db), db, dispose: () => mf.dispose() };
}

let counter = 0;
/** A name no other test of this process uses. */
export const unique = (prefix: string): string => `${prefix}-${process.pid}-${++counter}`;

/** Creates a user and a bucket owned by them (versioning as given), returning the bucket. */
export async function newBucket(meta: MetaStore, versioning: Bucket["versioning"] = null, maxBuckets = 10): Promise<Bucket> {
  const ownerId = unique("user");
  await meta.users.create({ id: ownerId, displayName: ownerId, email: null, maxBuckets, createdAt: 1 });
  const b: Bucket = {
    id: unique("bkt"),
    name: unique("name"),
    ownerId,
    zone: "zone-a",
    createdAt: 1,
    versioning,
    acl: null,
    cors: null,
    tags: [],
    policy: null,
    publicAccessBlock: null,
    objectOwnership: null,
    objectLock: null,
    lifecycle: null,
    replication: null,
  };
  if (!(await meta.buckets.create(b))) throw new Error("bucket not created");
  return b;
}

/** A version row for `key` in `bucket`, as the operations build one: an ordinary single-blob object of 10 bytes. */
export function version(bucket: Bucket, key: string, over: Partial<NewObjectVersion> = {}): NewObjectVersion {
  return newVersionRow(bucket, key, 1, { ownerId: bucket.ownerId, size: 10, etag: "e0", blobKey: unique("blob"), ...over });
}

/** The S3 error reason (the code itself unless a specific reason such as objectLocked) a promise rejects with (null when it resolves). */
export const codeOf = (p: Promise<unknown>): Promise<string | null> =>
  p.then(
    () => null,
    (e: { reason?: string; code?: string }) => e.reason ?? e.code ?? `not an S3Error: ${String(e)}`,
  );

/** Rows of `table` matching `where`. */
export async function rows<T = Record<string, unknown>>(db: D1Database, sql: string, ...params: unknown[]): Promise<T[]> {
  return (
    await db
      .prepare(sql)
      .bind(...params)
      .all<T>()
  ).results;
}
