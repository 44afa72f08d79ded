/**
 * The blob deletion queue (blob_deletions) and the reference checks that make deleting a queued
 * blob safe: a blob is deleted from R2 only when no object, manifest part or upload part refers to it.
 */
import type { PendingBlob } from "../model";
import type { BlobDeletionRow } from "./rows";

type BlobKeyRow = Pick<BlobDeletionRow, "blob_key">;

export class BlobGc {
  constructor(private readonly db: D1Database) {}

  async queue(zone: string, blobKeys: string[], now: number): Promise<void> {
    if (blobKeys.length === 0) return;
    await this.db.batch(
      blobKeys.map((k) => this.db.prepare("INSERT OR IGNORE INTO blob_deletions (zone, blob_key, enqueued_at) VALUES (?, ?, ?)").bind(zone, k, now)),
    );
  }

  /** Queued blobs, oldest first (enqueued at or before `enqueuedBefore` when given). */
  async pending(limit: number, enqueuedBefore?: number): Promise<PendingBlob[]> {
    const { results } = await this.db
      .prepare("SELECT zone, blob_key FROM blob_deletions WHERE enqueued_at <= ? ORDER BY enqueued_at LIMIT ?")
      .bind(enqueuedBefore ?? Number.MAX_SAFE_INTEGER, limit)
      .all<Pick<BlobDeletionRow, "zone" | "blob_key">>();
    return results.map((r) => ({ zone: r.zone, blobKey: r.blob_key }));
  }

  async forget(zone: string, keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.db.batch(keys.map((k) => this.db.prepare("DELETE FROM blob_deletions WHERE zone = ? AND blob_key = ?").bind(zone, k)));
  }

  /** Blob keys among `keys` that some row still refers to (shared by a copy, or re-committed). */
  async referenced(keys: string[]): Promise<Set<string>> {
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
        .all<BlobKeyRow>();
      for (const r of results) found.add(r.blob_key);
    }
    return found;
  }

  /** The blob key the orphan sweep of `zone` stopped after, or null to start from the beginning. */
  async sweepPosition(zone: string): Promise<string | null> {
    const row = await this.db.prepare("SELECT after_key FROM orphan_sweep_positions WHERE zone = ?").bind(zone).first<{ after_key: string }>();
    return row?.after_key ?? null;
  }

  /** Records where the orphan sweep of `zone` stopped (null: it reached the end of the listing). */
  async setSweepPosition(zone: string, afterKey: string | null, now: number): Promise<void> {
    const statement =
      afterKey === null
        ? this.db.prepare("DELETE FROM orphan_sweep_positions WHERE zone = ?").bind(zone)
        : this.db
            .prepare(
              "INSERT INTO orphan_sweep_positions (zone, after_key, updated_at) VALUES (?, ?, ?) ON CONFLICT (zone) DO UPDATE SET after_key = excluded.after_key, updated_at = excluded.updated_at",
            )
            .bind(zone, afterKey, now);
    await statement.run();
  }

  /** Which of these blob keys are known to D1 at all, referenced, queued or being written by a compaction (used by the orphan sweep). */
  async known(keys: string[]): Promise<Set<string>> {
    const found = await this.referenced(keys);
    for (let i = 0; i < keys.length; i += 45) {
      const chunk = keys.slice(i, i + 45);
      const { results } = await this.db
        .prepare(
          `SELECT blob_key FROM blob_deletions WHERE blob_key IN (${chunk.map(() => "?").join(",")})
           UNION SELECT blob_key FROM compactions WHERE blob_key IN (${chunk.map(() => "?").join(",")})`,
        )
        .bind(...chunk, ...chunk)
        .all<BlobKeyRow>();
      for (const r of results) found.add(r.blob_key);
    }
    return found;
  }
}
