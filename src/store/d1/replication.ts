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

  /** Pending copies due at `now`, oldest first: the reconciling scan's work list. */
  async pending(limit: number, now: number): Promise<ReplicationTask[]> {
    const { results } = await this.db
      .prepare("SELECT * FROM replication_tasks WHERE state = 'PENDING' AND next_attempt_at <= ? ORDER BY next_attempt_at, enqueued_at LIMIT ?")
      .bind(now, limit)
      .all<ReplicationTaskRow>();
    return results.map(toTask);
  }

  /** The pending copies of one source version (what a write starts after its response). */
  async pendingFor(objectId: string): Promise<ReplicationTask[]> {
    const { results } = await this.db
      .prepare("SELECT * FROM replication_tasks WHERE object_id = ? AND state = 'PENDING'")
      .bind(objectId)
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
