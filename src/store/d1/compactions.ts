/**
 * Manifest compaction's state (migrations/0011): which manifests are queued, how far each is, the
 * internal parts uploaded, the scan position, and the swap that makes a compacted blob the object's.
 */
import type { Compaction, CompactionSource } from "../model";
import { assertion, commit } from "./batch";
import { blobKeysOf } from "./rows";

type CompactionRow = {
  object_id: string;
  zone: string;
  blob_key: string | null;
  upload_id: string | null;
  part_bytes: number | null;
  next_part: number;
  source_offset: number;
};

const toCompaction = (r: CompactionRow): Compaction => ({
  objectId: r.object_id,
  zone: r.zone,
  blobKey: r.blob_key,
  uploadId: r.upload_id,
  partBytes: r.part_bytes,
  nextPart: r.next_part,
  sourceOffset: r.source_offset,
});

/** The statement a commit adds to its batch to queue the compaction of the manifest it creates. */
export function compactionMark(db: D1Database, objectId: string, zone: string, now: number): D1PreparedStatement {
  return db.prepare("INSERT OR IGNORE INTO compactions (object_id, zone, enqueued_at) VALUES (?, ?, ?)").bind(objectId, zone, now);
}

export class Compactions {
  constructor(private readonly db: D1Database) {}

  /** Claims the oldest queued compaction no other run holds, until `leaseUntil`; null when there is none. */
  async claimNext(now: number, leaseUntil: number): Promise<Compaction | null> {
    const r = await this.db
      .prepare(
        `UPDATE compactions SET lease_until = ?1, updated_at = ?2 WHERE object_id =
           (SELECT object_id FROM compactions WHERE failed IS NULL AND lease_until < ?2 ORDER BY enqueued_at LIMIT 1)
         AND lease_until < ?2 RETURNING *`,
      )
      .bind(leaseUntil, now)
      .first<CompactionRow>();
    return r ? toCompaction(r) : null;
  }

  /** The object row being compacted, or null once it is gone (deleted, or replaced in an unversioned bucket). */
  async source(objectId: string): Promise<CompactionSource | null> {
    const r = await this.db
      .prepare("SELECT id, bucket_id, size, part_count, blob_key, ssec_key_md5 FROM objects WHERE id = ?")
      .bind(objectId)
      .first<{ id: string; bucket_id: string; size: number; part_count: number | null; blob_key: string | null; ssec_key_md5: string | null }>();
    return r && { id: r.id, bucketId: r.bucket_id, size: r.size, partCount: r.part_count, blobKey: r.blob_key, ssecKeyMd5: r.ssec_key_md5 };
  }

  /** Records the R2 multipart upload a compaction writes its new blob with. */
  async start(objectId: string, blobKey: string, uploadId: string, partBytes: number, now: number): Promise<void> {
    await this.db
      .prepare("UPDATE compactions SET blob_key = ?, upload_id = ?, part_bytes = ?, updated_at = ? WHERE object_id = ?")
      .bind(blobKey, uploadId, partBytes, now, objectId)
      .run();
  }

  /** Records one uploaded internal part and where the next one starts. */
  async partUploaded(objectId: string, partNumber: number, etag: string, sourceOffset: number, now: number): Promise<void> {
    await this.db.batch([
      this.db.prepare("INSERT OR REPLACE INTO compaction_parts (object_id, part_number, etag) VALUES (?, ?, ?)").bind(objectId, partNumber, etag),
      this.db
        .prepare("UPDATE compactions SET next_part = ?, source_offset = ?, updated_at = ? WHERE object_id = ?")
        .bind(partNumber + 1, sourceOffset, now, objectId),
    ]);
  }

  /** The uploaded internal parts, in order. */
  async uploadedParts(objectId: string): Promise<{ partNumber: number; etag: string }[]> {
    const { results } = await this.db
      .prepare("SELECT part_number, etag FROM compaction_parts WHERE object_id = ? ORDER BY part_number")
      .bind(objectId)
      .all<{ part_number: number; etag: string }>();
    return results.map((r) => ({ partNumber: r.part_number, etag: r.etag }));
  }

  /** Starts a compaction over (its R2 upload is gone: R2 aborts uploads left incomplete for 7 days). */
  async restart(objectId: string, now: number): Promise<void> {
    await this.db.batch([
      this.db.prepare("DELETE FROM compaction_parts WHERE object_id = ?").bind(objectId),
      this.db
        .prepare(
          "UPDATE compactions SET blob_key = NULL, upload_id = NULL, part_bytes = NULL, next_part = 1, source_offset = 0, updated_at = ? WHERE object_id = ?",
        )
        .bind(now, objectId),
    ]);
  }

  /** Ends this run's hold on the row, so the next run may resume it at once. */
  async release(objectId: string): Promise<void> {
    await this.db.prepare("UPDATE compactions SET lease_until = 0 WHERE object_id = ?").bind(objectId).run();
  }

  /**
   * Leaves the manifest as it is, for good (the reason is kept for operators), queueing the new
   * blob, if one was started, for deletion.
   */
  async fail(objectId: string, zone: string, blobKey: string | null, reason: string, now: number): Promise<void> {
    await this.db.batch([
      ...this.queueDeletion(zone, blobKey, now),
      this.db.prepare("DELETE FROM compaction_parts WHERE object_id = ?").bind(objectId),
      this.db
        .prepare("UPDATE compactions SET failed = ?, blob_key = NULL, upload_id = NULL, lease_until = 0, updated_at = ? WHERE object_id = ?")
        .bind(reason, now, objectId),
    ]);
  }

  private queueDeletion(zone: string, blobKey: string | null, now: number): D1PreparedStatement[] {
    return blobKey ? [this.db.prepare("INSERT OR IGNORE INTO blob_deletions (zone, blob_key, enqueued_at) VALUES (?, ?, ?)").bind(zone, blobKey, now)] : [];
  }

  /**
   * The swap, in one batch: only if the row still exists as this manifest (NoSuchKey otherwise), its
   * bytes move to `blobKey` (the object row and every manifest part point at it, offsets unchanged,
   * so partNumber reads and part checksums stay as they were), and the part blobs are queued for
   * deletion. Returns those queued blob keys.
   */
  async swap(objectId: string, zone: string, blobKey: string, now: number): Promise<string[]> {
    const db = this.db;
    const results = await commit(db, [
      assertion(db, "NoSuchKey", "NOT EXISTS (SELECT 1 FROM objects WHERE id = ?2 AND blob_key IS NULL AND part_count IS NOT NULL)", objectId),
      db
        .prepare(
          `INSERT OR IGNORE INTO blob_deletions (zone, blob_key, enqueued_at)
           SELECT DISTINCT ?2, blob_key, ?3 FROM object_parts WHERE object_id = ?1 RETURNING blob_key`,
        )
        .bind(objectId, zone, now),
      db.prepare("UPDATE object_parts SET blob_key = ? WHERE object_id = ?").bind(blobKey, objectId),
      db.prepare("UPDATE objects SET blob_key = ? WHERE id = ?").bind(blobKey, objectId),
      ...this.forgetStatements(objectId),
    ]);
    return blobKeysOf(results[1]);
  }

  /** Drops a compaction whose manifest is gone, queueing its new blob (if it got that far) for deletion. */
  async abandon(objectId: string, zone: string, blobKey: string | null, now: number): Promise<void> {
    await this.db.batch([...this.queueDeletion(zone, blobKey, now), ...this.forgetStatements(objectId)]);
  }

  private forgetStatements(objectId: string): D1PreparedStatement[] {
    return [
      this.db.prepare("DELETE FROM compaction_parts WHERE object_id = ?").bind(objectId),
      this.db.prepare("DELETE FROM compactions WHERE object_id = ?").bind(objectId),
    ];
  }

  /**
   * One page of the scan for manifests no commit queued (written before compaction existed, or
   * judged against a larger budget): queues those with more than `maxParts` parts (SSE-C ones
   * cannot be compacted) among up to `limit` manifests after the saved position, and saves the new
   * position. Returns how many it queued and whether the scan goes on.
   */
  async scan(maxParts: number, limit: number, now: number): Promise<{ queued: number; more: boolean }> {
    const after = (await this.db.prepare("SELECT after_id FROM compaction_scan WHERE id = 1").first<{ after_id: string }>())?.after_id ?? "";
    const { results } = await this.db
      .prepare(
        `SELECT o.id, o.part_count, o.ssec_key_md5, b.zone FROM objects o JOIN buckets b ON b.id = o.bucket_id
         WHERE o.blob_key IS NULL AND o.part_count IS NOT NULL AND o.id > ? ORDER BY o.id LIMIT ?`,
      )
      .bind(after, limit)
      .all<{ id: string; part_count: number; ssec_key_md5: string | null; zone: string }>();
    const due = results.filter((r) => r.part_count > maxParts && r.ssec_key_md5 === null);
    const more = results.length === limit;
    const position = more
      ? this.db.prepare("INSERT OR REPLACE INTO compaction_scan (id, after_id) VALUES (1, ?)").bind(results[results.length - 1].id)
      : this.db.prepare("DELETE FROM compaction_scan WHERE id = 1");
    const batch = await this.db.batch([...due.map((r) => compactionMark(this.db, r.id, r.zone, now)), position]);
    const queued = batch.slice(0, due.length).filter((r) => r.meta.changes > 0).length;
    return { queued, more };
  }
}
