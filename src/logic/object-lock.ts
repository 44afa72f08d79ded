/**
 * S3 Object Lock rules, pure: retention modes, legal hold, a bucket's default retention, and what
 * a delete or a retention change may do to a locked version.
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectRetention.html
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectLegalHold.html
 *
 * A version is protected while its retain-until date is in the future or a legal hold is ON.
 * COMPLIANCE protects against everyone, and its retention can only be extended. GOVERNANCE can be
 * shortened, removed or bypassed for a delete by a principal allowed to bypass it
 * (s3:BypassGovernanceRetention) who sends `x-amz-bypass-governance-retention: true`. A legal hold
 * is independent of retention and is never bypassed.
 *
 * Times are milliseconds since the epoch, as everywhere in the store.
 */
import { S3Error } from "../errors";

export type RetentionMode = "GOVERNANCE" | "COMPLIANCE";
export const RETENTION_MODES: readonly RetentionMode[] = ["GOVERNANCE", "COMPLIANCE"];

export interface Retention {
  mode: RetentionMode;
  /** ms since the epoch */
  retainUntil: number;
}

/** A bucket's default retention: a mode and exactly one of days or years. */
export type DefaultRetention = { mode: RetentionMode } & ({ days: number; years?: undefined } | { years: number; days?: undefined });

/** The bucket's ObjectLockConfiguration (only buckets with object lock have one). */
export interface ObjectLockConfig {
  defaultRetention: DefaultRetention | null;
}

/** The lock state stored with one object version. legalHold null: never set (no header, no document). */
export interface VersionLock {
  retention: Retention | null;
  legalHold: boolean | null;
}

export const NO_LOCK: VersionLock = { retention: null, legalHold: null };

/** What the request says about governance: the header, and whether the principal may bypass. */
export interface GovernanceBypass {
  requested: boolean;
  allowed: boolean;
}

const DAY_MS = 86_400_000;
/** S3 caps default retention at 100 years (36,500 days). */
const MAX_DEFAULT_DAYS = 36_500;
const MAX_DEFAULT_YEARS = 100;

export function parseRetentionMode(s: string): RetentionMode | null {
  return (RETENTION_MODES as readonly string[]).includes(s) ? (s as RetentionMode) : null;
}

/** A default retention's period must be a positive integer within S3's limit (InvalidArgument). */
export function validateDefaultRetention(d: DefaultRetention): DefaultRetention {
  const n = d.days ?? d.years;
  const max = d.days !== undefined ? MAX_DEFAULT_DAYS : MAX_DEFAULT_YEARS;
  if (!Number.isSafeInteger(n) || n <= 0) throw new S3Error("defaultRetentionNotPositive");
  if (n > max) throw new S3Error("defaultRetentionTooLarge", { maxDays: MAX_DEFAULT_DAYS, maxYears: MAX_DEFAULT_YEARS });
  return d;
}

/** The retain-until date a default retention gives a version written at `now` (calendar years, UTC). */
export function defaultRetainUntil(d: DefaultRetention, now: number): number {
  if (d.days !== undefined) return now + d.days * DAY_MS;
  const t = new Date(now);
  t.setUTCFullYear(t.getUTCFullYear() + d.years);
  return t.getTime();
}

/**
 * ISO 8601 timestamp (the header and the XML element both carry one); InvalidArgument otherwise.
 * A date that is not in the future is refused as S3 refuses it.
 */
export function parseRetainUntilDate(s: string, now: number): number {
  const trimmed = s.trim();
  const t = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/.test(trimmed) ? Date.parse(trimmed) : NaN;
  if (Number.isNaN(t)) throw new S3Error("retainUntilDateFormat", undefined, { ArgumentName: "x-amz-object-lock-retain-until-date", ArgumentValue: s });
  if (t <= now) throw new S3Error("retainUntilDatePast");
  return t;
}

export function parseLegalHoldStatus(s: string): boolean {
  if (s === "ON") return true;
  if (s === "OFF") return false;
  throw new S3Error("legalHoldStatusInvalid", undefined, { ArgumentName: "x-amz-object-lock-legal-hold", ArgumentValue: s });
}

/** What a write request asks for through x-amz-object-lock-* headers (undefined where absent). */
export interface RequestedLock {
  retention?: Retention;
  legalHold?: boolean;
}

/**
 * The x-amz-object-lock-mode / -retain-until-date / -legal-hold headers of PutObject,
 * CreateMultipartUpload and CopyObject. Mode and date come together or not at all.
 */
export function parseLockHeaders(headers: Headers, now: number): RequestedLock {
  const mode = headers.get("x-amz-object-lock-mode");
  const until = headers.get("x-amz-object-lock-retain-until-date");
  const hold = headers.get("x-amz-object-lock-legal-hold");
  const out: RequestedLock = {};
  if ((mode === null) !== (until === null)) {
    throw new S3Error("lockHeadersIncomplete");
  }
  if (mode !== null && until !== null) {
    const parsed = parseRetentionMode(mode.trim());
    if (!parsed) throw new S3Error("lockModeInvalid", undefined, { ArgumentName: "x-amz-object-lock-mode", ArgumentValue: mode });
    out.retention = { mode: parsed, retainUntil: parseRetainUntilDate(until, now) };
  }
  if (hold !== null) out.legalHold = parseLegalHoldStatus(hold.trim());
  return out;
}

export function requestsLock(r: RequestedLock): boolean {
  return r.retention !== undefined || r.legalHold !== undefined;
}

/**
 * The lock a new version gets: what the request asked for, else the bucket's default retention.
 * A lock requested on a bucket without object lock is InvalidRequest, as S3 answers it.
 */
export function lockForNewVersion(bucket: ObjectLockConfig | null, requested: RequestedLock, now: number): VersionLock {
  if (!bucket) {
    if (requestsLock(requested)) throw new S3Error("bucketWithoutObjectLock");
    return NO_LOCK;
  }
  const d = bucket.defaultRetention;
  const retention = requested.retention ?? (d ? { mode: d.mode, retainUntil: defaultRetainUntil(d, now) } : null);
  return { retention, legalHold: requested.legalHold ?? null };
}

/**
 * S3 requires an integrity header (Content-MD5 or an x-amz-checksum-*) on uploads that get a
 * retention period, so a corrupted body can never become undeletable.
 */
export function requireIntegrityHeaderForRetention(lock: VersionLock, headers: Headers): void {
  if (!lock.retention) return;
  if (headers.has("content-md5") || headers.has("x-amz-sdk-checksum-algorithm") || headers.has("x-amz-trailer")) return;
  for (const name of headers.keys()) if (name.toLowerCase().startsWith("x-amz-checksum-")) return;
  throw new S3Error("lockIntegrityHeaderMissing");
}

export function retentionActive(r: Retention | null, now: number): r is Retention {
  return r !== null && r.retainUntil > now;
}

/** True while no delete may remove the version's bytes (retention in force or legal hold ON). */
export function isProtected(lock: VersionLock, now: number): boolean {
  return lock.legalHold === true || retentionActive(lock.retention, now);
}

/**
 * May this version be permanently deleted now? Throws AccessDenied when not: legal hold or
 * COMPLIANCE always protect; GOVERNANCE yields only to an allowed, requested bypass.
 * (A delete without a version id only adds a delete marker and needs no check.)
 */
export function assertDeletable(lock: VersionLock, now: number, bypass: GovernanceBypass): void {
  if (!deletable(lock, now, bypass)) throw new S3Error("objectLocked");
}

export function deletable(lock: VersionLock, now: number, bypass: GovernanceBypass): boolean {
  if (lock.legalHold === true) return false;
  if (!retentionActive(lock.retention, now)) return true;
  return lock.retention.mode === "GOVERNANCE" && bypass.requested && bypass.allowed;
}

/**
 * The latest time at which the version stops being protected by its retention (legal hold aside):
 * what a commit-time check compares against. 0 when it has none.
 */
export function retainedUntil(lock: VersionLock): number {
  return lock.retention?.retainUntil ?? 0;
}

/**
 * PutObjectRetention: may `current` become `next` (null = remove)? Strengthening (same or later
 * date, GOVERNANCE to COMPLIANCE) is always allowed. Weakening an active COMPLIANCE retention is
 * AccessDenied for everyone; weakening an active GOVERNANCE one needs the bypass.
 */
export function assertRetentionChange(current: Retention | null, next: Retention | null, now: number, bypass: GovernanceBypass): void {
  if (!retentionActive(current, now)) return;
  const strengthens = next !== null && next.retainUntil >= current.retainUntil && (next.mode === "COMPLIANCE" || current.mode === "GOVERNANCE");
  if (strengthens) return;
  if (current.mode === "GOVERNANCE" && bypass.requested && bypass.allowed) return;
  throw new S3Error("objectLocked");
}

/** x-amz-bypass-governance-retention: only "true" (any case) asks for the bypass. */
export function bypassRequested(headers: Headers): boolean {
  return (headers.get("x-amz-bypass-governance-retention") ?? "").trim().toLowerCase() === "true";
}

/** The x-amz-object-lock-* headers GET and HEAD return for a version. */
export function lockResponseHeaders(lock: VersionLock): Record<string, string> {
  const out: Record<string, string> = {};
  if (lock.retention) {
    out["x-amz-object-lock-mode"] = lock.retention.mode;
    out["x-amz-object-lock-retain-until-date"] = new Date(lock.retention.retainUntil).toISOString();
  }
  if (lock.legalHold !== null) out["x-amz-object-lock-legal-hold"] = lock.legalHold ? "ON" : "OFF";
  return out;
}
