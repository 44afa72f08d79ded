/**
 * The JSON columns, parsed once where rows are read and serialized where they are written, so the
 * rest of the service sees typed values (the codecs live beside the types in logic/).
 */
import { parseStoredGrants, type Acl } from "../../logic/acl";
import { deserializeCors, serializeCors, type CorsRule } from "../../logic/cors";
import { deserializeTags, serializeTags, type TagSet } from "../../logic/tags";
import { isObjectOwnership, type ObjectOwnership } from "../../logic/ownership";
import type { PublicAccessBlock } from "../../policy/public";
import type { LifecycleRule } from "../../logic/lifecycle";
import { parseRetentionMode, type ObjectLockConfig, type VersionLock } from "../../logic/object-lock";
import type { ReplicationConfig } from "../../logic/replication";
import type { KeyOperations } from "../model";
import { json, type LockRow } from "./rows";

/** Block Public Access: JSON of the four settings, NULL for none; an unreadable value reads as all four on (fails closed). */
export function readPublicAccessBlock(s: string | null): PublicAccessBlock | null {
  if (s === null) return null;
  try {
    const v = JSON.parse(s) as Record<string, unknown>;
    const flag = (k: keyof PublicAccessBlock) => v[k] !== false;
    return {
      blockPublicAcls: flag("blockPublicAcls"),
      ignorePublicAcls: flag("ignorePublicAcls"),
      blockPublicPolicy: flag("blockPublicPolicy"),
      restrictPublicBuckets: flag("restrictPublicBuckets"),
    };
  } catch {
    return { blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: true, restrictPublicBuckets: true };
  }
}
export const writePublicAccessBlock = (pab: PublicAccessBlock | null): string | null => (pab === null ? null : JSON.stringify(pab));

/** Object Ownership: its name, NULL for no controls; an unknown value reads as BucketOwnerEnforced (ACLs off: fails closed). */
export const readObjectOwnership = (s: string | null): ObjectOwnership | null => (s === null ? null : isObjectOwnership(s) ? s : "BucketOwnerEnforced");

/** ACLs: a JSON grant list, NULL for the default; an unreadable value reads as the default (owner only). */
export const readAcl = (s: string | null): Acl => parseStoredGrants(s);
export const writeAcl = (acl: Acl): string | null => (acl === null ? null : JSON.stringify(acl));

/** CORS rules: JSON, NULL for no configuration. */
export const readCors = (s: string | null): CorsRule[] | null => deserializeCors(s);
export const writeCors = (rules: CorsRule[] | null): string | null => (rules === null ? null : serializeCors(rules));

/** Tag sets: JSON pairs, NULL for none. */
export const readTags = (s: string | null): TagSet => deserializeTags(s);
export const writeTags = (tags: TagSet): string | null => serializeTags(tags);

const NAMED_OPERATIONS = ["full", "read-only", "write-only"] as const;

/** Key operations: a name, or a JSON array of operation names; an unreadable value allows nothing. */
export function readOperations(s: string): KeyOperations {
  if ((NAMED_OPERATIONS as readonly string[]).includes(s)) return s as KeyOperations;
  try {
    const ops = JSON.parse(s) as unknown;
    return Array.isArray(ops) ? ops.filter((o): o is string => typeof o === "string") : [];
  } catch {
    return [];
  }
}
export const writeOperations = (ops: KeyOperations): string => (Array.isArray(ops) ? JSON.stringify(ops) : ops);

/** A bucket's object lock configuration: JSON, NULL for a bucket without object lock. */
export const readObjectLock = (s: string | null): ObjectLockConfig | null => json<ObjectLockConfig | null>(s, null);
export const writeObjectLock = (c: ObjectLockConfig | null): string | null => (c === null ? null : JSON.stringify(c));

/** Lifecycle rules: JSON, NULL for no configuration. */
export const readLifecycle = (s: string | null): LifecycleRule[] | null => json<LifecycleRule[] | null>(s, null);
export const writeLifecycle = (rules: LifecycleRule[] | null): string | null => (rules === null ? null : JSON.stringify(rules));

/** Replication configuration: JSON, NULL for none. */
export const readReplication = (s: string | null): ReplicationConfig | null => json<ReplicationConfig | null>(s, null);
export const writeReplication = (c: ReplicationConfig | null): string | null => (c === null ? null : JSON.stringify(c));

/** The lock columns of a version or an upload; an unknown mode reads as no retention. */
export function readLock(r: LockRow): VersionLock {
  const mode = r.lock_mode ? parseRetentionMode(r.lock_mode) : null;
  return {
    retention: mode && r.lock_retain_until !== null ? { mode, retainUntil: r.lock_retain_until } : null,
    legalHold: r.legal_hold === null || r.legal_hold === undefined ? null : r.legal_hold === 1,
  };
}

/** [lock_mode, lock_retain_until, legal_hold] for an INSERT. */
export function lockColumns(l: VersionLock): [string | null, number | null, number | null] {
  return [l.retention?.mode ?? null, l.retention?.retainUntil ?? null, l.legalHold === null ? null : l.legalHold ? 1 : 0];
}
