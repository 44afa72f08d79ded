/**
 * Where each blob's copies are (blob_replicas, docs/replication.md): a row says the blob has a copy in
 * its zone's replica. The referencing rows (objects, object_parts, upload_parts) say which blobs must
 * have one; SSE-C blobs cannot (R2 needs the customer's key to read them) and are reported instead.
 */
/** Every blob a row refers to, with its zone and whether it is SSE-C encrypted (?1 = zone, ?2 = keys after). */
const REFERENCED_IN_ZONE = `
  SELECT o.blob_key AS blob_key, o.ssec_key_md5 IS NOT NULL AS ssec FROM objects o JOIN buckets b ON b.id = o.bucket_id
   WHERE b.zone = ?1 AND o.blob_key IS NOT NULL AND o.blob_key > ?2
  UNION SELECT p.blob_key, o.ssec_key_md5 IS NOT NULL FROM object_parts p JOIN objects o ON o.id = p.object_id JOIN buckets b ON b.id = o.bucket_id
   WHERE b.zone = ?1 AND p.blob_key > ?2
  UNION SELECT u.blob_key, m.ssec_key_md5 IS NOT NULL FROM upload_parts u JOIN multipart_uploads m ON m.id = u.upload_id JOIN buckets b ON b.id = m.bucket_id
   WHERE b.zone = ?1 AND u.blob_key > ?2`;

export type ReplicaCounts = { zone: string; referenced: number; replicated: number; unreplicated: number; ssecUnreplicable: number };

export class Replicas {
  constructor(private readonly db: D1Database) {}

  /**
   * Of `keys`, those a row refers to and that can be copied (not SSE-C) and have no replica copy
   * recorded yet: what a replicate job still has to copy.
   */
  async toCopy(zone: string, keys: string[]): Promise<string[]> {
    if (keys.length === 0) return [];
    // The keys as one JSON parameter: one statement whatever their number (D1 binds at most 100 parameters).
    const wanted = "SELECT value FROM json_each(?2)";
    const { results } = await this.db
      .prepare(
        `SELECT blob_key FROM (
           SELECT blob_key, ssec_key_md5 AS ssec FROM objects WHERE blob_key IN (${wanted})
           UNION ALL SELECT p.blob_key, o.ssec_key_md5 FROM object_parts p JOIN objects o ON o.id = p.object_id WHERE p.blob_key IN (${wanted})
           UNION ALL SELECT u.blob_key, m.ssec_key_md5 FROM upload_parts u JOIN multipart_uploads m ON m.id = u.upload_id WHERE u.blob_key IN (${wanted})
         ) k
         WHERE NOT EXISTS (SELECT 1 FROM blob_replicas r WHERE r.zone = ?1 AND r.blob_key = k.blob_key)
         GROUP BY blob_key HAVING MAX(ssec IS NOT NULL) = 0`,
      )
      .bind(zone, JSON.stringify(keys))
      .all<{ blob_key: string }>();
    return results.map((r) => r.blob_key);
  }

  /** Records that these blobs now have a replica copy (a second record of the same copy changes nothing), in one statement. */
  async record(zone: string, keys: string[], now: number): Promise<void> {
    if (keys.length === 0) return;
    await this.db
      .prepare("INSERT OR IGNORE INTO blob_replicas (zone, blob_key, copied_at) SELECT ?1, value, ?2 FROM json_each(?3)")
      .bind(zone, now, JSON.stringify(keys))
      .run();
  }

  async forget(zone: string, keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.db.batch(keys.map((k) => this.db.prepare("DELETE FROM blob_replicas WHERE zone = ? AND blob_key = ?").bind(zone, k)));
  }

  /**
   * Referenced, copyable blobs of `zone` after `after` (key order) that have no replica copy yet: the
   * reconciling job's page. Each branch walks its blob_key index from `after` and stops at `limit`,
   * so a whole reconciliation reads each referenced blob about once.
   */
  async unreplicated(zone: string, after: string, limit: number): Promise<string[]> {
    const missing = "NOT EXISTS (SELECT 1 FROM blob_replicas r WHERE r.zone = ?1 AND r.blob_key = k)";
    const { results } = await this.db
      .prepare(
        `SELECT k AS blob_key FROM (
           SELECT * FROM (SELECT o.blob_key AS k FROM objects o JOIN buckets b ON b.id = o.bucket_id
             WHERE o.blob_key > ?2 AND b.zone = ?1 AND o.ssec_key_md5 IS NULL AND ${missing} ORDER BY o.blob_key LIMIT ?3)
           UNION SELECT * FROM (SELECT p.blob_key AS k FROM object_parts p JOIN objects o ON o.id = p.object_id JOIN buckets b ON b.id = o.bucket_id
             WHERE p.blob_key > ?2 AND b.zone = ?1 AND o.ssec_key_md5 IS NULL AND ${missing} ORDER BY p.blob_key LIMIT ?3)
           UNION SELECT * FROM (SELECT u.blob_key AS k FROM upload_parts u JOIN multipart_uploads m ON m.id = u.upload_id JOIN buckets b ON b.id = m.bucket_id
             WHERE u.blob_key > ?2 AND b.zone = ?1 AND m.ssec_key_md5 IS NULL AND ${missing} ORDER BY u.blob_key LIMIT ?3)
         ) ORDER BY k LIMIT ?3`,
      )
      .bind(zone, after, limit)
      .all<{ blob_key: string }>();
    return results.map((r) => r.blob_key);
  }

  /** Per zone: blobs rows refer to, how many have a replica copy, how many do not yet, and how many SSE-C blobs cannot have one. */
  async counts(zone: string): Promise<ReplicaCounts> {
    const row = await this.db
      .prepare(
        `SELECT COUNT(*) AS referenced,
                COALESCE(SUM(ssec = 0 AND copied), 0) AS replicated,
                COALESCE(SUM(ssec = 0 AND NOT copied), 0) AS unreplicated,
                COALESCE(SUM(ssec), 0) AS ssec
         FROM (SELECT blob_key, MAX(ssec) AS ssec,
                      EXISTS (SELECT 1 FROM blob_replicas r WHERE r.zone = ?1 AND r.blob_key = k.blob_key) AS copied
               FROM (${REFERENCED_IN_ZONE}) k GROUP BY blob_key)`,
      )
      .bind(zone, "")
      .first<{ referenced: number; replicated: number; unreplicated: number; ssec: number }>();
    return { zone, referenced: row?.referenced ?? 0, replicated: row?.replicated ?? 0, unreplicated: row?.unreplicated ?? 0, ssecUnreplicable: row?.ssec ?? 0 };
  }
}
