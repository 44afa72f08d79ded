/**
 * Bucket lifecycle rules, pure: validation, which objects a rule applies to (prefix, tags, object
 * size), and what is due at a given time. The background job lists a key's versions, asks
 * `dueActions`, and applies each action with a commit that re-checks the state it was computed
 * from, so running it twice (or two runs racing) does nothing more.
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/intro-lifecycle-rules.html
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-expire-general-considerations.html
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_LifecycleRule.html
 *
 * Timing as S3 computes it: an object expires `Days` after its creation, rounded up to the next
 * midnight UTC; a noncurrent version `NoncurrentDays` after it became noncurrent (when its successor
 * was written), rounded the same way; an upload `DaysAfterInitiation` after it was initiated.
 * `Date` rules expire every matching current version once that midnight has passed.
 *
 * Versioning decides what expiring the current version means: a permanent delete in an unversioned
 * bucket, a delete marker otherwise (a null one when suspended). A delete marker that is the only
 * version left (an "expired object delete marker") is removed by ExpiredObjectDeleteMarker, or by a
 * Days rule once it is old enough. Noncurrent versions under object lock (retention in force or a
 * legal hold) are never removed: lifecycle has no governance bypass.
 */
import { S3Error } from "../errors";
import { isProtected, type VersionLock } from "./object-lock";
import type { Tag } from "./tags";

export const MAX_LIFECYCLE_RULES = 1000;
export const MAX_RULE_ID_LENGTH = 255;
export const MAX_NEWER_NONCURRENT_VERSIONS = 100;
const DAY_MS = 86_400_000;

/** The Filter element as the client wrote it (kept so GetBucketLifecycleConfiguration returns it). */
export interface LifecycleFilter {
  prefix?: string;
  tag?: Tag;
  objectSizeGreaterThan?: number;
  objectSizeLessThan?: number;
  and?: { prefix?: string; tags: Tag[]; objectSizeGreaterThan?: number; objectSizeLessThan?: number };
}

export interface LifecycleRule {
  id: string;
  status: "Enabled" | "Disabled";
  /** Rule-level <Prefix> (the older form) and <Filter> exclude each other; neither means every object. */
  prefix?: string;
  filter?: LifecycleFilter;
  expiration?: { days?: number; date?: number; expiredObjectDeleteMarker?: boolean };
  noncurrentVersionExpiration?: { noncurrentDays: number; newerNoncurrentVersions?: number };
  abortIncompleteMultipartUpload?: { daysAfterInitiation: number };
}

/** A rule as parsed, before the service names the rules the client left unnamed. */
export type ParsedLifecycleRule = Omit<LifecycleRule, "id"> & { id?: string };

/** What a rule matches on, flattened from either filter form. */
interface Criteria {
  prefix: string;
  tags: Tag[];
  sizeGreaterThan?: number;
  sizeLessThan?: number;
}

function criteria(rule: Pick<LifecycleRule, "prefix" | "filter">): Criteria {
  const f = rule.filter;
  if (!f) return { prefix: rule.prefix ?? "", tags: [] };
  if (f.and) return { prefix: f.and.prefix ?? "", tags: f.and.tags, sizeGreaterThan: f.and.objectSizeGreaterThan, sizeLessThan: f.and.objectSizeLessThan };
  return { prefix: f.prefix ?? "", tags: f.tag ? [f.tag] : [], sizeGreaterThan: f.objectSizeGreaterThan, sizeLessThan: f.objectSizeLessThan };
}

const positive = (n: number | undefined) => n === undefined || (Number.isSafeInteger(n) && n > 0);

/**
 * Checks a whole configuration as S3 does and names unnamed rules with `newId()`. Shape errors
 * (MalformedXML) are the XML layer's; these are the value rules.
 */
export function validateLifecycleRules(rules: ParsedLifecycleRule[], newId: () => string): LifecycleRule[] {
  if (rules.length > MAX_LIFECYCLE_RULES) throw new S3Error("lifecycleTooManyRules", { max: MAX_LIFECYCLE_RULES });
  const ids = new Set<string>();
  return rules.map((rule) => {
    const id = rule.id ?? newId();
    if (id.length > MAX_RULE_ID_LENGTH) throw new S3Error("lifecycleRuleIdTooLong", undefined, { ArgumentName: "ID", ArgumentValue: id });
    if (ids.has(id)) throw new S3Error("lifecycleRuleIdDuplicate", undefined, { ArgumentName: "ID", ArgumentValue: id });
    ids.add(id);
    const { expiration: exp, noncurrentVersionExpiration: nve, abortIncompleteMultipartUpload: abort } = rule;
    if (!exp && !nve && !abort) throw new S3Error("lifecycleRuleNoAction");
    if (!positive(exp?.days)) throw new S3Error("lifecycleDaysNotPositive");
    if (exp?.date !== undefined && exp.date % DAY_MS !== 0) throw new S3Error("lifecycleDateNotMidnight");
    if (nve && !positive(nve.noncurrentDays)) throw new S3Error("lifecycleNoncurrentDaysNotPositive");
    const newer = nve?.newerNoncurrentVersions;
    if (newer !== undefined && !(Number.isSafeInteger(newer) && newer >= 1 && newer <= MAX_NEWER_NONCURRENT_VERSIONS)) {
      throw new S3Error("lifecycleNewerNoncurrentRange", { max: MAX_NEWER_NONCURRENT_VERSIONS });
    }
    if (abort && !positive(abort.daysAfterInitiation)) throw new S3Error("lifecycleAbortDaysNotPositive");
    const c = criteria(rule);
    if (c.tags.length > 0 && abort) throw new S3Error("lifecycleAbortWithTags");
    if (c.tags.length > 0 && exp?.expiredObjectDeleteMarker) throw new S3Error("lifecycleMarkerWithTags");
    if (new Set(c.tags.map((t) => t.key)).size !== c.tags.length) throw new S3Error("lifecycleDuplicateTagKeys");
    for (const size of [c.sizeGreaterThan, c.sizeLessThan]) {
      if (size !== undefined && !(Number.isSafeInteger(size) && size >= 0)) throw new S3Error("lifecycleSizeInvalid");
    }
    if (c.sizeGreaterThan !== undefined && c.sizeLessThan !== undefined && c.sizeGreaterThan >= c.sizeLessThan) {
      throw new S3Error("lifecycleSizeRange");
    }
    return { ...rule, id };
  });
}

/** What a rule needs to know about a version or an upload to decide whether it applies. */
export interface Subject {
  key: string;
  /** undefined for delete markers and uploads: size and tag filters never match them */
  size?: number;
  tags?: Tag[];
}

/** Also used by bucket replication rules (logic/replication.ts), whose filters are a subset of these. */
export function ruleMatches(rule: Pick<LifecycleRule, "status" | "prefix" | "filter">, s: Subject): boolean {
  if (rule.status !== "Enabled") return false;
  const c = criteria(rule);
  if (!s.key.startsWith(c.prefix)) return false;
  if (c.tags.length > 0) {
    if (!s.tags) return false;
    for (const t of c.tags) if (!s.tags.some((x) => x.key === t.key && x.value === t.value)) return false;
  }
  if (c.sizeGreaterThan !== undefined && !(s.size !== undefined && s.size > c.sizeGreaterThan)) return false;
  if (c.sizeLessThan !== undefined && !(s.size !== undefined && s.size < c.sizeLessThan)) return false;
  return true;
}

/** `t + days`, rounded up to the next midnight UTC (S3's rounding). */
export function afterDays(t: number, days: number): number {
  return Math.ceil((t + days * DAY_MS) / DAY_MS) * DAY_MS;
}

/** When a rule's Expiration makes a current version created at `created` expire (null: never). */
function currentExpiry(rule: LifecycleRule, created: number): number | null {
  const e = rule.expiration;
  if (e?.days !== undefined) return afterDays(created, e.days);
  if (e?.date !== undefined) return e.date;
  return null;
}

/** One version of a key, as the job reads it. */
export interface VersionState {
  versionId: string;
  isDeleteMarker: boolean;
  size: number;
  lastModified: number;
  tags: Tag[];
  lock: VersionLock;
}

export type LifecycleAction =
  /** Expire the current version: delete it (unversioned) or add a delete marker (versioned). */
  | { kind: "expire-current"; versionId: string; ruleId: string }
  /** Permanently delete a noncurrent version or noncurrent delete marker. */
  | { kind: "delete-noncurrent"; versionId: string; ruleId: string }
  /** Remove a delete marker that is the only version left. */
  | { kind: "remove-expired-delete-marker"; versionId: string; ruleId: string };

export type BucketVersioning = "Enabled" | "Suspended" | null;

/**
 * What is due for one key at `now`, given all its versions newest first (index 0 is current).
 * At most one action per version; the earliest-named rule wins when several apply.
 */
export function dueActions(rules: LifecycleRule[], key: string, versions: VersionState[], versioning: BucketVersioning, now: number): LifecycleAction[] {
  const out: LifecycleAction[] = [];
  const current = versions[0];
  if (!current) return out;
  const subject = (v: VersionState): Subject => (v.isDeleteMarker ? { key } : { key, size: v.size, tags: v.tags });

  if (current.isDeleteMarker) {
    if (versions.length === 1) {
      const rule = rules.find((r) => ruleMatches(r, { key }) && expiresMarker(r, current, now));
      if (rule) out.push({ kind: "remove-expired-delete-marker", versionId: current.versionId, ruleId: rule.id });
    }
  } else {
    const rule = rules.find((r) => {
      const at = currentExpiry(r, current.lastModified);
      return at !== null && at <= now && ruleMatches(r, subject(current));
    });
    // Expiring removes the current version itself when the bucket is unversioned, or when a suspended
    // bucket's null delete marker replaces a null current version: that version must be free to go.
    const removesCurrent = versioning === null || (versioning === "Suspended" && current.versionId === "null");
    if (rule && !(removesCurrent && isProtected(current.lock, now))) {
      out.push({ kind: "expire-current", versionId: current.versionId, ruleId: rule.id });
    }
  }

  for (let i = 1; i < versions.length; i++) {
    const v = versions[i]!;
    const noncurrentSince = versions[i - 1]!.lastModified;
    const newerNoncurrent = i - 1;
    const rule = rules.find((r) => {
      const nve = r.noncurrentVersionExpiration;
      if (!nve || !ruleMatches(r, subject(v))) return false;
      if (newerNoncurrent < (nve.newerNoncurrentVersions ?? 0)) return false;
      return afterDays(noncurrentSince, nve.noncurrentDays) <= now;
    });
    if (rule && !isProtected(v.lock, now)) out.push({ kind: "delete-noncurrent", versionId: v.versionId, ruleId: rule.id });
  }
  return out;
}

function expiresMarker(rule: LifecycleRule, marker: VersionState, now: number): boolean {
  if (rule.expiration?.expiredObjectDeleteMarker) return true;
  // "When you specify the Days tag, Amazon S3 automatically performs ExpiredObjectDeleteMarker
  // cleanup when the delete markers are old enough to satisfy the age criteria."
  const days = rule.expiration?.days;
  return days !== undefined && afterDays(marker.lastModified, days) <= now;
}

/** The rule that aborts an upload of `key` initiated at `initiated`, if one is due at `now`. */
export function uploadAbortRule(rules: LifecycleRule[], key: string, initiated: number, now: number): LifecycleRule | null {
  return (
    rules.find((r) => {
      const a = r.abortIncompleteMultipartUpload;
      return a !== undefined && ruleMatches(r, { key }) && afterDays(initiated, a.daysAfterInitiation) <= now;
    }) ?? null
  );
}

/** The soonest time any rule aborts uploads: for listing only the uploads old enough to matter. */
export function minAbortDays(rules: LifecycleRule[]): number | null {
  const days = rules
    .filter((r) => r.status === "Enabled")
    .flatMap((r) => (r.abortIncompleteMultipartUpload ? [r.abortIncompleteMultipartUpload.daysAfterInitiation] : []));
  return days.length ? Math.min(...days) : null;
}

/**
 * The x-amz-expiration header of GET, HEAD and PUT for a current version: the earliest expiry any
 * matching rule gives it, `expiry-date="<RFC 1123>", rule-id="<URL-encoded id>"`. null when none.
 */
export function expirationHeader(rules: LifecycleRule[], s: Subject & { lastModified: number }): string | null {
  let best: { at: number; id: string } | null = null;
  for (const r of rules) {
    const at = currentExpiry(r, s.lastModified);
    if (at === null || !ruleMatches(r, s)) continue;
    if (!best || at < best.at) best = { at, id: r.id };
  }
  return best ? `expiry-date="${new Date(best.at).toUTCString()}", rule-id="${encodeURIComponent(best.id)}"` : null;
}
