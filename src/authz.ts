/**
 * Authorization = access-key scope AND ownership/ACL (DESIGN.md). The owner of a bucket or
 * object always has FULL_CONTROL; anonymous callers are refused until ACLs grant them access.
 */
import { S3Error } from "./errors";
import type { KeyScope, Principal } from "./identity";
import type { Bucket } from "./store/meta-d1";

const READ_PREFIXES = ["Get", "Head", "List"];
const WRITE_PREFIXES = ["Put", "Create", "Delete", "Upload", "Complete", "Abort", "Copy", "Post", "Restore"];

/** Whether a key's operation set allows `op`. */
export function scopeAllowsOperation(scope: KeyScope, op: string): boolean {
  switch (scope.operations) {
    case "full":
      return true;
    case "read-only":
      return READ_PREFIXES.some((p) => op.startsWith(p));
    case "write-only":
      return WRITE_PREFIXES.some((p) => op.startsWith(p));
    default: {
      try {
        const ops = JSON.parse(scope.operations) as string[];
        return Array.isArray(ops) && ops.includes(op);
      } catch {
        return false;
      }
    }
  }
}

/** Key scope: refuses operations and buckets outside what the key was issued for. */
export function checkKeyScope(principal: Principal, op: string, bucketName: string | null): void {
  if (principal.kind !== "user") return;
  const { scope } = principal;
  if (!scopeAllowsOperation(scope, op)) throw new S3Error("AccessDenied");
  if (scope.bucket !== null && bucketName !== null && bucketName !== scope.bucket) throw new S3Error("AccessDenied");
}

/** Bucket-level permission: for now ownership (ACL grants extend this). */
export function checkBucketAccess(principal: Principal, bucket: Bucket): void {
  if (principal.kind !== "user" || principal.user.id !== bucket.ownerId) throw new S3Error("AccessDenied");
}
