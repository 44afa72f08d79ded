/**
 * S3 bucket replication rules, pure: validation of a configuration and which destinations a new
 * version (or delete marker) is owed to.
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-add-config.html
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_ReplicationRule.html
 *
 * Two schema versions, as in S3: a rule with a <Filter> is V2 (it must say DeleteMarkerReplication,
 * has a Priority, and a Tag filter cannot replicate delete markers); a rule with the older
 * top-level <Prefix> (or neither) is V1, and V1 rules replicate delete markers. When several enabled
 * rules send one version to the same destination bucket, the one with the highest Priority wins
 * (for V1, the first in the document); rules naming different buckets all apply (one to many).
 * Replicas (status REPLICA) and delete markers made by lifecycle rules are never replicated.
 */
import { S3Error } from "../errors";
import { type LifecycleFilter, ruleMatches } from "./lifecycle";
import type { Tag } from "./tags";

export const MAX_REPLICATION_RULES = 1000;
export const MAX_REPLICATION_RULE_ID_LENGTH = 255;

/** x-amz-replication-status: PENDING / COMPLETED / FAILED on a source version, REPLICA on a copy. */
export type ReplicationStatus = "PENDING" | "COMPLETED" | "FAILED" | "REPLICA";

/** A rule's <Filter>: the lifecycle filter without the size predicates. */
export type ReplicationFilter = Pick<LifecycleFilter, "prefix" | "tag"> & { and?: { prefix?: string; tags: Tag[] } };

export interface ReplicationRule {
  id: string;
  status: "Enabled" | "Disabled";
  /** V2 rules; as given (0 when a V2 rule leaves it out) */
  priority?: number;
  /** V1: the rule-level <Prefix> */
  prefix?: string;
  /** V2 */
  filter?: ReplicationFilter;
  /** the destination bucket's name (from arn:aws:s3:::name) */
  destination: string;
  /** <Destination><StorageClass>, echoed (only STANDARD exists) */
  storageClass?: string;
  /** <Destination><Account>, echoed */
  account?: string;
  /** V2: <DeleteMarkerReplication><Status> */
  deleteMarkerReplication?: "Enabled" | "Disabled";
}

export interface ReplicationConfig {
  role: string;
  rules: ReplicationRule[];
}

/** A rule as parsed, before unnamed rules get an ID. */
export type ParsedReplicationRule = Omit<ReplicationRule, "id"> & { id?: string };

/** A copy a new version is owed: to this destination bucket, by this rule. */
export type ReplicationTarget = { destination: string; ruleId: string };

const BUCKET_ARN = /^arn:aws:s3:::([^/]+)$/;

/** The bucket name of `arn:aws:s3:::name` (InvalidArgument otherwise, as S3). */
export function destinationBucketOf(arn: string): string {
  const m = BUCKET_ARN.exec(arn.trim());
  if (!m) throw new S3Error("replicationDestinationArnInvalid", undefined, { ArgumentName: "Bucket", ArgumentValue: arn });
  return m[1];
}

const filterTags = (f: ReplicationFilter | undefined): Tag[] => (f?.and ? f.and.tags : f?.tag ? [f.tag] : []);

/**
 * The value rules of a whole configuration (shape errors are the XML layer's), naming unnamed
 * rules with `newId()`. Whether the buckets exist and are versioned is the handler's to check.
 */
export function validateReplicationRules(rules: ParsedReplicationRule[], newId: () => string): ReplicationRule[] {
  if (rules.length > MAX_REPLICATION_RULES) throw new S3Error("replicationTooManyRules", { max: MAX_REPLICATION_RULES });
  const ids = new Set<string>();
  const priorities = new Set<number>();
  const v2 = rules.some((r) => r.filter !== undefined);
  return rules.map((rule) => {
    const id = rule.id ?? newId();
    if (id.length > MAX_REPLICATION_RULE_ID_LENGTH) throw new S3Error("replicationRuleIdTooLong", undefined, { ArgumentName: "ID", ArgumentValue: id });
    if (ids.has(id)) throw new S3Error("replicationRuleIdDuplicate", undefined, { ArgumentName: "ID", ArgumentValue: id });
    ids.add(id);
    if (v2 !== (rule.filter !== undefined)) throw new S3Error("replicationSchemaMixed");
    if (rule.storageClass !== undefined && rule.storageClass !== "STANDARD") {
      throw new S3Error("InvalidStorageClass", undefined, { StorageClassRequested: rule.storageClass });
    }
    if (!v2) {
      if (rule.priority !== undefined || rule.deleteMarkerReplication !== undefined) throw new S3Error("replicationV1WithV2Elements");
      return { ...rule, id };
    }
    if (rule.deleteMarkerReplication === undefined) throw new S3Error("replicationDeleteMarkerReplicationMissing");
    const tags = filterTags(rule.filter);
    if (tags.length > 0 && rule.deleteMarkerReplication === "Enabled") throw new S3Error("replicationDeleteMarkersWithTags");
    if (new Set(tags.map((t) => t.key)).size !== tags.length) throw new S3Error("replicationDuplicateTagKeys");
    const priority = rule.priority ?? 0;
    if (!Number.isSafeInteger(priority) || priority < 0)
      throw new S3Error("replicationPriorityInvalid", undefined, { ArgumentName: "Priority", ArgumentValue: priority });
    if (priorities.has(priority)) throw new S3Error("replicationPriorityDuplicate", undefined, { ArgumentName: "Priority", ArgumentValue: priority });
    priorities.add(priority);
    return { ...rule, id, priority };
  });
}

/** What a rule needs to know about a new version to decide whether it applies. */
export type ReplicationSubject = { key: string; tags: Tag[]; isDeleteMarker: boolean };

function applies(rule: ReplicationRule, s: ReplicationSubject): boolean {
  if (s.isDeleteMarker) {
    // A delete marker has no tags: it goes where a V1 rule or a V2 rule that says so sends its key.
    const v1 = rule.filter === undefined;
    if (!v1 && rule.deleteMarkerReplication !== "Enabled") return false;
    return ruleMatches(rule, { key: s.key });
  }
  return ruleMatches(rule, { key: s.key, tags: s.tags });
}

/** The copies a new version is owed: one per destination bucket, by the winning rule for it. */
export function replicationTargets(config: ReplicationConfig | null, s: ReplicationSubject): ReplicationTarget[] {
  if (!config) return [];
  const winners = new Map<string, ReplicationRule>();
  for (const rule of config.rules) {
    if (!applies(rule, s)) continue;
    const held = winners.get(rule.destination);
    if (!held || (rule.priority ?? 0) > (held.priority ?? 0)) winners.set(rule.destination, rule);
  }
  return [...winners.values()].map((r) => ({ destination: r.destination, ruleId: r.id }));
}
