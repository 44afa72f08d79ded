/** Buckets and their configuration (ACL, versioning, tags, CORS), behind a short-lived per-isolate cache. */
import { BoundedCache, estimateBytes } from "../../logic/bounded-cache";
import type { Acl, Bucket, BucketUsage } from "../model";
import type { CorsRule } from "../../logic/cors";
import type { TagSet } from "../../logic/tags";
import { assertion, commit } from "./batch";
import type { LifecycleRule } from "../../logic/lifecycle";
import type { ReplicationConfig } from "../../logic/replication";
import type { ObjectLockConfig } from "../../logic/object-lock";
import type { ObjectOwnership } from "../../logic/ownership";
import type { PublicAccessBlock } from "../../policy/public";
import { S3Error } from "../../errors";
import {
  readAcl,
  readCors,
  readLifecycle,
  readObjectLock,
  readObjectOwnership,
  readPublicAccessBlock,
  readReplication,
  readTags,
  writeAcl,
  writeCors,
  writeLifecycle,
  writeObjectLock,
  writePublicAccessBlock,
  writeReplication,
  writeTags,
} from "./columns";
import type { BucketRow } from "./rows";

const toBucket = (r: BucketRow): Bucket => ({
  id: r.id,
  name: r.name,
  ownerId: r.owner_id,
  zone: r.zone,
  createdAt: r.created_at,
  versioning: r.versioning ?? null,
  acl: readAcl(r.acl),
  cors: readCors(r.cors),
  tags: readTags(r.tags),
  policy: r.policy,
  publicAccessBlock: readPublicAccessBlock(r.public_access_block),
  objectOwnership: readObjectOwnership(r.object_ownership),
  objectLock: readObjectLock(r.object_lock ?? null),
  lifecycle: readLifecycle(r.lifecycle ?? null),
  replication: readReplication(r.replication ?? null),
});

/**
 * Bucket rows are read by nearly every request and change rarely: an isolate keeps them for a
 * couple of seconds. Every bucket write in this isolate clears the cache; other isolates see a
 * change within the TTL, as S3's own bucket configuration changes propagate eventually. Writes
 * that race a bucket's deletion still fail at commit (the NoSuchBucket assertion), so a stale row
 * can never leave objects behind. Only existing buckets are cached, and the cache is bounded in
 * entries and bytes (ACL and CORS documents can be tens of KB).
 */
export const BUCKET_CACHE_TTL_MS = 2_000;
const bucketCache = new BoundedCache<Bucket>({ ttlMs: BUCKET_CACHE_TTL_MS, maxEntries: 1_000, maxBytes: 4 << 20, sizeOf: (k, b) => estimateBytes([k, b]) });

/** Entry count and estimated bytes of the bucket-row cache (for the bounds test). */
export function bucketCacheSize(): { entries: number; bytes: number } {
  return bucketCache.size();
}

export type BucketPageQuery = { after: string; prefix: string; zone: string | null; only: string | null; limit: number };

export class Buckets {
  constructor(private readonly db: D1Database) {}

  /** The bucket row, from the isolate's short-lived cache when fresh (only existing buckets are cached). */
  async get(name: string): Promise<Bucket | null> {
    const hit = bucketCache.get(name);
    if (hit) return hit;
    const r = await this.db.prepare("SELECT * FROM buckets WHERE name = ?").bind(name).first<BucketRow>();
    if (!r) return null;
    const bucket = toBucket(r);
    bucketCache.set(name, bucket);
    return bucket;
  }

  listOwnedBy(ownerId: string): Promise<Bucket[]> {
    return this.pageOwnedBy(ownerId, { after: "", prefix: "", zone: null, only: null, limit: -1 });
  }

  /** One page of an owner's buckets in name order: after `after`, starting with `prefix`, in `zone`, only `only`; at most `limit`. */
  async pageOwnedBy(ownerId: string, q: BucketPageQuery): Promise<Bucket[]> {
    const { results } = await this.db
      .prepare(
        `SELECT * FROM buckets WHERE owner_id = ?1 AND name > ?2 AND substr(name, 1, length(?3)) = ?3
           AND (?4 IS NULL OR zone = ?4) AND (?5 IS NULL OR name = ?5) ORDER BY name LIMIT ?6`,
      )
      .bind(ownerId, q.after, q.prefix, q.zone, q.only, q.limit)
      .all<BucketRow>();
    return results.map(toBucket);
  }

  async listAll(): Promise<Bucket[]> {
    return (await this.db.prepare("SELECT * FROM buckets ORDER BY name").all<BucketRow>()).results.map(toBucket);
  }

  /** Creates the bucket unless the owner is at their bucket quota (TooManyBuckets) or the name is taken (false). */
  async create(b: Bucket): Promise<boolean> {
    const results = await commit(this.db, [
      assertion(this.db, "TooManyBuckets", "(SELECT COUNT(*) FROM buckets WHERE owner_id = ?2) >= (SELECT max_buckets FROM users WHERE id = ?2)", b.ownerId),
      this.db
        .prepare(
          "INSERT OR IGNORE INTO buckets (id, name, owner_id, zone, created_at, versioning, acl, cors, tags, policy, public_access_block, object_ownership, object_lock, lifecycle, replication) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(
          b.id,
          b.name,
          b.ownerId,
          b.zone,
          b.createdAt,
          b.versioning,
          writeAcl(b.acl),
          writeCors(b.cors),
          writeTags(b.tags),
          b.policy,
          writePublicAccessBlock(b.publicAccessBlock),
          b.objectOwnership,
          writeObjectLock(b.objectLock),
          writeLifecycle(b.lifecycle),
          writeReplication(b.replication),
        ),
    ]);
    return results[1].meta.changes === 1;
  }

  /**
   * Deletes an empty bucket (no object versions or delete markers, else BucketNotEmpty);
   * its unfinished multipart uploads are aborted and their part blobs queued for deletion.
   */
  async delete(b: Bucket, now: number): Promise<void> {
    await commit(this.db, [
      assertion(this.db, "BucketNotEmpty", "EXISTS (SELECT 1 FROM objects WHERE bucket_id = ?2)", b.id),
      this.db
        .prepare(
          `INSERT OR IGNORE INTO blob_deletions (zone, blob_key, enqueued_at)
           SELECT ?, p.blob_key, ? FROM upload_parts p JOIN multipart_uploads u ON u.id = p.upload_id WHERE u.bucket_id = ?`,
        )
        .bind(b.zone, now, b.id),
      this.db.prepare("DELETE FROM upload_parts WHERE upload_id IN (SELECT id FROM multipart_uploads WHERE bucket_id = ?)").bind(b.id),
      this.db.prepare("DELETE FROM multipart_uploads WHERE bucket_id = ?").bind(b.id),
      this.db.prepare("DELETE FROM buckets WHERE id = ?").bind(b.id),
    ]);
    bucketCache.clear();
  }

  /** Sets one configuration column and forgets the cached rows. */
  private async set(
    column: "acl" | "versioning" | "tags" | "cors" | "policy" | "public_access_block" | "object_ownership" | "lifecycle" | "replication",
    bucketId: string,
    value: string | null,
  ): Promise<void> {
    await this.db.prepare(`UPDATE buckets SET ${column} = ? WHERE id = ?`).bind(value, bucketId).run();
    bucketCache.clear();
  }

  /** Replaces the bucket's ACL (null = private). */
  setAcl(bucketId: string, acl: Acl): Promise<void> {
    return this.set("acl", bucketId, writeAcl(acl));
  }

  /**
   * Sets the versioning state; a bucket with object lock or a replication configuration cannot be
   * suspended (InvalidBucketState), checked in the same statement.
   */
  async setVersioning(bucketId: string, status: "Enabled" | "Suspended"): Promise<void> {
    const r = await this.db
      .prepare(
        `UPDATE buckets SET versioning = ?1 WHERE id = ?2 AND (?1 = 'Enabled' OR (object_lock IS NULL AND replication IS NULL))
         RETURNING id`,
      )
      .bind(status, bucketId)
      .all();
    bucketCache.clear();
    if (r.results.length === 0) {
      const held = await this.db.prepare("SELECT object_lock IS NOT NULL AS locked FROM buckets WHERE id = ?").bind(bucketId).first<{ locked: number }>();
      throw new S3Error(held?.locked ? "versioningFixedByObjectLock" : "versioningFixedByReplication");
    }
  }

  /**
   * Replaces the replication configuration (null removes it); the bucket must still be versioned
   * (InvalidRequest), checked in the same statement, so a racing suspension cannot slip between.
   */
  async setReplication(bucketId: string, config: ReplicationConfig | null): Promise<void> {
    if (config === null) return this.set("replication", bucketId, null);
    const r = await this.db
      .prepare("UPDATE buckets SET replication = ? WHERE id = ? AND versioning = 'Enabled'")
      .bind(writeReplication(config), bucketId)
      .run();
    bucketCache.clear();
    if (r.meta.changes === 0) throw new S3Error("replicationNeedsVersioning");
  }

  /** A bucket by id (the replication copier's source), not cached. */
  async byId(bucketId: string): Promise<Bucket | null> {
    const r = await this.db.prepare("SELECT * FROM buckets WHERE id = ?").bind(bucketId).first<BucketRow>();
    return r ? toBucket(r) : null;
  }

  /** Enables object lock (or replaces its default retention); versioning must be Enabled (InvalidBucketState), checked in the same statement. */
  async setObjectLock(bucketId: string, config: ObjectLockConfig): Promise<void> {
    const r = await this.db.prepare("UPDATE buckets SET object_lock = ? WHERE id = ? AND versioning = 'Enabled'").bind(writeObjectLock(config), bucketId).run();
    bucketCache.clear();
    if (r.meta.changes === 0) throw new S3Error("objectLockNeedsVersioning");
  }

  /** Replaces the bucket's lifecycle rules; null removes them. */
  setLifecycle(bucketId: string, rules: LifecycleRule[] | null): Promise<void> {
    return this.set("lifecycle", bucketId, writeLifecycle(rules));
  }

  /** Buckets with lifecycle rules (the scheduled job's work list). */
  async withLifecycle(): Promise<Bucket[]> {
    return (await this.db.prepare("SELECT * FROM buckets WHERE lifecycle IS NOT NULL ORDER BY name").all<BucketRow>()).results.map(toBucket);
  }

  /** Replaces the bucket's tag set; an empty set removes it. */
  setTags(bucketId: string, tags: TagSet): Promise<void> {
    return this.set("tags", bucketId, writeTags(tags));
  }

  /** Replaces the bucket's CORS rules; null removes them. */
  setCors(bucketId: string, cors: CorsRule[] | null): Promise<void> {
    return this.set("cors", bucketId, writeCors(cors));
  }

  /** Replaces the bucket policy (its JSON as put); null removes it. */
  setPolicy(bucketId: string, policy: string | null): Promise<void> {
    return this.set("policy", bucketId, policy);
  }

  /** Replaces the Block Public Access configuration; null removes it. */
  setPublicAccessBlock(bucketId: string, pab: PublicAccessBlock | null): Promise<void> {
    return this.set("public_access_block", bucketId, writePublicAccessBlock(pab));
  }

  /** Replaces the ownership controls; null removes them. */
  setObjectOwnership(bucketId: string, ownership: ObjectOwnership | null): Promise<void> {
    return this.set("object_ownership", bucketId, ownership);
  }

  /** Live objects and their bytes (billed with S3's 128 KiB minimum object size). */
  async usage(bucketId: string): Promise<BucketUsage> {
    const r = await this.db
      .prepare(
        `SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes, COALESCE(SUM(MAX(size, 131072)), 0) AS billed
         FROM objects WHERE bucket_id = ? AND is_delete_marker = 0`,
      )
      .bind(bucketId)
      .first<{ n: number; bytes: number; billed: number }>();
    return { objectCount: r?.n ?? 0, storedBytes: r?.bytes ?? 0, billedBytes: r?.billed ?? 0 };
  }
}
