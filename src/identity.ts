/**
 * Who is calling: access key id -> secret and principal. The root user is bootstrapped from
 * SOS_ROOT_ACCESS_KEY / SOS_ROOT_SECRET_KEY the way MinIO does it; other keys live in D1 with
 * encrypted secrets. Lookups are cached in isolate memory for a few seconds.
 */
import type { Env } from "./env";
import { S3Error } from "./errors";
import { BoundedCache, estimateBytes } from "./logic/bounded-cache";
import { decryptSecret } from "./logic/secrets";
import type { MetaStore } from "./store/d1";
import type { KeyOperations, User } from "./store/model";

/** Canonical id of the root user: fixed, so the root key can rotate without orphaning buckets. */
export const ROOT_USER_ID = "5053a9b2d14b8c0e1f6d7a3e9c2b4f8016e5d7c9a1b3f2e4d6c8a0b9e7f5d3c1";

export type KeyScope = {
  /** bucket name the key is limited to, or null */
  bucket: string | null;
  operations: KeyOperations;
};

export type Principal = { kind: "anonymous" } | { kind: "user"; user: User; accessKeyId: string; scope: KeyScope };

type Resolved = { secret: string; user: User; scope: KeyScope; enabled: boolean };

/**
 * Isolate caches. A change made through the admin API in this isolate is seen at once
 * (forgetAccessKey); other isolates see it within CACHE_TTL_MS. Both caches are bounded: a
 * flood of distinct credentials can neither grow memory nor fill the positive cache with
 * misses. Unknown ids go to a small negative cache only; malformed ids are refused before any
 * lookup and never cached.
 */
const CACHE_TTL_MS = 5_000;
const known = new BoundedCache<Resolved>({ ttlMs: CACHE_TTL_MS, maxEntries: 1_000, maxBytes: 1 << 20, sizeOf: (k, v) => estimateBytes([k, v]) });
const unknown = new BoundedCache<true>({ ttlMs: CACHE_TTL_MS, maxEntries: 256, maxBytes: 64 << 10, sizeOf: (k) => 2 * k.length + 64 });

export function forgetAccessKey(accessKeyId: string): void {
  known.delete(accessKeyId);
  unknown.delete(accessKeyId);
}

/** Entry counts and estimated bytes of the identity caches (for the bounds test). */
export function identityCacheSize(): { known: { entries: number; bytes: number }; unknown: { entries: number; bytes: number } } {
  return { known: known.size(), unknown: unknown.size() };
}

/**
 * Access key ids this service can hold: the ones it generates ("EXO" + 24 alphanumerics), any
 * AWS-style id (16-128 alphanumerics), and the configured root key whatever its form.
 */
const WELL_FORMED_KEY_ID = /^[A-Za-z0-9]{16,128}$/;

let rootEnsured = false;

export function rootUser(): User {
  return { id: ROOT_USER_ID, displayName: "root", email: null, maxBuckets: 1000, createdAt: Date.now() };
}

export class Identity {
  constructor(
    private readonly env: Env,
    private readonly meta: MetaStore,
  ) {}

  /**
   * The secret to verify a signature with; InvalidAccessKeyId (403) when the id is malformed,
   * unknown or disabled, saying which. AWS echoes the id; an oversized one is not echoed back.
   */
  async secretFor(accessKeyId: string): Promise<string> {
    const r = await this.resolve(accessKeyId);
    const echo = accessKeyId.length <= 128 ? { AWSAccessKeyId: accessKeyId } : {};
    if (r === null) throw new S3Error("InvalidAccessKeyId", undefined, echo);
    if (!r.enabled) throw new S3Error("accessKeyDisabled", undefined, echo);
    return r.secret;
  }

  async resolve(accessKeyId: string): Promise<Resolved | null> {
    const isRoot = !!this.env.SOS_ROOT_ACCESS_KEY && accessKeyId === this.env.SOS_ROOT_ACCESS_KEY;
    if (!isRoot && !WELL_FORMED_KEY_ID.test(accessKeyId)) return null;
    const hit = known.get(accessKeyId);
    if (hit) return hit;
    if (unknown.get(accessKeyId)) return null;
    const value = await this.load(accessKeyId);
    if (value) known.set(accessKeyId, value);
    else unknown.set(accessKeyId, true);
    return value;
  }

  private async load(accessKeyId: string): Promise<Resolved | null> {
    if (this.env.SOS_ROOT_ACCESS_KEY && this.env.SOS_ROOT_SECRET_KEY && accessKeyId === this.env.SOS_ROOT_ACCESS_KEY) {
      if (!rootEnsured) {
        await this.meta.users.ensure(rootUser());
        rootEnsured = true;
      }
      const user = (await this.meta.users.get(ROOT_USER_ID)) ?? rootUser();
      return { secret: this.env.SOS_ROOT_SECRET_KEY, user, scope: { bucket: null, operations: "full" }, enabled: true };
    }
    const key = await this.meta.keys.get(accessKeyId);
    if (!key || !this.env.SOS_MASTER_KEY) return null;
    const user = await this.meta.users.get(key.userId);
    if (!user) return null;
    const secret = await decryptWithMasterKeys(this.env, key.secretEnc);
    return { secret, user, scope: { bucket: key.bucket, operations: key.operations }, enabled: key.enabled };
  }
}

/**
 * Decrypts a stored secret under SOS_MASTER_KEY, else under SOS_MASTER_KEY_PREVIOUS: during a
 * master-key rotation, secrets stored under the old key keep working while new ones are
 * encrypted under the new key. AES-GCM authenticates, so a wrong key fails rather than
 * yielding garbage.
 */
async function decryptWithMasterKeys(env: Env, stored: string): Promise<string> {
  try {
    return await decryptSecret(env.SOS_MASTER_KEY!, stored);
  } catch (e) {
    if (!env.SOS_MASTER_KEY_PREVIOUS) throw e;
    return decryptSecret(env.SOS_MASTER_KEY_PREVIOUS, stored);
  }
}
