/**
 * Object versions: reads, the commit of a new version (a write, a copy, a completed multipart
 * upload, a delete marker) and the permanent deletion of one version. Every commit queues the
 * blobs of the row it replaces in blob_deletions, in the same transaction.
 */
import type { TagSet } from "../../logic/tags";
import type { ReplicationStatus } from "../../logic/replication";
import type { Acl, Bucket, NewObjectVersion, ObjectPart, ObjectVersion, ReplicationTask, UploadPart, VersionMeta } from "../model";
import { owedCopiesStatements, settleStatements } from "./replication";
import { assertion, type Check, checks, commit } from "./batch";
import type { Retention } from "../../logic/object-lock";
import { lockColumns, readAcl, readLock, readTags, writeAcl, writeTags } from "./columns";
import { blobKeysOf, json, OBJECT_META_COLUMNS, type ObjectPartRow, type ObjectRow } from "./rows";
import { completionStatements } from "./uploads";
import { compactionMark } from "./compactions";
import { decodeTrustedBase64, toBase64 } from "../../logic/encoding";

/**
 * A small object's bytes are stored as base64 text: D1's binding carries a BLOB as a JSON array of
 * numbers each way, which cost a 4 KiB PUT about 1.2 ms and a GET 0.8 ms of CPU (docs/benchmarks.md).
 * Rows written as BLOBs before this (an array or buffer here) still read.
 */
const inlineBodyOf = (stored: ObjectRow["inline_body"]): Uint8Array | null =>
  stored == null ? null : typeof stored === "string" ? decodeTrustedBase64(stored) : new Uint8Array(stored);

export const toVersion = (r: ObjectRow): ObjectVersion => ({ ...toVersionMeta(r), inlineBody: inlineBodyOf(r.inline_body) });

const toVersionMeta = (r: ObjectRow): VersionMeta => ({
  id: r.id,
  bucketId: r.bucket_id,
  key: r.key,
  versionId: r.version_id,
  seq: r.seq,
  isLatest: r.is_latest === 1,
  isDeleteMarker: r.is_delete_marker === 1,
  size: r.size,
  etag: r.etag ?? "",
  lastModified: r.last_modified,
  ownerId: r.owner_id,
  blobKey: r.blob_key ?? null,
  partCount: r.part_count ?? null,
  httpMeta: json(r.http_meta, {}),
  userMeta: json(r.user_meta, {}),
  checksumAlgorithm: r.checksum_algorithm ?? null,
  checksumValue: r.checksum_value ?? null,
  checksumType: r.checksum_type ?? null,
  ssecKeyMd5: r.ssec_key_md5 ?? null,
  acl: readAcl(r.acl),
  tags: readTags(r.tags),
  tagCount: r.tag_count ?? 0,
  storageClass: r.storage_class ?? "STANDARD",
  lock: readLock(r),
  replicationStatus: (r.replication_status ?? null) as ReplicationStatus | null,
});

const toPart = (r: ObjectPartRow): ObjectPart => ({
  partNumber: r.part_number,
  blobKey: r.blob_key,
  size: r.size,
  startOffset: r.start_offset,
  etag: r.etag,
  checksumValue: r.checksum_value ?? null,
});

/** Conditions and limits checked when a version commits. */
export type CommitOptions = {
  now: number;
  ifNoneMatchStar?: boolean;
  ifMatchEtag?: string;
  maxVersions?: number;
  /** the key's latest version must still be this row (lifecycle expiring it), else PreconditionFailed */
  ifLatestRowId?: string;
  /** the new version is a manifest with too many parts for one read: queue its compaction in the same batch */
  compact?: boolean;
  /** return the blob keys of the null version it replaces (one statement more; for freeing them at once) */
  reportQueued?: boolean;
};

/** What a permanent delete of one version checks inside its commit. */
export type DeleteOptions = {
  /** a governance bypass that was requested and is allowed (never lifts COMPLIANCE or a legal hold) */
  bypassGovernance?: boolean;
  /** the version must still be this row (NoSuchVersion otherwise): lifecycle deletes only what it judged */
  rowId?: string;
  /** the version must be the key's only one (PreconditionFailed otherwise): an expired delete marker */
  onlyVersion?: boolean;
};

/**
 * The object-lock check of a permanent delete, inside the deleting batch: the version named by
 * (?2 bucket, ?3 key, ?4 version id) may not go while a legal hold is ON or its retention runs
 * past ?5 (now), unless it is GOVERNANCE and ?6 (bypass) is 1.
 */
const LOCKED_VERSION = `EXISTS (SELECT 1 FROM objects WHERE bucket_id = ?2 AND key = ?3 AND version_id = ?4
  AND (legal_hold = 1 OR (lock_retain_until > ?5 AND (lock_mode = 'COMPLIANCE' OR ?6 = 0))))`;

export class Objects {
  constructor(private readonly db: D1Database) {}

  /** The latest version (possibly a delete marker), or a given version. */
  async get(bucketId: string, key: string, versionId?: string | null): Promise<ObjectVersion | null> {
    const r = await this.versionRow("*", bucketId, key, versionId);
    return r ? toVersion(r) : null;
  }

  /**
   * The same without an inline object's bytes (for every operation but GetObject): the row's other
   * columns, so D1 neither reads nor returns the up to SOS_INLINE_MAX_BYTES of base64.
   */
  async getMeta(bucketId: string, key: string, versionId?: string | null): Promise<VersionMeta | null> {
    const r = await this.versionRow(OBJECT_META_COLUMNS, bucketId, key, versionId);
    return r ? toVersionMeta(r) : null;
  }

  /** `columns` of the latest version's row (possibly a delete marker), or of a given version's. */
  private versionRow(columns: string, bucketId: string, key: string, versionId?: string | null): Promise<ObjectRow | null> {
    const select = `SELECT ${columns} FROM objects WHERE bucket_id = ? AND key = ?`;
    return versionId
      ? this.db.prepare(`${select} AND version_id = ?`).bind(bucketId, key, versionId).first<ObjectRow>()
      : this.db.prepare(`${select} AND is_latest = 1`).bind(bucketId, key).first<ObjectRow>();
  }

  /** A version by its row id (what a replication task names), or null once it is gone. */
  async byId(objectId: string): Promise<ObjectVersion | null> {
    const r = await this.db.prepare("SELECT * FROM objects WHERE id = ?").bind(objectId).first<ObjectRow>();
    return r ? toVersion(r) : null;
  }

  /** A completed multipart object's manifest, in part order. */
  async parts(objectId: string): Promise<ObjectPart[]> {
    const { results } = await this.db.prepare("SELECT * FROM object_parts WHERE object_id = ? ORDER BY part_number").bind(objectId).all<ObjectPartRow>();
    return results.map(toPart);
  }

  /**
   * Commits a new version (object or delete marker) as the key's latest; returns the blob keys of
   * the version it replaced. Unversioned and suspended buckets replace the `null` version; enabled
   * buckets keep every version.
   */
  commit(bucket: Bucket, v: NewObjectVersion, opts: CommitOptions): Promise<string[]> {
    return this.commitWith(bucket, v, opts, [], []);
  }

  /**
   * Commits a copy. With `sourceId`, the copy shares the blobs of that source row (its blob key, or
   * its manifest parts, copied here) and the commit requires the source to still exist (NoSuchKey),
   * else a concurrent delete of the source could free blobs the copy refers to. Without, the copy
   * has its own bytes and commits as any write.
   */
  commitCopy(bucket: Bucket, v: NewObjectVersion, sourceId: string | null, opts: CommitOptions): Promise<string[]> {
    if (sourceId === null) return this.commit(bucket, v, opts);
    // Runs before the replaced version is dropped: a copy onto itself reads its source first.
    return this.commitWith(bucket, v, opts, this.shareSource(sourceId, v.id), this.compactionOf(bucket, v, opts));
  }

  /** The source row must still exist (NoSuchKey), and its manifest (if any) becomes the new row's too. */
  private shareSource(sourceId: string, objectId: string): D1PreparedStatement[] {
    return [
      assertion(this.db, "NoSuchKey", "NOT EXISTS (SELECT 1 FROM objects WHERE id = ?2)", sourceId),
      this.db
        .prepare(
          `INSERT INTO object_parts (object_id, part_number, blob_key, size, start_offset, etag, checksum_value)
           SELECT ?2, part_number, blob_key, size, start_offset, etag, checksum_value FROM object_parts WHERE object_id = ?1`,
        )
        .bind(sourceId, objectId),
    ];
  }

  /**
   * Commits a bucket-replication copy of a source version into its destination bucket and, in the
   * same batch, closes the task and recomputes the source's status. The replica keeps the source's
   * version id; one already there is PreconditionFailed (the copy was made before: a redelivery).
   * `bytes`: share the source row's blobs (`sourceId`, same zone), or the replica's own freshly
   * copied parts (`parts`, another zone), or neither (a single blob in `v.blobKey`, a delete marker).
   */
  commitReplica(
    bucket: Bucket,
    v: NewObjectVersion,
    bytes: { sourceId: string } | { parts: ObjectPart[] } | null,
    task: ReplicationTask,
    opts: CommitOptions,
  ): Promise<string[]> {
    const db = this.db;
    const before = [
      assertion(
        db,
        "PreconditionFailed",
        "EXISTS (SELECT 1 FROM objects WHERE bucket_id = ?2 AND key = ?3 AND version_id = ?4)",
        v.bucketId,
        v.key,
        v.versionId,
      ),
    ];
    if (bytes && "sourceId" in bytes) before.push(...this.shareSource(bytes.sourceId, v.id));
    if (bytes && "parts" in bytes) {
      before.push(
        db
          .prepare(
            `INSERT INTO object_parts (object_id, part_number, blob_key, size, start_offset, etag, checksum_value)
             SELECT ?1, json_extract(value, '$.partNumber'), json_extract(value, '$.blobKey'), json_extract(value, '$.size'),
               json_extract(value, '$.startOffset'), json_extract(value, '$.etag'), json_extract(value, '$.checksumValue') FROM json_each(?2)`,
          )
          .bind(v.id, JSON.stringify(bytes.parts)),
      );
    }
    return this.commitWith(bucket, v, opts, before, [...settleStatements(db, task), ...this.compactionOf(bucket, v, opts)]);
  }

  /**
   * Commits the object a multipart upload completes to: the chosen parts (in order) become its
   * manifest and the upload ends, unchosen parts' blobs queued for deletion. Fails with
   * NoSuchUpload if the upload ended meanwhile and InvalidPart if a chosen part changed.
   */
  commitCompletedUpload(
    bucket: Bucket,
    v: NewObjectVersion,
    uploadId: string,
    chosen: Pick<UploadPart, "partNumber" | "etag">[],
    opts: CommitOptions,
  ): Promise<string[]> {
    return this.commitWith(
      bucket,
      v,
      opts,
      [],
      [...completionStatements(this.db, bucket.zone, uploadId, v.id, chosen, opts.now), ...this.compactionOf(bucket, v, opts)],
    );
  }

  private compactionOf(bucket: Bucket, v: NewObjectVersion, opts: CommitOptions): D1PreparedStatement[] {
    return opts.compact ? [compactionMark(this.db, v.id, bucket.zone, opts.now)] : [];
  }

  /**
   * The commit batch: one statement of checks, `before`, the new row, then `extra`, in one
   * transaction. Triggers demote the key's previous latest version and delete a dropped version's
   * manifest (migrations/0014), and drop the null version the new row replaces (migrations/0015).
   */
  private async commitWith(
    bucket: Bucket,
    v: NewObjectVersion,
    opts: CommitOptions,
    before: D1PreparedStatement[],
    extra: D1PreparedStatement[],
  ): Promise<string[]> {
    const db = this.db;
    const replacesNull = v.versionId === "null";
    const live = "SELECT 1 FROM objects WHERE bucket_id = ?2 AND key = ?3 AND is_latest = 1 AND is_delete_marker = 0";
    const pre: Check[] = [{ failure: "NoSuchBucket", failWhen: "NOT EXISTS (SELECT 1 FROM buckets WHERE id = ?2)", params: [v.bucketId] }];
    if (opts.ifNoneMatchStar) pre.push({ failure: "PreconditionFailed", failWhen: `EXISTS (${live})`, params: [v.bucketId, v.key] });
    if (opts.ifMatchEtag !== undefined) {
      pre.push({ failure: "NoSuchKey", failWhen: `NOT EXISTS (${live})`, params: [v.bucketId, v.key] });
      pre.push({ failure: "PreconditionFailed", failWhen: `NOT EXISTS (${live} AND etag = ?4)`, params: [v.bucketId, v.key, opts.ifMatchEtag] });
    }
    if (opts.ifLatestRowId !== undefined) {
      pre.push({ failure: "PreconditionFailed", failWhen: "NOT EXISTS (SELECT 1 FROM objects WHERE id = ?2 AND is_latest = 1)", params: [opts.ifLatestRowId] });
    }
    // A locked null version is never replaced (only a bucket that had one before object lock can hold one).
    if (replacesNull) pre.push({ failure: "objectLocked", failWhen: LOCKED_VERSION, params: [bucket.id, v.key, "null", opts.now, 0] });
    // The key's other versions: a write replacing the null version (suspended bucket) only fails when
    // they already fill the limit; nothing old is ever dropped to make room.
    if (opts.maxVersions) {
      const others = replacesNull ? " AND version_id <> 'null'" : "";
      pre.push({
        failure: "TooManyVersions",
        failWhen: `(SELECT COUNT(*) FROM objects WHERE bucket_id = ?2 AND key = ?3${others}) >= ?4`,
        params: [v.bucketId, v.key, opts.maxVersions],
      });
    }
    // The null version this write replaces is dropped, and its blobs queued, by a trigger (migrations/0015).
    const stmts: D1PreparedStatement[] = [checks(db, pre), ...before, this.insertVersion(v)];
    const report = replacesNull && opts.reportQueued ? stmts.push(this.queuedAt(bucket.zone, v.lastModified)) - 1 : -1;
    stmts.push(...owedCopiesStatements(db, v, opts.now));
    stmts.push(...extra);
    const results = await commit(db, stmts);
    return report < 0 ? [] : blobKeysOf(results[report]);
  }

  /**
   * The blob keys queued for deletion in `zone` at `enqueuedAt`: those the replaced null version's
   * trigger queued, and any other commit's of the same millisecond (freeing those early is safe: a
   * blob is deleted only once no row refers to it).
   */
  private queuedAt(zone: string, enqueuedAt: number): D1PreparedStatement {
    return this.db.prepare("SELECT blob_key FROM blob_deletions WHERE zone = ? AND enqueued_at = ?").bind(zone, enqueuedAt);
  }

  private insertVersion(v: NewObjectVersion): D1PreparedStatement {
    return this.db
      .prepare(
        `INSERT INTO objects (id, bucket_id, key, version_id, seq, is_latest, is_delete_marker, size, etag, last_modified,
           owner_id, blob_key, part_count, http_meta, user_meta, checksum_algorithm, checksum_value, checksum_type,
           ssec_key_md5, acl, tags, tag_count, storage_class, lock_mode, lock_retain_until, legal_hold, replication_status, inline_body)
         VALUES (?1, ?2, ?3, ?4, (SELECT COALESCE(MAX(seq), 0) + 1 FROM objects WHERE bucket_id = ?2 AND key = ?3), 1,
           ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)`,
      )
      .bind(
        v.id,
        v.bucketId,
        v.key,
        v.versionId,
        v.isDeleteMarker ? 1 : 0,
        v.size,
        v.etag,
        v.lastModified,
        v.ownerId,
        v.blobKey,
        v.partCount,
        JSON.stringify(v.httpMeta),
        JSON.stringify(v.userMeta),
        v.checksumAlgorithm,
        v.checksumValue,
        v.checksumType,
        v.ssecKeyMd5,
        writeAcl(v.acl),
        writeTags(v.tags),
        v.tagCount,
        v.storageClass,
        ...lockColumns(v.lock),
        v.replicationStatus,
        v.inlineBody === null ? null : toBase64(v.inlineBody),
      );
  }

  /**
   * Permanently deletes one version; if it was the latest, the newest remaining version becomes latest.
   * Returns the deleted row (null if it did not exist) and the blob keys queued for deletion. A
   * version under object lock aborts the batch (objectLocked), checked in this very transaction.
   */
  async deleteVersion(
    bucket: Bucket,
    key: string,
    versionId: string,
    now: number,
    opts: DeleteOptions = {},
  ): Promise<{ deleted: ObjectVersion | null; freed: string[] }> {
    const db = this.db;
    const row = "SELECT id FROM objects WHERE bucket_id = ?1 AND key = ?2 AND version_id = ?3";
    const pre: Check[] = [{ failure: "objectLocked", failWhen: LOCKED_VERSION, params: [bucket.id, key, versionId, now, opts.bypassGovernance ? 1 : 0] }];
    if (opts.rowId !== undefined) {
      pre.push({ failure: "NoSuchVersion", failWhen: "NOT EXISTS (SELECT 1 FROM objects WHERE id = ?2 AND version_id = ?3)", params: [opts.rowId, versionId] });
    }
    if (opts.onlyVersion) {
      pre.push({ failure: "PreconditionFailed", failWhen: "(SELECT COUNT(*) FROM objects WHERE bucket_id = ?2 AND key = ?3) > 1", params: [bucket.id, key] });
    }
    // The manifest's rows go with the version (trigger, migrations/0014), after its blobs are queued.
    const results = (
      await commit(db, [
        checks(db, pre),
        db.prepare(`SELECT * FROM objects WHERE bucket_id = ?1 AND key = ?2 AND version_id = ?3`).bind(bucket.id, key, versionId),
        db
          .prepare(
            `INSERT OR IGNORE INTO blob_deletions (zone, blob_key, enqueued_at)
           SELECT ?4, blob_key, ?5 FROM objects WHERE bucket_id = ?1 AND key = ?2 AND version_id = ?3 AND blob_key IS NOT NULL
           UNION ALL SELECT ?4, blob_key, ?5 FROM object_parts WHERE object_id IN (${row})
           RETURNING blob_key`,
          )
          .bind(bucket.id, key, versionId, bucket.zone, now),
        db.prepare("DELETE FROM objects WHERE bucket_id = ?1 AND key = ?2 AND version_id = ?3").bind(bucket.id, key, versionId),
        db
          .prepare(
            `UPDATE objects SET is_latest = 1 WHERE id = (SELECT id FROM objects WHERE bucket_id = ?1 AND key = ?2 ORDER BY seq DESC LIMIT 1)
           AND NOT EXISTS (SELECT 1 FROM objects WHERE bucket_id = ?1 AND key = ?2 AND is_latest = 1)`,
          )
          .bind(bucket.id, key),
      ])
    ).slice(1);
    const deleted = (results[0].results as ObjectRow[])[0];
    return { deleted: deleted ? toVersion(deleted) : null, freed: blobKeysOf(results[1]) };
  }

  /** Replaces the ACL of one object version (never a delete marker); false when that row is gone. */
  async setAcl(objectId: string, acl: Acl): Promise<boolean> {
    const r = await this.db.prepare("UPDATE objects SET acl = ? WHERE id = ? AND is_delete_marker = 0").bind(writeAcl(acl), objectId).run();
    return r.meta.changes === 1;
  }

  /** Replaces the tag set of one object version (never a delete marker); false when that row is gone. */
  async setTags(objectId: string, tags: TagSet): Promise<boolean> {
    const r = await this.db
      .prepare("UPDATE objects SET tags = ?, tag_count = ? WHERE id = ? AND is_delete_marker = 0")
      .bind(writeTags(tags), tags.length, objectId)
      .run();
    return r.meta.changes === 1;
  }

  /**
   * Replaces a version's retention (null removes it), provided it is still `expected`: the caller
   * judged the change against that value, so a concurrent change is ConditionalRequestConflict.
   */
  async setRetention(objectId: string, expected: Retention | null, next: Retention | null): Promise<void> {
    await commit(this.db, [
      assertion(this.db, "NoSuchVersion", "NOT EXISTS (SELECT 1 FROM objects WHERE id = ?2 AND is_delete_marker = 0)", objectId),
      assertion(
        this.db,
        "ConditionalRequestConflict",
        "NOT EXISTS (SELECT 1 FROM objects WHERE id = ?2 AND lock_mode IS ?3 AND lock_retain_until IS ?4)",
        objectId,
        expected?.mode ?? null,
        expected?.retainUntil ?? null,
      ),
      this.db.prepare("UPDATE objects SET lock_mode = ?, lock_retain_until = ? WHERE id = ?").bind(next?.mode ?? null, next?.retainUntil ?? null, objectId),
    ]);
  }

  /** Sets a version's legal hold (never a delete marker's); false when that row is gone. */
  async setLegalHold(objectId: string, on: boolean): Promise<boolean> {
    const r = await this.db
      .prepare("UPDATE objects SET legal_hold = ? WHERE id = ? AND is_delete_marker = 0")
      .bind(on ? 1 : 0, objectId)
      .run();
    return r.meta.changes === 1;
  }
}
