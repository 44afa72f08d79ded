/**
 * Bucket replication's copies owed (replication_tasks): written in the batch that commits a
 * source version, settled in the batch that commits its replica, so a copy is never lost between
 * the two and never counted twice. The source version's x-amz-replication-status is recomputed
 * from its remaining tasks in the same batches: PENDING while any is pending, FAILED when one
 * failed, COMPLETED when none is left.
 */
import type { NewObjectVersion, ReplicationTask } from "../model";
import type { ReplicationTaskRow } from "./rows";

const toTask = (r: ReplicationTaskRow): ReplicationTask => ({
  objectId: r.object_id,
  destination: r.destination,
  ruleId: r.rule_id,
  attempts: r.attempts,
  enqueuedAt: r.enqueued_at,
});

/** The statement recording the copies `v` owes (none when it owes none), for its commit batch. */
export function owedCopiesStatements(db: D1Database, v: NewObjectVersion, now: number): D1PreparedStatement[] {
  if (v.replicateTo.length === 0) return [];
  return [
    db
      .prepare(
        `INSERT OR IGNORE INTO replication_tasks (object_id, destination, rule_id, enqueued_at, next_attempt_at)
         SELECT ?1, json_extract(value, '$.destination'), json_extract(value, '$.ruleId'), ?2, ?2 FROM json_each(?3)`,
      )
      .bind(v.id, now, JSON.stringify(v.replicateTo)),
  ];
}

/** Recomputes a source version's status from its tasks. */
function statusStatement(db: D1Database, objectId: string): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE objects SET replication_status = CASE
         WHEN EXISTS (SELECT 1 FROM replication_tasks WHERE object_id = ?1 AND state = 'PENDING') THEN 'PENDING'
         WHEN EXISTS (SELECT 1 FROM replication_tasks WHERE object_id = ?1 AND state = 'FAILED') THEN 'FAILED'
         ELSE 'COMPLETED' END
       WHERE id = ?1`,
    )
    .bind(objectId);
}

/** Statements that close a task as copied (for the replica's commit batch). */
export function settleStatements(db: D1Database, task: Pick<ReplicationTask, "objectId" | "destination">): D1PreparedStatement[] {
  return [
    db.prepare("DELETE FROM replication_tasks WHERE object_id = ? AND destination = ?").bind(task.objectId, task.destination),
    statusStatement(db, task.objectId),
  ];
}

export class ReplicationTasks {
  constructor(private readonly db: D1Database) {}

  /**
   * One page of the pending copies due at `now`, in key order after `after` (the reconciling scan
   * pages with it, so a long backlog is reached in full however many copies are added meanwhile).
   */
  async pending(limit: number, now: number, after: Pick<ReplicationTask, "objectId" | "destination"> | null): Promise<ReplicationTask[]> {
    const { results } = await this.db
      .prepare(
        `SELECT * FROM replication_tasks WHERE state = 'PENDING' AND next_attempt_at <= ?1 AND (object_id, destination) > (?2, ?3)
         ORDER BY object_id, destination LIMIT ?4`,
      )
      .bind(now, after?.objectId ?? "", after?.destination ?? "", limit)
      .all<ReplicationTaskRow>();
    return results.map(toTask);
  }

  /** The copy of `objectId` into `destination`, if it is still pending (what one job message names). */
  async pendingTask(objectId: string, destination: string): Promise<ReplicationTask | null> {
    const r = await this.db
      .prepare("SELECT * FROM replication_tasks WHERE object_id = ? AND destination = ? AND state = 'PENDING'")
      .bind(objectId, destination)
      .first<ReplicationTaskRow>();
    return r ? toTask(r) : null;
  }

  /**
   * Pending copies into `destination` of versions of the same key older than `seq` (in the same
   * source bucket), oldest first: they are copied first, so the destination keeps the source's order.
   */
  async olderPending(bucketId: string, key: string, seq: number, destination: string): Promise<ReplicationTask[]> {
    const { results } = await this.db
      .prepare(
        `SELECT t.* FROM replication_tasks t JOIN objects o ON o.id = t.object_id
         WHERE o.bucket_id = ? AND o.key = ? AND o.seq < ? AND t.destination = ? AND t.state = 'PENDING' ORDER BY o.seq`,
      )
      .bind(bucketId, key, seq, destination)
      .all<ReplicationTaskRow>();
    return results.map(toTask);
  }

  /** A task whose copy exists already (a redelivery, a race): closes it. */
  async settle(task: ReplicationTask): Promise<void> {
    await this.db.batch(settleStatements(this.db, task));
  }

  /** A task whose source version is gone: nothing to copy, nothing to report on. */
  async drop(task: ReplicationTask): Promise<void> {
    await this.db.prepare("DELETE FROM replication_tasks WHERE object_id = ? AND destination = ?").bind(task.objectId, task.destination).run();
  }

  /** A copy that cannot succeed: the task stays as FAILED (with why), and so does the source's status. */
  async fail(task: ReplicationTask, reason: string): Promise<void> {
    await this.db.batch([
      this.db
        .prepare("UPDATE replication_tasks SET state = 'FAILED', last_error = ?, attempts = attempts + 1 WHERE object_id = ? AND destination = ?")
        .bind(reason, task.objectId, task.destination),
      statusStatement(this.db, task.objectId),
    ]);
  }

  /** A copy that failed for a reason that may pass: tried again at `at`. */
  async retryLater(task: ReplicationTask, reason: string, at: number): Promise<void> {
    await this.db
      .prepare(
        "UPDATE replication_tasks SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE object_id = ? AND destination = ? AND state = 'PENDING'",
      )
      .bind(reason, at, task.objectId, task.destination)
      .run();
  }
}
