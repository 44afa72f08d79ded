/**
 * ALL SQL of the service: row types, row -> domain mappers, and the atomic write batches.
 *
 * Writes follow one order: bytes are already in R2 under a fresh key; one D1 `batch()` (a
 * transaction) commits the metadata and records superseded blob keys in `blob_deletions`.
 * Preconditions that must hold at commit time are `batch_assertions` inserts whose trigger
 * aborts the batch with "sos:<S3 error code>".
 */
import { S3Error, type ErrorCode } from "../errors";
import { BoundedCache, estimateBytes } from "../logic/bounded-cache";

// ---------------------------------------------------------------- domain types

export type User = { id: string; displayName: string; email: string | null; maxBuckets: number; createdAt: number };

export type AccessKey = {
  accessKeyId: string;
  userId: string;
  secretEnc: string;
  bucket: string | null;
  operations: string;
  enabled: boolean;
  createdAt: number;
};

export type Bucket = {
  id: string;
  name: string;
  ownerId: string;
  zone: string;
  createdAt: number;
  versioning: "Enabled" | "Suspended" | null;
  acl: string | null;
  cors: string | null;
  tags: string | null;
};

export type HttpMeta = Record<string, string>;

export type ObjectVersion = {
  id: string;
  bucketId: string;
  key: string;
  versionId: string;
  seq: number;
  isLatest: boolean;
  isDeleteMarker: boolean;
  size: number;
  etag: string;
  lastModified: number;
  ownerId: string;
  blobKey: string | null;
  partCount: number | null;
  httpMeta: HttpMeta;
  userMeta: Record<string, string>;
  checksumAlgorithm: string | null;
  checksumValue: string | null;
  checksumType: string | null;
  ssecKeyMd5: string | null;
  acl: string | null;
  tags: string | null;
  tagCount: number;
  storageClass: string;
};

/** What a write supplies; the store fills seq / is_latest. */
export type NewObjectVersion = Omit<ObjectVersion, "seq" | "isLatest">;

export type ListedObject = Pick<ObjectVersion, "key" | "size" | "etag" | "lastModified" | "ownerId" | "storageClass" | "checksumAlgorithm">;

/** A row of ListObjectVersions: a version or a delete marker. */
export type ListedVersion = ListedObject & Pick<ObjectVersion, "versionId" | "seq" | "isLatest" | "isDeleteMarker" | "checksumType">;

export type MultipartUpload = {
  id: string;
  bucketId: string;
  key: string;
  initiatedAt: number;
  ownerId: string;
  initiatorId: string;
  httpMeta: HttpMeta;
  userMeta: Record<string, string>;
  checksumAlgorithm: string | null;
  checksumType: string | null;
  ssecKeyMd5: string | null;
  acl: string | null;
  tags: string | null;
  storageClass: string;
};

export type UploadPart = {
  uploadId: string;
  partNumber: number;
  blobKey: string;
  size: number;
  etag: string;
  checksumValue: string | null;
  uploadedAt: number;
};

// ---------------------------------------------------------------- rows and mappers

type Row = Record<string, unknown>;

const json = <T>(s: unknown, fallback: T): T => (typeof s === "string" ? (JSON.parse(s) as T) : fallback);

const toUser = (r: Row): User => ({
  id: r.id as string,
  displayName: r.display_name as string,
  email: (r.email as string | null) ?? null,
  maxBuckets: r.max_buckets as number,
  createdAt: r.created_at as number,
});

const toAccessKey = (r: Row): AccessKey => ({
  accessKeyId: r.access_key_id as string,
  userId: r.user_id as string,
  secretEnc: r.secret_enc as string,
  bucket: (r.bucket as string | null) ?? null,
  operations: r.operations as string,
  enabled: r.enabled === 1,
  createdAt: r.created_at as number,
});

const toBucket = (r: Row): Bucket => ({
  id: r.id as string,
  name: r.name as string,
  ownerId: r.owner_id as string,
  zone: r.zone as string,
  createdAt: r.created_at as number,
  versioning: (r.versioning as Bucket["versioning"]) ?? null,
  acl: (r.acl as string | null) ?? null,
  cors: (r.cors as string | null) ?? null,
  tags: (r.tags as string | null) ?? null,
});

const toVersion = (r: Row): ObjectVersion => ({
  id: r.id as string,
  bucketId: r.bucket_id as string,
  key: r.key as string,
  versionId: r.version_id as string,
  seq: r.seq as number,
  isLatest: r.is_latest === 1,
  isDeleteMarker: r.is_delete_marker === 1,
  size: r.size as number,
  etag: (r.etag as string) ?? "",
  lastModified: r.last_modified as number,
  ownerId: r.owner_id as string,
  blobKey: (r.blob_key as string | null) ?? null,
  partCount: (r.part_count as number | null) ?? null,
  httpMeta: json(r.http_meta, {}),
  userMeta: json(r.user_meta, {}),
  checksumAlgorithm: (r.checksum_algorithm as string | null) ?? null,
  checksumValue: (r.checksum_value as string | null) ?? null,
  checksumType: (r.checksum_type as string | null) ?? null,
  ssecKeyMd5: (r.ssec_key_md5 as string | null) ?? null,
  acl: (r.acl as string | null) ?? null,
  tags: (r.tags as string | null) ?? null,
  tagCount: (r.tag_count as number) ?? 0,
  storageClass: (r.storage_class as string) ?? "STANDARD",
});

const LISTED_COLUMNS = "key, size, etag, last_modified, owner_id, storage_class, checksum_algorithm";

/** A listing row: an object, or (commonPrefix set) a group of `rows` keys rolled into one prefix. */
export type ListedRow = ListedObject & { commonPrefix: string | null; lastKey: string; rows: number };

const toListed = (r: Row): ListedObject => ({
  key: r.key as string,
  size: r.size as number,
  etag: (r.etag as string) ?? "",
  lastModified: r.last_modified as number,
  ownerId: r.owner_id as string,
  storageClass: (r.storage_class as string) ?? "STANDARD",
  checksumAlgorithm: (r.checksum_algorithm as string | null) ?? null,
});

const VERSION_COLUMNS = `${LISTED_COLUMNS}, version_id, seq, is_latest, is_delete_marker, checksum_type`;

const toListedVersion = (r: Row): ListedVersion => ({
  ...toListed(r),
  versionId: r.version_id as string,
  seq: r.seq as number,
  isLatest: r.is_latest === 1,
  isDeleteMarker: r.is_delete_marker === 1,
  checksumType: (r.checksum_type as string | null) ?? null,
});

const toUpload = (r: Row): MultipartUpload => ({
  id: r.id as string,
  bucketId: r.bucket_id as string,
  key: r.key as string,
  initiatedAt: r.initiated_at as number,
  ownerId: r.owner_id as string,
  initiatorId: r.initiator_id as string,
  httpMeta: json(r.http_meta, {}),
  userMeta: json(r.user_meta, {}),
  checksumAlgorithm: (r.checksum_algorithm as string | null) ?? null,
  checksumType: (r.checksum_type as string | null) ?? null,
  ssecKeyMd5: (r.ssec_key_md5 as string | null) ?? null,
  acl: (r.acl as string | null) ?? null,
  tags: (r.tags as string | null) ?? null,
  storageClass: (r.storage_class as string) ?? "STANDARD",
});

const toPart = (r: Row): UploadPart => ({
  uploadId: r.upload_id as string,
  partNumber: r.part_number as number,
  blobKey: r.blob_key as string,
  size: r.size as number,
  etag: r.etag as string,
  checksumValue: (r.checksum_value as string | null) ?? null,
  uploadedAt: r.uploaded_at as number,
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

/** Runs a batch, turning a batch_assertions abort into its S3 error. */
async function commit(db: D1Database, statements: D1PreparedStatement[]): Promise<D1Result[]> {
  try {
    return await db.batch(statements);
  } catch (e) {
    const m = /sos:([A-Za-z]+)/.exec(String((e as Error)?.message ?? e));
    if (m) throw new S3Error(m[1] as ErrorCode);
    throw e;
  }
}

/** Appends `key > after`, `key >= from` and `key < before` (each when given) as numbered parameters. */
function keyRangeConditions(range: { after?: string; from?: string; before?: string | null }, where: string[], params: unknown[]): void {
  const add = (sql: string, value: string) => {
    params.push(value);
    where.push(`${sql} ?${params.length}`);
  };
  if (range.after !== undefined) add("key >", range.after);
  if (range.from !== undefined && range.from !== "") add("key >=", range.from);
  if (range.before) add("key <", range.before);
}

function assertion(db: D1Database, failure: ErrorCode, failWhenSql: string, ...params: unknown[]): D1PreparedStatement {
  return db.prepare(`INSERT INTO batch_assertions (failure) SELECT ?1 WHERE ${failWhenSql}`).bind(failure, ...params);
}

// ---------------------------------------------------------------- the store

export class MetaStore {
  constructor(private readonly db: D1Database) {}

  // ---- users and keys

  async ensureUser(user: User): Promise<void> {
    await this.db
      .prepare("INSERT OR IGNORE INTO users (id, display_name, email, max_buckets, created_at) VALUES (?, ?, ?, ?, ?)")
      .bind(user.id, user.displayName, user.email, user.maxBuckets, user.createdAt)
      .run();
  }

  async createUser(user: User): Promise<boolean> {
    const r = await this.db
      .prepare("INSERT OR IGNORE INTO users (id, display_name, email, max_buckets, created_at) VALUES (?, ?, ?, ?, ?)")
      .bind(user.id, user.displayName, user.email, user.maxBuckets, user.createdAt)
      .run();
    return r.meta.changes === 1;
  }

  async getUser(id: string): Promise<User | null> {
    const r = await this.db.prepare("SELECT * FROM users WHERE id = ?").bind(id).first<Row>();
    return r ? toUser(r) : null;
  }

  /** E-mail addresses match case-insensitively (ACL grants by emailAddress=). */
  async getUserByEmail(email: string): Promise<User | null> {
    const r = await this.db.prepare("SELECT * FROM users WHERE email = ? COLLATE NOCASE").bind(email).first<Row>();
    return r ? toUser(r) : null;
  }

  async listUsers(): Promise<User[]> {
    const { results } = await this.db.prepare("SELECT * FROM users ORDER BY display_name").all<Row>();
    return results.map(toUser);
  }

  async setUserMaxBuckets(id: string, maxBuckets: number): Promise<boolean> {
    const r = await this.db.prepare("UPDATE users SET max_buckets = ? WHERE id = ?").bind(maxBuckets, id).run();
    return r.meta.changes === 1;
  }

  /** Deletes a user and their keys; refused (false) while they own buckets. */
  async deleteUser(id: string): Promise<"deleted" | "missing" | "owns-buckets"> {
    const owns = await this.db.prepare("SELECT 1 FROM buckets WHERE owner_id = ? LIMIT 1").bind(id).first();
    if (owns) return "owns-buckets";
    const [, r] = await this.db.batch([
      this.db.prepare("DELETE FROM access_keys WHERE user_id = ?").bind(id),
      this.db.prepare("DELETE FROM users WHERE id = ?").bind(id),
    ]);
    return r.meta.changes === 1 ? "deleted" : "missing";
  }

  async createAccessKey(key: AccessKey): Promise<void> {
    await this.db
      .prepare(
        "INSERT INTO access_keys (access_key_id, user_id, secret_enc, bucket, operations, enabled, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      )
      .bind(key.accessKeyId, key.userId, key.secretEnc, key.bucket, key.operations, key.enabled ? 1 : 0, key.createdAt)
      .run();
  }

  async getAccessKey(accessKeyId: string): Promise<AccessKey | null> {
    const r = await this.db.prepare("SELECT * FROM access_keys WHERE access_key_id = ?").bind(accessKeyId).first<Row>();
    return r ? toAccessKey(r) : null;
  }

  async listAccessKeys(userId?: string): Promise<AccessKey[]> {
    const stmt = userId
      ? this.db.prepare("SELECT * FROM access_keys WHERE user_id = ? ORDER BY created_at").bind(userId)
      : this.db.prepare("SELECT * FROM access_keys ORDER BY user_id, created_at");
    return (await stmt.all<Row>()).results.map(toAccessKey);
  }

  async setAccessKeyEnabled(accessKeyId: string, enabled: boolean): Promise<boolean> {
    const r = await this.db
      .prepare("UPDATE access_keys SET enabled = ? WHERE access_key_id = ?")
      .bind(enabled ? 1 : 0, accessKeyId)
      .run();
    return r.meta.changes === 1;
  }

  async deleteAccessKey(accessKeyId: string): Promise<boolean> {
    const r = await this.db.prepare("DELETE FROM access_keys WHERE access_key_id = ?").bind(accessKeyId).run();
    return r.meta.changes === 1;
  }

  // ---- buckets

  /** The bucket row, from the isolate's short-lived cache when fresh (only existing buckets are cached). */
  async getBucket(name: string): Promise<Bucket | null> {
    const hit = bucketCache.get(name);
    if (hit) return hit;
    const r = await this.db.prepare("SELECT * FROM buckets WHERE name = ?").bind(name).first<Row>();
    if (!r) return null;
    const bucket = toBucket(r);
    bucketCache.set(name, bucket);
    return bucket;
  }

  async listBuckets(ownerId: string): Promise<Bucket[]> {
    const { results } = await this.db.prepare("SELECT * FROM buckets WHERE owner_id = ? ORDER BY name").bind(ownerId).all<Row>();
    return results.map(toBucket);
  }

  async listAllBuckets(): Promise<Bucket[]> {
    return (await this.db.prepare("SELECT * FROM buckets ORDER BY name").all<Row>()).results.map(toBucket);
  }

  /** Creates the bucket unless the owner is at their bucket quota (TooManyBuckets) or the name is taken (false). */
  async createBucket(b: Bucket): Promise<boolean> {
    const results = await commit(this.db, [
      assertion(
        this.db,
        "TooManyBuckets",
        "(SELECT COUNT(*) FROM buckets WHERE owner_id = ?2) >= (SELECT max_buckets FROM users WHERE id = ?2)",
        b.ownerId,
      ),
      this.db
        .prepare(
          "INSERT OR IGNORE INTO buckets (id, name, owner_id, zone, created_at, versioning, acl, cors, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(b.id, b.name, b.ownerId, b.zone, b.createdAt, b.versioning, b.acl, b.cors, b.tags),
    ]);
    return results[1].meta.changes === 1;
  }

  /**
   * Deletes an empty bucket (no object versions or delete markers, else BucketNotEmpty);
   * its unfinished multipart uploads are aborted and their part blobs queued for deletion.
   */
  async deleteBucket(b: Bucket, now: number): Promise<void> {
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

  // ---- objects

  /** The latest version (possibly a delete marker), or a given version. */
  async getObject(bucketId: string, key: string, versionId?: string | null): Promise<ObjectVersion | null> {
    const r = versionId
      ? await this.db
          .prepare("SELECT * FROM objects WHERE bucket_id = ? AND key = ? AND version_id = ?")
          .bind(bucketId, key, versionId)
          .first<Row>()
      : await this.db
          .prepare("SELECT * FROM objects WHERE bucket_id = ? AND key = ? AND is_latest = 1")
          .bind(bucketId, key)
          .first<Row>();
    return r ? toVersion(r) : null;
  }

  /** Statements that drop the key's `null` version (the one an unversioned or suspended write replaces), queueing its blobs. */
  private dropNullVersion(bucket: Bucket, key: string, now: number): D1PreparedStatement[] {
    const db = this.db;
    const nullRow = "SELECT id FROM objects WHERE bucket_id = ?1 AND key = ?2 AND version_id = 'null'";
    return [
      db
        .prepare(
          `INSERT OR IGNORE INTO blob_deletions (zone, blob_key, enqueued_at)
           SELECT ?3, blob_key, ?4 FROM objects WHERE bucket_id = ?1 AND key = ?2 AND version_id = 'null' AND blob_key IS NOT NULL
           UNION ALL SELECT ?3, blob_key, ?4 FROM object_parts WHERE object_id IN (${nullRow})
           RETURNING blob_key`,
        )
        .bind(bucket.id, key, bucket.zone, now),
      db.prepare(`DELETE FROM object_parts WHERE object_id IN (${nullRow})`).bind(bucket.id, key),
      db.prepare("DELETE FROM objects WHERE bucket_id = ?1 AND key = ?2 AND version_id = 'null'").bind(bucket.id, key),
    ];
  }

  private insertVersion(v: NewObjectVersion): D1PreparedStatement {
    return this.db
      .prepare(
        `INSERT INTO objects (id, bucket_id, key, version_id, seq, is_latest, is_delete_marker, size, etag, last_modified,
           owner_id, blob_key, part_count, http_meta, user_meta, checksum_algorithm, checksum_value, checksum_type,
           ssec_key_md5, acl, tags, tag_count, storage_class)
         VALUES (?1, ?2, ?3, ?4, (SELECT COALESCE(MAX(seq), 0) + 1 FROM objects WHERE bucket_id = ?2 AND key = ?3), 1,
           ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)`,
      )
      .bind(
        v.id, v.bucketId, v.key, v.versionId, v.isDeleteMarker ? 1 : 0, v.size, v.etag, v.lastModified, v.ownerId,
        v.blobKey, v.partCount, JSON.stringify(v.httpMeta), JSON.stringify(v.userMeta), v.checksumAlgorithm,
        v.checksumValue, v.checksumType, v.ssecKeyMd5, v.acl, v.tags, v.tagCount, v.storageClass,
      );
  }

  /**
   * Commits a new version (object or delete marker) as the key's latest.
   * Unversioned and suspended buckets replace the `null` version; enabled buckets keep every version.
   * `before`/`extra` statements run in the same transaction (a copy's shared parts, a multipart manifest).
   */
  async commitVersion(
    bucket: Bucket,
    v: NewObjectVersion,
    opts: {
      now: number;
      ifNoneMatchStar?: boolean;
      ifMatchEtag?: string;
      maxVersions?: number;
      /** statements run first, before the replaced version is dropped (a copy reading its source) */
      before?: D1PreparedStatement[];
      /** statements run last */
      extra?: D1PreparedStatement[];
    },
  ): Promise<string[]> {
    const db = this.db;
    const stmts: D1PreparedStatement[] = [
      assertion(db, "NoSuchBucket", "NOT EXISTS (SELECT 1 FROM buckets WHERE id = ?2)", v.bucketId),
      ...(opts.before ?? []),
    ];
    const live = "SELECT 1 FROM objects WHERE bucket_id = ?2 AND key = ?3 AND is_latest = 1 AND is_delete_marker = 0";
    if (opts.ifNoneMatchStar) stmts.push(assertion(db, "PreconditionFailed", `EXISTS (${live})`, v.bucketId, v.key));
    if (opts.ifMatchEtag !== undefined) {
      stmts.push(assertion(db, "NoSuchKey", `NOT EXISTS (${live})`, v.bucketId, v.key));
      stmts.push(assertion(db, "PreconditionFailed", `NOT EXISTS (${live} AND etag = ?4)`, v.bucketId, v.key, opts.ifMatchEtag));
    }
    let queued = -1;
    if (v.versionId === "null") {
      queued = stmts.length;
      stmts.push(...this.dropNullVersion(bucket, v.key, opts.now));
    }
    // Counted after the null version is dropped, so a write replacing it (suspended bucket) only
    // fails when the key's other versions already fill the limit; nothing old is ever dropped to make room.
    if (opts.maxVersions) {
      stmts.push(
        assertion(db, "TooManyVersions", "(SELECT COUNT(*) FROM objects WHERE bucket_id = ?2 AND key = ?3) >= ?4", v.bucketId, v.key, opts.maxVersions),
      );
    }
    stmts.push(db.prepare("UPDATE objects SET is_latest = 0 WHERE bucket_id = ? AND key = ? AND is_latest = 1").bind(v.bucketId, v.key));
    stmts.push(this.insertVersion(v));
    stmts.push(...(opts.extra ?? []));
    const results = await commit(db, stmts);
    return queued < 0 ? [] : ((results[queued].results ?? []) as Row[]).map((r) => r.blob_key as string);
  }

  /**
   * Permanently deletes one version; if it was the latest, the newest remaining version becomes latest.
   * Returns the deleted row, or null if it did not exist.
   */
  async deleteVersion(bucket: Bucket, key: string, versionId: string, now: number): Promise<{ deleted: ObjectVersion | null; freed: string[] }> {
    const db = this.db;
    const row = "SELECT id FROM objects WHERE bucket_id = ?1 AND key = ?2 AND version_id = ?3";
    const results = await commit(db, [
      db.prepare(`SELECT * FROM objects WHERE bucket_id = ?1 AND key = ?2 AND version_id = ?3`).bind(bucket.id, key, versionId),
      db
        .prepare(
          `INSERT OR IGNORE INTO blob_deletions (zone, blob_key, enqueued_at)
           SELECT ?4, blob_key, ?5 FROM objects WHERE bucket_id = ?1 AND key = ?2 AND version_id = ?3 AND blob_key IS NOT NULL
           UNION ALL SELECT ?4, blob_key, ?5 FROM object_parts WHERE object_id IN (${row})
           RETURNING blob_key`,
        )
        .bind(bucket.id, key, versionId, bucket.zone, now),
      db.prepare(`DELETE FROM object_parts WHERE object_id IN (${row})`).bind(bucket.id, key, versionId),
      db.prepare("DELETE FROM objects WHERE bucket_id = ?1 AND key = ?2 AND version_id = ?3").bind(bucket.id, key, versionId),
      db
        .prepare(
          `UPDATE objects SET is_latest = 1 WHERE id = (SELECT id FROM objects WHERE bucket_id = ?1 AND key = ?2 ORDER BY seq DESC LIMIT 1)
           AND NOT EXISTS (SELECT 1 FROM objects WHERE bucket_id = ?1 AND key = ?2 AND is_latest = 1)`,
        )
        .bind(bucket.id, key),
    ]);
    const deleted = (results[0].results as Row[])[0];
    const freed = ((results[1].results ?? []) as Row[]).map((r) => r.blob_key as string);
    return { deleted: deleted ? toVersion(deleted) : null, freed };
  }

  /** A completed multipart object's manifest, in part order. */
  async getObjectParts(objectId: string): Promise<{ partNumber: number; blobKey: string; size: number; startOffset: number; etag: string; checksumValue: string | null }[]> {
    const { results } = await this.db
      .prepare("SELECT * FROM object_parts WHERE object_id = ? ORDER BY part_number")
      .bind(objectId)
      .all<Row>();
    return results.map((r) => ({
      partNumber: r.part_number as number,
      blobKey: r.blob_key as string,
      size: r.size as number,
      startOffset: r.start_offset as number,
      etag: r.etag as string,
      checksumValue: (r.checksum_value as string | null) ?? null,
    }));
  }

  /**
   * Current, live objects with key > `after` (and >= `from`) and < `before`, in UTF-8 binary key order,
   * scanning at most `limit` rows of the partial index objects_current, so a read costs O(limit).
   * With `rollup`, keys that contain the delimiter after the prefix come back as one row per common
   * prefix (grouped inside SQLite, so a page of prefixes ships one row per prefix, not per key).
   */
  async listCurrent(
    bucketId: string,
    range: { after?: string; from?: string; before?: string | null; limit: number; rollup?: { prefix: string; delimiter: string } },
  ): Promise<ListedRow[]> {
    const where = ["bucket_id = ?1", "is_latest = 1", "is_delete_marker = 0"];
    const params: unknown[] = [bucketId];
    keyRangeConditions(range, where, params);
    params.push(range.limit);
    const scan = `SELECT ${LISTED_COLUMNS} FROM objects INDEXED BY objects_current WHERE ${where.join(" AND ")} ORDER BY key LIMIT ?${params.length}`;
    if (!range.rollup) {
      const { results } = await this.db.prepare(scan).bind(...params).all<Row>();
      return results.map((r) => ({ ...toListed(r), commonPrefix: null, lastKey: r.key as string, rows: 1 }));
    }
    // SQLite's substr/instr count characters (code points), as [...s].length does.
    const p = params.length;
    params.push([...range.rollup.prefix].length, range.rollup.delimiter, [...range.rollup.delimiter].length);
    const cp = `CASE WHEN dpos > 0 THEN substr(key, 1, ?${p + 1} + dpos + ?${p + 3} - 1) END`;
    const { results } = await this.db
      .prepare(
        `SELECT ${cp} AS common_prefix, MAX(key) AS last_key, COUNT(*) AS n, ${LISTED_COLUMNS}
         FROM (SELECT *, instr(substr(key, ?${p + 1} + 1), ?${p + 2}) AS dpos FROM (${scan}))
         GROUP BY COALESCE(${cp}, key) ORDER BY MIN(key)`,
      )
      .bind(...params)
      .all<Row>();
    return results.map((r) => ({
      ...toListed(r),
      commonPrefix: (r.common_prefix as string | null) ?? null,
      lastKey: r.last_key as string,
      rows: r.n as number,
    }));
  }

  async bucketUsage(bucketId: string): Promise<{ objectCount: number; storedBytes: number; billedBytes: number }> {
    const r = await this.db
      .prepare(
        `SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes, COALESCE(SUM(MAX(size, 131072)), 0) AS billed
         FROM objects WHERE bucket_id = ? AND is_delete_marker = 0`,
      )
      .bind(bucketId)
      .first<Row>();
    return { objectCount: (r?.n as number) ?? 0, storedBytes: (r?.bytes as number) ?? 0, billedBytes: (r?.billed as number) ?? 0 };
  }

  /**
   * Statements making object row `newId` share the blobs of row `sourceId` (a copy): the copy's
   * manifest parts, and an assertion that the source still exists when the batch commits.
   */
  shareSourceStatements(sourceId: string, newId: string): D1PreparedStatement[] {
    return [
      assertion(this.db, "NoSuchKey", "NOT EXISTS (SELECT 1 FROM objects WHERE id = ?2)", sourceId),
      this.db
        .prepare(
          `INSERT INTO object_parts (object_id, part_number, blob_key, size, start_offset, etag, checksum_value)
           SELECT ?2, part_number, blob_key, size, start_offset, etag, checksum_value FROM object_parts WHERE object_id = ?1`,
        )
        .bind(sourceId, newId),
    ];
  }

  // ---- ACLs (JSON grant lists, see logic/acl.ts; NULL = private)

  async setBucketAcl(bucketId: string, acl: string | null): Promise<void> {
    await this.db.prepare("UPDATE buckets SET acl = ? WHERE id = ?").bind(acl, bucketId).run();
    bucketCache.clear();
  }

  /** Replaces the ACL of one object version (never a delete marker); false when that row is gone. */
  async setObjectAcl(objectId: string, acl: string | null): Promise<boolean> {
    const r = await this.db.prepare("UPDATE objects SET acl = ? WHERE id = ? AND is_delete_marker = 0").bind(acl, objectId).run();
    return r.meta.changes === 1;
  }

  // ---- versioning and tags

  async setBucketVersioning(bucketId: string, status: "Enabled" | "Suspended"): Promise<void> {
    await this.db.prepare("UPDATE buckets SET versioning = ? WHERE id = ?").bind(status, bucketId).run();
    bucketCache.clear();
  }

  /** Replaces the bucket's tag set (JSON, see logic/tags.ts); null removes it. */
  async setBucketTags(bucketId: string, tags: string | null): Promise<void> {
    await this.db.prepare("UPDATE buckets SET tags = ? WHERE id = ?").bind(tags, bucketId).run();
    bucketCache.clear();
  }

  /** Replaces the bucket's CORS rules (JSON, see logic/cors.ts); null removes them. */
  async setBucketCors(bucketId: string, cors: string | null): Promise<void> {
    await this.db.prepare("UPDATE buckets SET cors = ? WHERE id = ?").bind(cors, bucketId).run();
    bucketCache.clear();
  }

  /** Replaces the tag set of one object version (never a delete marker); false when that row is gone. */
  async setObjectTags(objectId: string, tags: string | null, tagCount: number): Promise<boolean> {
    const r = await this.db
      .prepare("UPDATE objects SET tags = ?, tag_count = ? WHERE id = ? AND is_delete_marker = 0")
      .bind(tags, tagCount, objectId)
      .run();
    return r.meta.changes === 1;
  }

  /**
   * Versions and delete markers in ListObjectVersions order (key ascending, newest first within a
   * key), served by the index objects_by_key_seq so that a read costs O(limit): either the versions
   * of one key older than `seqBelow`, or every version of the keys > `after` (and >= `from`) and < `before`.
   */
  async listVersions(
    bucketId: string,
    range:
      | { key: string; seqBelow: number; limit: number }
      | { after?: string; from?: string; before?: string | null; limit: number; rollup?: { prefix: string; delimiter: string } },
  ): Promise<(ListedVersion & { commonPrefix?: string | null; rows?: number })[]> {
    const from = `SELECT ${VERSION_COLUMNS} FROM objects INDEXED BY objects_by_key_seq`;
    if ("key" in range) {
      const { results } = await this.db
        .prepare(`${from} WHERE bucket_id = ?1 AND key = ?2 AND seq < ?3 ORDER BY seq DESC LIMIT ?4`)
        .bind(bucketId, range.key, range.seqBelow, range.limit)
        .all<Row>();
      return results.map(toListedVersion);
    }
    const where = ["bucket_id = ?1"];
    const params: unknown[] = [bucketId];
    keyRangeConditions(range, where, params);
    params.push(range.limit);
    const scan = `${from} WHERE ${where.join(" AND ")} ORDER BY key, seq DESC LIMIT ?${params.length}`;
    if (!range.rollup) {
      const { results } = await this.db.prepare(scan).bind(...params).all<Row>();
      return results.map(toListedVersion);
    }
    // As in listCurrent: versions of keys under a common prefix come back as one row per prefix.
    const p = params.length;
    params.push([...range.rollup.prefix].length, range.rollup.delimiter, [...range.rollup.delimiter].length);
    const cp = `CASE WHEN dpos > 0 THEN substr(key, 1, ?${p + 1} + dpos + ?${p + 3} - 1) END`;
    const { results } = await this.db
      .prepare(
        `SELECT ${cp} AS common_prefix, COUNT(*) AS n, MAX(key) AS key, ${VERSION_COLUMNS.replace(/^key, /, "")}
         FROM (SELECT *, instr(substr(key, ?${p + 1} + 1), ?${p + 2}) AS dpos FROM (${scan.replace("SELECT ", "SELECT rowid AS rid, ")}))
         GROUP BY COALESCE(${cp}, rid) ORDER BY MIN(key), MAX(seq) DESC`,
      )
      .bind(...params)
      .all<Row>();
    return results.map((r) => ({ ...toListedVersion(r), commonPrefix: (r.common_prefix as string | null) ?? null, rows: r.n as number }));
  }

  // ---- multipart uploads

  /** Records a new upload; NoSuchBucket if the bucket was deleted meanwhile. */
  async createUpload(u: MultipartUpload): Promise<void> {
    const r = await this.db
      .prepare(
        `INSERT INTO multipart_uploads (id, bucket_id, key, initiated_at, owner_id, initiator_id, http_meta, user_meta,
           checksum_algorithm, checksum_type, ssec_key_md5, acl, tags, storage_class)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14 WHERE EXISTS (SELECT 1 FROM buckets WHERE id = ?2)`,
      )
      .bind(
        u.id, u.bucketId, u.key, u.initiatedAt, u.ownerId, u.initiatorId, JSON.stringify(u.httpMeta), JSON.stringify(u.userMeta),
        u.checksumAlgorithm, u.checksumType, u.ssecKeyMd5, u.acl, u.tags, u.storageClass,
      )
      .run();
    if (r.meta.changes !== 1) throw new S3Error("NoSuchBucket");
  }

  async getUpload(bucketId: string, key: string, uploadId: string): Promise<MultipartUpload | null> {
    const r = await this.db
      .prepare("SELECT * FROM multipart_uploads WHERE id = ? AND bucket_id = ? AND key = ?")
      .bind(uploadId, bucketId, key)
      .first<Row>();
    return r ? toUpload(r) : null;
  }

  /** Records a part (replacing an earlier upload of the same number); returns the replaced blob keys. */
  async putPart(zone: string, p: UploadPart, opts: { sharedFromObjectId?: string } = {}): Promise<string[]> {
    // A part sharing a copy source's blob (UploadPartCopy) requires the source row at commit time, else a
    // concurrent delete of the source could free the blob this part now refers to.
    const shared = opts.sharedFromObjectId === undefined ? [] : [assertion(this.db, "NoSuchKey", "NOT EXISTS (SELECT 1 FROM objects WHERE id = ?2)", opts.sharedFromObjectId)];
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
    return ((results[shared.length + 1].results ?? []) as Row[]).map((r) => r.blob_key as string);
  }

  async listParts(uploadId: string, afterPart = 0, limit = 10000): Promise<UploadPart[]> {
    const { results } = await this.db
      .prepare("SELECT * FROM upload_parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?")
      .bind(uploadId, afterPart, limit)
      .all<Row>();
    return results.map(toPart);
  }

  /** Uploads in (key, upload id) order after the markers; ids are time-ordered so this is initiation order per key. */
  async listUploads(
    bucketId: string,
    o: { prefix: string; keyMarker?: string; uploadIdMarker?: string; /** inclusive lower bound on the key */ from?: string; limit: number },
  ): Promise<MultipartUpload[]> {
    // `key >= prefix` lets the index seek to the prefix; substr() then bounds it.
    const where = ["bucket_id = ?1", "key >= ?2", "substr(key, 1, length(?2)) = ?2"];
    const params: unknown[] = [bucketId, o.prefix];
    if (o.keyMarker !== undefined) {
      params.push(o.keyMarker);
      if (o.uploadIdMarker) {
        params.push(o.uploadIdMarker);
        where.push(`(key > ?3 OR (key = ?3 AND id > ?4))`);
      } else where.push("key > ?3");
    }
    if (o.from !== undefined) {
      params.push(o.from);
      where.push(`key >= ?${params.length}`);
    }
    params.push(o.limit);
    const { results } = await this.db
      .prepare(`SELECT * FROM multipart_uploads WHERE ${where.join(" AND ")} ORDER BY key, id LIMIT ?${params.length}`)
      .bind(...params)
      .all<Row>();
    return results.map(toUpload);
  }

  /** Aborts an upload: forgets it and its parts, queueing their blobs. False when there was no such upload. */
  async abortUpload(zone: string, uploadId: string, now: number): Promise<{ existed: boolean; freed: string[] }> {
    const results = await commit(this.db, [
      this.db
        .prepare("INSERT OR IGNORE INTO blob_deletions (zone, blob_key, enqueued_at) SELECT ?, blob_key, ? FROM upload_parts WHERE upload_id = ? RETURNING blob_key")
        .bind(zone, now, uploadId),
      this.db.prepare("DELETE FROM upload_parts WHERE upload_id = ?").bind(uploadId),
      this.db.prepare("DELETE FROM multipart_uploads WHERE id = ?").bind(uploadId),
    ]);
    return { existed: results[2].meta.changes === 1, freed: ((results[0].results ?? []) as Row[]).map((r) => r.blob_key as string) };
  }

  /** Uploads initiated before `before` (for the abandoned-upload sweep). */
  async staleUploads(before: number, limit: number): Promise<{ id: string; zone: string }[]> {
    const { results } = await this.db
      .prepare("SELECT u.id, b.zone FROM multipart_uploads u JOIN buckets b ON b.id = u.bucket_id WHERE u.initiated_at < ? ORDER BY u.initiated_at LIMIT ?")
      .bind(before, limit)
      .all<Row>();
    return results.map((r) => ({ id: r.id as string, zone: r.zone as string }));
  }

  /**
   * Statements that turn the chosen parts of an upload into the manifest of object row `objectId`
   * and end the upload: unchosen parts' blobs are queued for deletion. `chosen` is
   * [{n: partNumber, e: etag}] in order; the commit fails with InvalidPart if any changed meanwhile.
   */
  completeUploadStatements(zone: string, uploadId: string, objectId: string, chosen: { n: number; e: string }[], now: number): D1PreparedStatement[] {
    const db = this.db;
    const list = JSON.stringify(chosen);
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
    ];
  }

  // ---- blob deletion queue

  async queueBlobDeletion(zone: string, blobKeys: string[], now: number): Promise<void> {
    if (blobKeys.length === 0) return;
    await this.db.batch(
      blobKeys.map((k) =>
        this.db.prepare("INSERT OR IGNORE INTO blob_deletions (zone, blob_key, enqueued_at) VALUES (?, ?, ?)").bind(zone, k, now),
      ),
    );
  }

  async pendingBlobDeletions(limit: number, enqueuedBefore?: number): Promise<{ zone: string; blobKey: string }[]> {
    const { results } = await this.db
      .prepare("SELECT zone, blob_key FROM blob_deletions WHERE enqueued_at <= ? ORDER BY enqueued_at LIMIT ?")
      .bind(enqueuedBefore ?? Number.MAX_SAFE_INTEGER, limit)
      .all<Row>();
    return results.map((r) => ({ zone: r.zone as string, blobKey: r.blob_key as string }));
  }

  /** Blob keys among `keys` that some row still refers to (shared by a copy, or re-committed). */
  async referencedBlobs(keys: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < keys.length; i += 30) {
      const chunk = keys.slice(i, i + 30);
      const marks = chunk.map(() => "?").join(",");
      const { results } = await this.db
        .prepare(
          `SELECT blob_key FROM objects WHERE blob_key IN (${marks})
           UNION SELECT blob_key FROM object_parts WHERE blob_key IN (${marks})
           UNION SELECT blob_key FROM upload_parts WHERE blob_key IN (${marks})`,
        )
        .bind(...chunk, ...chunk, ...chunk)
        .all<Row>();
      for (const r of results) found.add(r.blob_key as string);
    }
    return found;
  }

  async forgetBlobDeletions(zone: string, keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.db.batch(keys.map((k) => this.db.prepare("DELETE FROM blob_deletions WHERE zone = ? AND blob_key = ?").bind(zone, k)));
  }

  /** Which of these blob keys are known to D1 at all (used by the orphan sweep). */
  async knownBlobs(keys: string[]): Promise<Set<string>> {
    const found = await this.referencedBlobs(keys);
    for (let i = 0; i < keys.length; i += 90) {
      const chunk = keys.slice(i, i + 90);
      const { results } = await this.db
        .prepare(`SELECT blob_key FROM blob_deletions WHERE blob_key IN (${chunk.map(() => "?").join(",")})`)
        .bind(...chunk)
        .all<Row>();
      for (const r of results) found.add(r.blob_key as string);
    }
    return found;
  }
}
