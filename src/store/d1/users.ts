/** Users and their access keys. */
import type { AccessKey, User } from "../model";
import { readOperations, writeOperations } from "./columns";
import type { AccessKeyRow, UserRow } from "./rows";

const toUser = (r: UserRow): User => ({
  id: r.id,
  displayName: r.display_name,
  email: r.email ?? null,
  maxBuckets: r.max_buckets,
  createdAt: r.created_at,
});

const toAccessKey = (r: AccessKeyRow): AccessKey => ({
  accessKeyId: r.access_key_id,
  userId: r.user_id,
  secretEnc: r.secret_enc,
  bucket: r.bucket ?? null,
  operations: readOperations(r.operations),
  enabled: r.enabled === 1,
  createdAt: r.created_at,
});

export class Users {
  constructor(private readonly db: D1Database) {}

  private insert(user: User): D1PreparedStatement {
    return this.db
      .prepare("INSERT OR IGNORE INTO users (id, display_name, email, max_buckets, created_at) VALUES (?, ?, ?, ?, ?)")
      .bind(user.id, user.displayName, user.email, user.maxBuckets, user.createdAt);
  }

  /** Creates the user unless the id exists (the root user, on every request that needs it). */
  async ensure(user: User): Promise<void> {
    await this.insert(user).run();
  }

  /** Creates the user; false when the id, display name or e-mail is taken. */
  async create(user: User): Promise<boolean> {
    return (await this.insert(user).run()).meta.changes === 1;
  }

  async get(id: string): Promise<User | null> {
    const r = await this.db.prepare("SELECT * FROM users WHERE id = ?").bind(id).first<UserRow>();
    return r ? toUser(r) : null;
  }

  /** E-mail addresses match case-insensitively (ACL grants by emailAddress=). */
  async getByEmail(email: string): Promise<User | null> {
    const r = await this.db.prepare("SELECT * FROM users WHERE email = ? COLLATE NOCASE").bind(email).first<UserRow>();
    return r ? toUser(r) : null;
  }

  async list(): Promise<User[]> {
    const { results } = await this.db.prepare("SELECT * FROM users ORDER BY display_name").all<UserRow>();
    return results.map(toUser);
  }

  async setMaxBuckets(id: string, maxBuckets: number): Promise<boolean> {
    const r = await this.db.prepare("UPDATE users SET max_buckets = ? WHERE id = ?").bind(maxBuckets, id).run();
    return r.meta.changes === 1;
  }

  /** Deletes a user and their keys; refused while they own buckets. */
  async delete(id: string): Promise<"deleted" | "missing" | "owns-buckets"> {
    const owns = await this.db.prepare("SELECT 1 FROM buckets WHERE owner_id = ? LIMIT 1").bind(id).first();
    if (owns) return "owns-buckets";
    const [, r] = await this.db.batch([
      this.db.prepare("DELETE FROM access_keys WHERE user_id = ?").bind(id),
      this.db.prepare("DELETE FROM users WHERE id = ?").bind(id),
    ]);
    return r.meta.changes === 1 ? "deleted" : "missing";
  }
}

export class AccessKeys {
  constructor(private readonly db: D1Database) {}

  async create(key: AccessKey): Promise<void> {
    await this.db
      .prepare("INSERT INTO access_keys (access_key_id, user_id, secret_enc, bucket, operations, enabled, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .bind(key.accessKeyId, key.userId, key.secretEnc, key.bucket, writeOperations(key.operations), key.enabled ? 1 : 0, key.createdAt)
      .run();
  }

  async get(accessKeyId: string): Promise<AccessKey | null> {
    const r = await this.db.prepare("SELECT * FROM access_keys WHERE access_key_id = ?").bind(accessKeyId).first<AccessKeyRow>();
    return r ? toAccessKey(r) : null;
  }

  async list(userId?: string): Promise<AccessKey[]> {
    const stmt = userId
      ? this.db.prepare("SELECT * FROM access_keys WHERE user_id = ? ORDER BY created_at").bind(userId)
      : this.db.prepare("SELECT * FROM access_keys ORDER BY user_id, created_at");
    return (await stmt.all<AccessKeyRow>()).results.map(toAccessKey);
  }

  async setEnabled(accessKeyId: string, enabled: boolean): Promise<boolean> {
    const r = await this.db
      .prepare("UPDATE access_keys SET enabled = ? WHERE access_key_id = ?")
      .bind(enabled ? 1 : 0, accessKeyId)
      .run();
    return r.meta.changes === 1;
  }

  async delete(accessKeyId: string): Promise<boolean> {
    const r = await this.db.prepare("DELETE FROM access_keys WHERE access_key_id = ?").bind(accessKeyId).run();
    return r.meta.changes === 1;
  }
}
