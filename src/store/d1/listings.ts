/**
 * The listings (ListObjects, ListObjectVersions, ListMultipartUploads): bounded reads of one index
 * each, so a page costs O(limit); logic/listing.ts and logic/version-listing.ts page over them.
 */
import type { KeyRange, ListedObject, ListedRow, ListedVersion, MultipartUpload } from "../model";
import type { LifecycleVersion } from "../model";
import { readLock, readTags } from "./columns";
import type { ObjectRow, UploadRow } from "./rows";
import { toUpload } from "./uploads";

const LISTED_COLUMNS = "key, size, etag, last_modified, owner_id, storage_class, checksum_algorithm";
const VERSION_COLUMNS = `${LISTED_COLUMNS}, version_id, seq, is_latest, is_delete_marker, checksum_type`;

type ListedObjectRow = Pick<ObjectRow, "key" | "size" | "etag" | "last_modified" | "owner_id" | "storage_class" | "checksum_algorithm">;
/** A ListedObjectRow as raw() returns it: the values in LISTED_COLUMNS order. */
type ListedObjectTuple = [string, number, string | null, number, string, string | null, string | null];
type ListedVersionRow = ListedObjectRow & Pick<ObjectRow, "version_id" | "seq" | "is_latest" | "is_delete_marker" | "checksum_type">;
/** A row of a rolled-up scan: `common_prefix` set when the row stands for `n` keys (or versions) under it. */
type RollupColumns = { common_prefix: string | null; n: number };

const toListed = (r: ListedObjectRow): ListedObject => ({
  key: r.key,
  size: r.size,
  etag: r.etag ?? "",
  lastModified: r.last_modified,
  ownerId: r.owner_id,
  storageClass: r.storage_class ?? "STANDARD",
  checksumAlgorithm: r.checksum_algorithm ?? null,
});

const toListedVersion = (r: ListedVersionRow): ListedVersion => ({
  ...toListed(r),
  versionId: r.version_id,
  seq: r.seq,
  isLatest: r.is_latest === 1,
  isDeleteMarker: r.is_delete_marker === 1,
  checksumType: r.checksum_type ?? null,
});

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

/**
 * A delimiter listing that visits each common prefix once: a recursive walk over an index in which
 * every step is one seek, to the key after the current one or, when the current key lies under a
 * common prefix, to the first key past that prefix (the prefix with its delimiter's last character
 * incremented: keys under it all sort before that). So a page of N entries costs about N index
 * seeks, however many keys (or versions) each prefix holds. `where` and `params` hold the first
 * key's range conditions and end with the limit (the number of walk steps); `rows` is the condition
 * every later step keeps to (the index's own). Returns the CTE and the walked keys as `w(k, dpos)`
 * (dpos > 0: k lies under the common prefix ending at the delimiter found there), or null when the
 * delimiter's last character has no successor that SQLite can write (U+10FFFF, or just before the
 * surrogates): the caller then groups a scan.
 */
function keyWalk(
  rollup: { prefix: string; delimiter: string },
  where: string[],
  params: unknown[],
  index: { name: string; rows: string },
): { cte: string; walked: string; commonPrefix: (dpos: string, key: string) => string } | null {
  const chars = [...rollup.delimiter];
  const last = chars[chars.length - 1].codePointAt(0)!;
  if (last === 0xd7ff || last >= 0x10ffff) return null;
  const limit = params.length;
  const before = where.find((w) => w.startsWith("key <"));
  params.push([...rollup.prefix].length, rollup.delimiter, chars.length, String.fromCodePoint(last + 1));
  const [P, D, DL, DS] = [limit + 1, limit + 2, limit + 3, limit + 4].map((i) => `?${i}`);
  const dpos = (k: string) => `instr(substr(${k}, ${P} + 1), ${D})`;
  // The smallest key after walk.k: past its common prefix, or (k || char(0)) just after it.
  const next = `CASE WHEN ${dpos("walk.k")} > 0 THEN substr(walk.k, 1, ${P} + ${dpos("walk.k")} + ${DL} - 2) || ${DS} ELSE walk.k || char(0) END`;
  const scan = `FROM objects INDEXED BY ${index.name}`;
  return {
    cte: `WITH RECURSIVE walk(k, n) AS (
      SELECT (SELECT key ${scan} WHERE ${where.join(" AND ")} ORDER BY key LIMIT 1), 1
      UNION ALL
      SELECT (SELECT key ${scan} WHERE ${index.rows} AND key >= ${next}${before ? ` AND ${before}` : ""} ORDER BY key LIMIT 1), n + 1
      FROM walk WHERE k IS NOT NULL AND n < ?${limit})`,
    walked: `(SELECT k, ${dpos("k")} AS dpos FROM walk WHERE k IS NOT NULL) w`,
    commonPrefix: (d, key) => `CASE WHEN ${d} > 0 THEN substr(${key}, 1, ${P} + ${d} + ${DL} - 1) END`,
  };
}

const CURRENT_INDEX = { name: "objects_current", rows: "bucket_id = ?1 AND is_latest = 1 AND is_delete_marker = 0" };
const VERSIONS_INDEX = { name: "objects_by_key_seq", rows: "bucket_id = ?1" };

/** listCurrent's walk: one row per common prefix (its first live key) or key, each one entry (n = 1). */
function currentWalk(rollup: { prefix: string; delimiter: string }, where: string[], params: unknown[]): string | null {
  const walk = keyWalk(rollup, where, params, CURRENT_INDEX);
  if (!walk) return null;
  return `${walk.cte}
    SELECT ${walk.commonPrefix("w.dpos", "o.key")} AS common_prefix, o.key AS last_key, 1 AS n,
      ${LISTED_COLUMNS.split(", ")
        .map((c) => `o.${c}`)
        .join(", ")}
    FROM ${walk.walked}
    JOIN objects o INDEXED BY objects_current ON o.bucket_id = ?1 AND o.key = w.k AND o.is_latest = 1 AND o.is_delete_marker = 0
    ORDER BY w.k`;
}

/**
 * listVersions' walk: one row per common prefix (the newest version of its first key), and every
 * version of each key outside one, newest first; each row one entry (n = 1), at most `limit` rows.
 */
function versionsWalk(rollup: { prefix: string; delimiter: string }, where: string[], params: unknown[]): string | null {
  const limit = params.length;
  const walk = keyWalk(rollup, where, params, VERSIONS_INDEX);
  if (!walk) return null;
  return `${walk.cte}
    SELECT ${walk.commonPrefix("w.dpos", "o.key")} AS common_prefix, 1 AS n,
      ${VERSION_COLUMNS.split(", ")
        .map((c) => `o.${c}`)
        .join(", ")}
    FROM ${walk.walked}
    JOIN objects o INDEXED BY objects_by_key_seq ON o.bucket_id = ?1 AND o.key = w.k
    WHERE w.dpos = 0 OR o.seq = (SELECT MAX(seq) FROM objects INDEXED BY objects_by_key_seq WHERE bucket_id = ?1 AND key = w.k)
    ORDER BY o.key, o.seq DESC LIMIT ?${limit}`;
}

export class Listings {
  constructor(private readonly db: D1Database) {}

  /**
   * Up to `maxKeys` keys after `afterKey`, each with every version (delete markers included) newest
   * first, with what lifecycle rules judge: size, tags, lock (the scheduled job's walk).
   */
  async keyVersions(bucketId: string, afterKey: string, maxKeys: number): Promise<{ key: string; versions: LifecycleVersion[] }[]> {
    const { results } = await this.db
      .prepare(
        `SELECT id, key, version_id, is_delete_marker, size, last_modified, tags, lock_mode, lock_retain_until, legal_hold FROM objects
         WHERE bucket_id = ?1 AND key IN (SELECT DISTINCT key FROM objects WHERE bucket_id = ?1 AND key > ?2 ORDER BY key LIMIT ?3)
         ORDER BY key, seq DESC`,
      )
      .bind(bucketId, afterKey, maxKeys)
      .all<
        Pick<ObjectRow, "id" | "key" | "version_id" | "is_delete_marker" | "size" | "last_modified" | "tags" | "lock_mode" | "lock_retain_until" | "legal_hold">
      >();
    const out: { key: string; versions: LifecycleVersion[] }[] = [];
    for (const r of results) {
      if (out[out.length - 1]?.key !== r.key) out.push({ key: r.key, versions: [] });
      out[out.length - 1]!.versions.push({
        rowId: r.id,
        versionId: r.version_id,
        isDeleteMarker: r.is_delete_marker === 1,
        size: r.size,
        lastModified: r.last_modified,
        tags: readTags(r.tags),
        lock: readLock(r),
      });
    }
    return out;
  }

  /**
   * Current, live objects with key > `after` (and >= `from`) and < `before`, in UTF-8 binary key order,
   * scanning at most `limit` rows of the partial index objects_current, so a read costs O(limit).
   * With `rollup`, keys that contain the delimiter after the prefix come back as one row per common
   * prefix (grouped inside SQLite, so a page of prefixes ships one row per prefix, not per key).
   */
  async listCurrent(bucketId: string, range: KeyRange): Promise<ListedRow[]> {
    const where = ["bucket_id = ?1", "is_latest = 1", "is_delete_marker = 0"];
    const params: unknown[] = [bucketId];
    keyRangeConditions(range, where, params);
    params.push(range.limit);
    const scan = `SELECT ${LISTED_COLUMNS} FROM objects INDEXED BY objects_current WHERE ${where.join(" AND ")} ORDER BY key LIMIT ?${params.length}`;
    if (!range.rollup) {
      // Rows as arrays (raw): D1's binding then builds no object per row, a tenth of a page's CPU.
      const rows = await this.db
        .prepare(scan)
        .bind(...params)
        .raw<ListedObjectTuple>();
      return rows.map(([key, size, etag, lastModified, ownerId, storageClass, checksumAlgorithm]) => ({
        key,
        size,
        etag: etag ?? "",
        lastModified,
        ownerId,
        storageClass: storageClass ?? "STANDARD",
        checksumAlgorithm: checksumAlgorithm ?? null,
        commonPrefix: null,
        lastKey: key,
        rows: 1,
      }));
    }
    const walk = currentWalk(range.rollup, where, params);
    if (walk) {
      const { results } = await this.db
        .prepare(walk)
        .bind(...params)
        .all<ListedObjectRow & RollupColumns & { last_key: string }>();
      return results.map((r) => ({ ...toListed(r), commonPrefix: r.common_prefix ?? null, lastKey: r.last_key, rows: r.n }));
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
      .all<ListedObjectRow & RollupColumns & { last_key: string }>();
    return results.map((r) => ({ ...toListed(r), commonPrefix: r.common_prefix ?? null, lastKey: r.last_key, rows: r.n }));
  }

  /**
   * Versions and delete markers in ListObjectVersions order (key ascending, newest first within a
   * key), served by the index objects_by_key_seq so that a read costs O(limit): either the versions
   * of one key older than `seqBelow`, or every version of the keys > `after` (and >= `from`) and < `before`.
   */
  async listVersions(
    bucketId: string,
    range: { key: string; seqBelow: number; limit: number } | KeyRange,
  ): Promise<(ListedVersion & { commonPrefix?: string | null; rows?: number })[]> {
    const from = `SELECT ${VERSION_COLUMNS} FROM objects INDEXED BY objects_by_key_seq`;
    if ("key" in range) {
      const { results } = await this.db
        .prepare(`${from} WHERE bucket_id = ?1 AND key = ?2 AND seq < ?3 ORDER BY seq DESC LIMIT ?4`)
        .bind(bucketId, range.key, range.seqBelow, range.limit)
        .all<ListedVersionRow>();
      return results.map(toListedVersion);
    }
    const where = ["bucket_id = ?1"];
    const params: unknown[] = [bucketId];
    keyRangeConditions(range, where, params);
    params.push(range.limit);
    const scan = `${from} WHERE ${where.join(" AND ")} ORDER BY key, seq DESC LIMIT ?${params.length}`;
    if (!range.rollup) {
      const { results } = await this.db
        .prepare(scan)
        .bind(...params)
        .all<ListedVersionRow>();
      return results.map(toListedVersion);
    }
    // As in listCurrent: versions of keys under a common prefix come back as one row per prefix.
    const walk = versionsWalk(range.rollup, where, params);
    if (walk) {
      const { results } = await this.db
        .prepare(walk)
        .bind(...params)
        .all<ListedVersionRow & RollupColumns>();
      return results.map((r) => ({ ...toListedVersion(r), commonPrefix: r.common_prefix ?? null, rows: r.n }));
    }
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
      .all<ListedVersionRow & RollupColumns>();
    return results.map((r) => ({ ...toListedVersion(r), commonPrefix: r.common_prefix ?? null, rows: r.n }));
  }

  /** Uploads in (key, upload id) order after the markers; ids are time-ordered so this is initiation order per key. */
  async listUploads(
    bucketId: string,
    o: { prefix: string; keyMarker?: string; uploadIdMarker?: string /** inclusive lower bound on the key */; from?: string; limit: number },
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
      .all<UploadRow>();
    return results.map(toUpload);
  }
}
