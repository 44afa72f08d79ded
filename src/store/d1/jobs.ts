/** Dead-lettered job messages (job_dead_letters): kept until an operator replays or drops them. */
export type DeadLetter = { id: string; kind: string; body: string; attempts: number; error: string; failedAt: number };

type DeadLetterRow = { id: string; kind: string; body: string; attempts: number; error: string; failed_at: number };

const fromRow = (r: DeadLetterRow): DeadLetter => ({ id: r.id, kind: r.kind, body: r.body, attempts: r.attempts, error: r.error, failedAt: r.failed_at });

export class Jobs {
  constructor(private readonly db: D1Database) {}

  async addDeadLetter(d: DeadLetter): Promise<void> {
    await this.db
      .prepare("INSERT OR IGNORE INTO job_dead_letters (id, kind, body, attempts, error, failed_at) VALUES (?, ?, ?, ?, ?, ?)")
      .bind(d.id, d.kind, d.body, d.attempts, d.error, d.failedAt)
      .run();
  }

  /** Oldest first. */
  async deadLetters(limit = 1000): Promise<DeadLetter[]> {
    const { results } = await this.db.prepare("SELECT * FROM job_dead_letters ORDER BY failed_at, id LIMIT ?").bind(limit).all<DeadLetterRow>();
    return results.map(fromRow);
  }

  async deadLetter(id: string): Promise<DeadLetter | null> {
    const row = await this.db.prepare("SELECT * FROM job_dead_letters WHERE id = ?").bind(id).first<DeadLetterRow>();
    return row ? fromRow(row) : null;
  }

  /** Deletes the dead letter; false when there was none (already replayed). */
  async dropDeadLetter(id: string): Promise<boolean> {
    const r = await this.db.prepare("DELETE FROM job_dead_letters WHERE id = ?").bind(id).run();
    return r.meta.changes > 0;
  }
}
