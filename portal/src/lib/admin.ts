/** The admin API (/_admin, JSON, bearer token: docs/users-keys-acls.md), as the admin view calls it. */
import { failureOf, S3Failure } from "./s3";

export type User = { userId: string; displayName: string; email: string | null; maxBuckets: number; createdAt: string };
export type Key = { accessKeyId: string; userId: string; bucket: string | null; operations: string | string[]; enabled: boolean; createdAt: string };
export type Usage = { name: string; owner: string; zone: string; objectCount: number; storedBytes: number; billedBytes: number };

export class Admin {
  constructor(
    readonly token: string,
    readonly endpoint: string = location.origin,
  ) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.endpoint}/_admin${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body ? { "content-type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch (e) {
      throw new S3Failure("NetworkError", (e as Error).message, 0);
    }
    if (!res.ok) throw await failureOf(res);
    return res.status === 204 ? (undefined as T) : ((await res.json()) as T);
  }

  users = async () => (await this.call<{ users: User[] }>("GET", "/users")).users;
  createUser = (displayName: string, email?: string) => this.call<User>("POST", "/users", { displayName, ...(email ? { email } : {}) });
  deleteUser = (id: string) => this.call<void>("DELETE", `/users/${encodeURIComponent(id)}`);
  keys = async () => (await this.call<{ keys: Key[] }>("GET", "/keys")).keys;
  createKey = (userId: string, bucket: string | null, operations: string) =>
    this.call<Key & { secretAccessKey: string }>("POST", "/keys", { userId, ...(bucket ? { bucket } : {}), operations });
  setKeyEnabled = (id: string, enabled: boolean) => this.call<Key>("PATCH", `/keys/${encodeURIComponent(id)}`, { enabled });
  deleteKey = (id: string) => this.call<void>("DELETE", `/keys/${encodeURIComponent(id)}`);
  usage = async () => (await this.call<{ buckets: Usage[] }>("GET", "/usage")).buckets;
}
