/** Multipart uploads and their parts (completion commits an object version: objects.ts). */
import { S3Error } from "../../errors";
import type { CompletedUpload, MultipartUpload, UploadPart } from "../model";
import { assertion, commit } from "./batch";
import { lockColumns, readAcl, readLock, readTags, writeAcl, writeTags } from "./columns";
import { blobKeysOf, json, type CompletedUploadRow, type UploadPartRow, type UploadRow } from "./rows";

export const toUpload = (r: UploadRow): MultipartUpload => ({
  id: r.id,
  bucketId: r.bucket_id,
  key: r.key,
  initiatedAt: r.initiated_at,
  ownerId: r.owner_id,
  initiatorId: r.initiator_id,
  httpMeta: json(r.http_meta, {}),
  userMeta: json(r.user_meta, {}),
  checksumAlgorithm: r.checksum_algorithm ?? null,
  checksumType: r.checksum_type ?? null,
  ssecKeyMd5: r.ssec_key_md5 ?? null,
  acl: readAcl(r.acl),
  tags: readTags(r.tags),
  storageClass: r.storage_class ?? "STANDARD",
  lock: readLock(r),
});

const toPart = (r: UploadPartRow): UploadPart => ({
  uploadId: r.upload_id,
  partNumber: r.part_number,
  blobKey: r.blob_key,
  size: r.size,
  etag: r.etag,
  checksumValue: r.checksum_value ?? null,
  uploadedAt: r.uploaded_at,
});

/**
 * Statements that turn the chosen parts of an upload into the manifest of object row `objectId`
 * and end the upload: unchosen parts' blobs are queued for deletion. `chosen` is in part order;
 * the commit fails with NoSuchUpload if the upload ended and InvalidPart if any part changed meanwhile.
 */
export function completionStatements(
  db: D1Database,
  zone: string,
  uploadId: string,
  objectId: string,
  chosen: Pick<UploadPart, "partNumber" | "etag">[],
  now: number,
): D1PreparedStatement[] {
  const list = JSON.stringify(chosen.map((p) => ({ n: p.partNumber, e: p.etag })));
  const picked = "SELECT json_extract(value, '$.n') FROM json_each(?2)";
  return [
    assertion(db, "NoSuchUpload", "NOT EXISTS (SELECT 1 FROM multipart_uploads WHERE id = ?2)", uploadId),
    assertion(
      db,
      "InvalidPart",
      `(SELECT COUNT(*) FROM upload_parts p JOIN json_each(?3) j ON p.part_number = json_extract(j.value, '$.n') AND p.etag = json_extract(j.value, '$.e')
        WHERE p.upload_id = ?2) != json_array_length(?3)`,
      uploadId,
      list,
    ),
    db
      .prepare(
        `INSERT INTO object_parts (object_id, part_number, blob_key, size, start_offset, etag, checksum_value)
         SELECT ?3, part_number, blob_key, size, SUM(size) OVER (ORDER BY part_number ROWS UNBOUNDED PRECEDING) - size, etag, checksum_value
         FROM upload_parts WHERE upload_id = ?1 AND part_number IN (${picked})`,
      )
      .bind(uploadId, list, objectId),
    db
      .prepare(
        `INSERT OR IGNORE INTO blob_deletions (zone, blob_key, enqueued_at)
         SELECT ?3, blob_key, ?4 FROM upload_parts WHERE upload_id = ?1 AND part_number NOT IN (${picked})`,
      )
      .bind(uploadId, list, zone, now),
    db.prepare("DELETE FROM upload_parts WHERE upload_id = ?").bind(uploadId),
    db.prepare("DELETE FROM multipart_uploads WHERE id = ?").bind(uploadId),
    // What the completion answered, for a client that retries it (Uploads.completed).
    db
      .prepare(
        `INSERT OR REPLACE INTO completed_uploads (id, bucket_id, key, version_id, etag, checksum_algorithm, checksum_value, checksum_type, ssec_key_md5, completed_at)
         SELECT ?1, bucket_id, key, version_id, etag, checksum_algorithm, checksum_value, checksum_type, ssec_key_md5, ?3 FROM objects WHERE id = ?2`,
      )
      .bind(uploadId, objectId, now),
  ];
}

/**
 * How long a completed upload is remembered: a CompleteMultipartUpload retried within this time
 * (a client that lost the first answer) is answered the same again. S3 documents no figure; clients
 * retry within seconds or minutes.
 */
export const COMPLETED_UPLOAD_MEMORY_MS = 3600 * 1000;

const toCompleted = (r: CompletedUploadRow): CompletedUpload => ({
  uploadId: r.id,
  versionId: r.version_id,
  etag: r.etag,
  checksum:
    r.checksum_algorithm && r.checksum_value ? { algorithm: r.checksum_algorithm, value: r.checksum_value, type: r.checksum_type ?? "COMPOSITE" } : null,
  ssecKeyMd5: r.ssec_key_md5,
  completedAt: r.completed_at,
});

export class Uploads {
  constructor(private readonly db: D1Database) {}

  /** Records a new upload; NoSuchBucket if the bucket was deleted meanwhile. */
  async create(u: MultipartUpload): Promise<void> {
    const r = await this.db
      .prepare(
        `INSERT INTO multipart_uploads (id, bucket_id, key, initiated_at, owner_id, initiator_id, http_meta, user_meta,
           checksum_algorithm, checksum_type, ssec_key_md5, acl, tags, storage_class, lock_mode, lock_retain_until, legal_hold)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17 WHERE EXISTS (SELECT 1 FROM buckets WHERE id = ?2)`,
      )
      .bind(
        u.id,
        u.bucketId,
        u.key,
        u.initiatedAt,
        u.ownerId,
        u.initiatorId,
        JSON.stringify(u.httpMeta),
        JSON.stringify(u.userMeta),
        u.checksumAlgorithm,
        u.checksumType,
        u.ssecKeyMd5,
        writeAcl(u.acl),
        writeTags(u.tags),
        u.storageClass,
        ...lockColumns(u.lock),
      )
      .run();
    if (r.meta.changes !== 1) throw new S3Error("NoSuchBucket");
  }

  async get(bucketId: string, key: string, uploadId: string): Promise<MultipartUpload | null> {
    const r = await this.db
      .prepare("SELECT * FROM multipart_uploads WHERE id = ? AND bucket_id = ? AND key = ?")
      .bind(uploadId, bucketId, key)
      .first<UploadRow>();
    return r ? toUpload(r) : null;
  }

  /** Records a part (replacing an earlier upload of the same number); returns the replaced blob keys. */
  async putPart(zone: string, p: UploadPart, opts: { sharedFromObjectId?: string } = {}): Promise<string[]> {
    // A part sharing a copy source's blob (UploadPartCopy) requires the source row at commit time, else a
    // concurrent delete of the source could free the blob this part now refers to.
    const shared =
      opts.sharedFromObjectId === undefined
        ? []
        : [assertion(this.db, "NoSuchKey", "NOT EXISTS (SELECT 1 FROM objects WHERE id = ?2)", opts.sharedFromObjectId)];
    const results = await commit(this.db, [
      ...shared,
      assertion(this.db, "NoSuchUpload", "NOT EXISTS (SELECT 1 FROM multipart_uploads WHERE id = ?2)", p.uploadId),
      this.db
        .prepare(
          `INSERT OR IGNORE INTO blob_deletions (zone, blob_key, enqueued_at)
           SELECT ?, blob_key, ? FROM upload_parts WHERE upload_id = ? AND part_number = ? AND blob_key != ? RETURNING blob_key`,
        )
        .bind(zone, p.uploadedAt, p.uploadId, p.partNumber, p.blobKey),
      this.db
        .prepare(
          `INSERT OR REPLACE INTO upload_parts (upload_id, part_number, blob_key, size, etag, checksum_value, uploaded_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .bind(p.uploadId, p.partNumber, p.blobKey, p.size, p.etag, p.checksumValue, p.uploadedAt),
    ]);
    return blobKeysOf(results[shared.length + 1]);
  }

  async listParts(uploadId: string, afterPart = 0, limit = 10000): Promise<UploadPart[]> {
    const { results } = await this.db
      .prepare("SELECT * FROM upload_parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?")
      .bind(uploadId, afterPart, limit)
      .all<UploadPartRow>();
    return results.map(toPart);
  }

  /** Aborts an upload: forgets it and its parts, queueing their blobs. `existed` is false when there was no such upload. */
  async abort(zone: string, uploadId: string, now: number): Promise<{ existed: boolean; freed: string[] }> {
    const results = await commit(this.db, [
      this.db
        .prepare(
          "INSERT OR IGNORE INTO blob_deletions (zone, blob_key, enqueued_at) SELECT ?, blob_key, ? FROM upload_parts WHERE upload_id = ? RETURNING blob_key",
        )
        .bind(zone, now, uploadId),
      this.db.prepare("DELETE FROM upload_parts WHERE upload_id = ?").bind(uploadId),
      this.db.prepare("DELETE FROM multipart_uploads WHERE id = ?").bind(uploadId),
    ]);
    return { existed: results[2].meta.changes === 1, freed: blobKeysOf(results[0]) };
  }

  /** The upload `uploadId` of this key if it was completed since `since` (a retried CompleteMultipartUpload). */
  async completed(bucketId: string, key: string, uploadId: string, since: number): Promise<CompletedUpload | null> {
    const r = await this.db
      .prepare("SELECT * FROM completed_uploads WHERE id = ? AND bucket_id = ? AND key = ? AND completed_at >= ?")
      .bind(uploadId, bucketId, key, since)
      .first<CompletedUploadRow>();
    return r ? toCompleted(r) : null;
  }

  /** Forgets uploads completed before `before` (the scheduled sweep); returns how many. */
  async forgetCompletedBefore(before: number): Promise<number> {
    const r = await this.db.prepare("DELETE FROM completed_uploads WHERE completed_at < ?").bind(before).run();
    return r.meta.changes;
  }

  /** Uploads initiated before `before` (for the abandoned-upload sweep). */
  async stale(before: number, limit: number): Promise<{ id: string; zone: string }[]> {
    const { results } = await this.db
      .prepare("SELECT u.id, b.zone FROM multipart_uploads u JOIN buckets b ON b.id = u.bucket_id WHERE u.initiated_at < ? ORDER BY u.initiated_at LIMIT ?")
      .bind(before, limit)
      .all<{ id: string; zone: string }>();
    return results;
  }

  /** A bucket's uploads initiated before `before`, oldest first (lifecycle's AbortIncompleteMultipartUpload). */
  async initiatedBefore(bucketId: string, before: number, limit = 1000): Promise<Pick<MultipartUpload, "id" | "key" | "initiatedAt">[]> {
    const { results } = await this.db
      .prepare("SELECT id, key, initiated_at FROM multipart_uploads WHERE bucket_id = ? AND initiated_at < ? ORDER BY initiated_at LIMIT ?")
      .bind(bucketId, before, limit)
      .all<Pick<UploadRow, "id" | "key" | "initiated_at">>();
    return results.map((r) => ({ id: r.id, key: r.key, initiatedAt: r.initiated_at }));
  }
}
