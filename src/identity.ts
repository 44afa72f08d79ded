/**
 * Who is calling: access key id -> secret and principal. The root user is bootstrapped from
 * SOS_ROOT_ACCESS_KEY / SOS_ROOT_SECRET_KEY the way MinIO does it; other keys live in D1 with
 * encrypted secrets. Lookups are cached in isolate memory for a few seconds.
 */
import type { Env } from "./env";
import { decryptSecret } from "./logic/secrets";
import type { MetaStore, User } from "./store/meta-d1";

/** Canonical id of the root user: fixed, so the root key can rotate without orphaning buckets. */
export const ROOT_USER_ID = "5053a9b2d14b8c0e1f6d7a3e9c2b4f8016e5d7c9a1b3f2e4d6c8a0b9e7f5d3c1";

export type KeyScope = {
  /** bucket name the key is limited to, or null */
  bucket: string | null;
  /** 'full' | 'read-only' | 'write-only' | JSON array of operation names */
  operations: string;
};

export type Principal =
  | { kind: "anonymous" }
  | { kind: "user"; user: User; accessKeyId: string; scope: KeyScope };

type Resolved = { secret: string; user: User; scope: KeyScope; enabled: boolean };

const CACHE_TTL_MS = 5_000;
const cache = new Map<string, { at: number; value: Resolved | null }>();

export function forgetAccessKey(accessKeyId: string): void {
  cache.delete(accessKeyId);
}

let rootEnsured = false;

export function rootUser(): User {
  return { id: ROOT_USER_ID, displayName: "root", email: null, maxBuckets: 1000, createdAt: Date.now() };
}

export class Identity {
  constructor(
    private readonly env: Env,
    private readonly meta: MetaStore,
  ) {}

  async resolve(accessKeyId: string): Promise<Resolved | null> {
    const hit = cache.get(accessKeyId);
    if (hit && Date.now() - hit.at < CACHE_TTL_MS) return hit.value;
    const value = await this.load(accessKeyId);
    cache.set(accessKeyId, { at: Date.now(), value });
    return value;
  }

  private async load(accessKeyId: string): Promise<Resolved | null> {
    if (this.env.SOS_ROOT_ACCESS_KEY && this.env.SOS_ROOT_SECRET_KEY && accessKeyId === this.env.SOS_ROOT_ACCESS_KEY) {
      if (!rootEnsured) {
        await this.meta.ensureUser(rootUser());
        rootEnsured = true;
      }
      const user = (await this.meta.getUser(ROOT_USER_ID)) ?? rootUser();
      return { secret: this.env.SOS_ROOT_SECRET_KEY, user, scope: { bucket: null, operations: "full" }, enabled: true };
    }
    const key = await this.meta.getAccessKey(accessKeyId);
    if (!key || !this.env.SOS_MASTER_KEY) return null;
    const user = await this.meta.getUser(key.userId);
    if (!user) return null;
    const secret = await decryptSecret(this.env.SOS_MASTER_KEY, key.secretEnc);
    return { secret, user, scope: { bucket: key.bucket, operations: key.operations }, enabled: key.enabled };
  }
}
