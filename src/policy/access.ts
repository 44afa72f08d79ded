/**
 * How a bucket policy, the ACLs, Block Public Access and Object Ownership combine into one answer
 * for one request (S3 User Guide, "How Amazon S3 authorizes a request", "Blocking public access",
 * "Controlling ownership of objects"):
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/how-s3-evaluates-access-control.html
 *
 *   key scope (checked before, src/authz.ts)
 *   -> an applying Deny in the policy refuses, the owner included (who may still read, put and
 *      delete the policy itself, as S3 keeps the bucket owner from locking itself out)
 *   -> an applying Allow lets in (under RestrictPublicBuckets, a public policy allows only the
 *      bucket owner)
 *   -> else what the ACLs grant: nothing under BucketOwnerEnforced but the bucket owner's own
 *      access; public grants dropped under IgnorePublicAcls; the resource owner's full control.
 */
import { allows, type Acl, type Permission } from "../logic/acl";
import { BoundedCache } from "../logic/bounded-cache";
import { aclsDisabled, type ObjectOwnership } from "../logic/ownership";
import type { ConditionValues } from "./conditions";
import { evaluatePolicy, type Caller, type Decision } from "./evaluate";
import { parsePolicy, type Policy } from "./parse";
import { isPublicPolicy, withoutPublicGrants, type PublicAccessBlock } from "./public";

/** What of a bucket decides access. */
export type BucketAccess = {
  name: string;
  ownerId: string;
  /** the policy as put (JSON text), or null */
  policy: string | null;
  publicAccessBlock: PublicAccessBlock | null;
  objectOwnership: ObjectOwnership | null;
};

/** What the ACLs are asked: `permission` on a resource owned by `ownerId` with the stored `acl`; "owner" = the bucket owner's only. */
export type AclQuestion = { ownerId: string; acl: Acl; permission: Permission } | "owner";

export type AccessRequest = {
  caller: Caller;
  /** the IAM action (s3:GetObject, ...) */
  action: string;
  /** the resource ARN */
  resource: string;
  values: ConditionValues;
  acl: AclQuestion;
};

export type AccessAnswer = { allowed: boolean; by: "policy" | "acl" | "owner" | "none"; decision?: Decision };

/**
 * The policy's own actions: the bucket owner may always call them, whatever the policy says, and
 * no one else ever may (S3 answers other accounts 405 even when a policy allows them).
 */
const POLICY_ACTIONS = new Set(["s3:getbucketpolicy", "s3:putbucketpolicy", "s3:deletebucketpolicy"]);

// Parsed policies, by bucket and text: a policy is parsed once per isolate, not on every request.
const parsed = new BoundedCache<{ policy: Policy; isPublic: boolean }>({
  ttlMs: 60_000,
  maxEntries: 256,
  maxBytes: 8 << 20,
  sizeOf: (k) => 4 * k.length + 1024,
});

/** The bucket's stored policy, parsed (it was checked when it was put). */
export function storedPolicy(bucket: Pick<BucketAccess, "name" | "policy">): { policy: Policy; isPublic: boolean } | null {
  if (bucket.policy === null) return null;
  const key = `${bucket.name}\n${bucket.policy}`;
  let hit = parsed.get(key);
  if (!hit) {
    const policy = parsePolicy(bucket.policy, bucket.name);
    hit = { policy, isPublic: isPublicPolicy(policy) };
    parsed.set(key, hit);
  }
  return hit;
}

const isBucketOwner = (bucket: BucketAccess, caller: Caller) => caller.kind === "user" && caller.id === bucket.ownerId;

/** The policy's word on the request, with RestrictPublicBuckets applied; "none" without a policy. */
export function policyDecision(bucket: BucketAccess, req: Omit<AccessRequest, "acl">): Decision {
  const stored = storedPolicy(bucket);
  if (!stored) return { effect: "none" };
  const restricted = !!bucket.publicAccessBlock?.restrictPublicBuckets && stored.isPublic && !isBucketOwner(bucket, req.caller);
  return evaluatePolicy(stored.policy, req, { ignoreAllows: restricted });
}

/** What the ACLs grant, under the bucket's Object Ownership and IgnorePublicAcls. */
export function aclGrants(bucket: BucketAccess, caller: Caller, q: AclQuestion): boolean {
  if (q === "owner" || aclsDisabled(bucket.objectOwnership)) return isBucketOwner(bucket, caller);
  const acl = bucket.publicAccessBlock?.ignorePublicAcls ? withoutPublicGrants(q.acl, q.ownerId) : q.acl;
  return allows(caller.kind === "user" ? caller.id : null, q.ownerId, acl, q.permission);
}

export function decideAccess(bucket: BucketAccess, req: AccessRequest): AccessAnswer {
  if (POLICY_ACTIONS.has(req.action.toLowerCase())) {
    const owner = isBucketOwner(bucket, req.caller);
    return { allowed: owner, by: owner ? "owner" : "none" };
  }
  const decision = policyDecision(bucket, req);
  if (decision.effect === "deny") return { allowed: false, by: "policy", decision };
  if (decision.effect === "allow") return { allowed: true, by: "policy", decision };
  if (aclGrants(bucket, req.caller, req.acl)) return { allowed: true, by: "acl" };
  return { allowed: false, by: "none" };
}
