/**
 * What S3 counts as public, for Block Public Access and GetBucketPolicyStatus (S3 User Guide,
 * "Blocking public access to your Amazon S3 storage" > "The meaning of public"; API reference,
 * PublicAccessBlockConfiguration):
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_PublicAccessBlockConfiguration.html
 *
 * - An ACL is public when it grants anything to the AllUsers or AuthenticatedUsers group.
 * - A policy is public when one of its Allow statements grants a "bad action" (s3:Get*,
 *   s3:List*, s3:Put*, s3:Delete*, s3:AbortMultipartUpload, s3:RestoreObject) to a principal
 *   that is not fixed ("*", or everyone but a NotPrincipal), unless a condition of that statement
 *   confines it to fixed values (no wildcard, no policy variable) of a key that names the source
 *   or the principal (aws:SourceArn, aws:SourceVpc, aws:SourceVpce, aws:SourceOwner,
 *   aws:SourceAccount, aws:PrincipalOrgID, aws:PrincipalAccount, aws:PrincipalArn, aws:userid
 *   outside "AROLEID:*", s3:x-amz-server-side-encryption-aws-kms-key-id, s3:DataAccessPointArn,
 *   s3:DataAccessPointAccount), or to address blocks with aws:SourceIp no broader than /8 for
 *   IPv4 and /32 for IPv6. A condition that a request without the key satisfies (negated
 *   operators, ...IfExists, ForAllValues:) confines nothing.
 */
import { ALL_USERS, AUTHENTICATED_USERS, grantsOf, normalizeGrants, type Acl, type Grant, type ResolvedGrant } from "../logic/acl";
import { actionMatches, actionsMatching } from "./actions";
import type { Condition } from "./conditions";
import { parseCidr } from "./ip";
import type { Policy, Statement } from "./parse";
import { isFixed } from "./pattern";

/** A bucket's Block Public Access settings (PutPublicAccessBlock). No configuration: all false. */
export type PublicAccessBlock = {
  /** refuse requests that set a public ACL */
  blockPublicAcls: boolean;
  /** evaluate ACLs without their public grants */
  ignorePublicAcls: boolean;
  /** refuse a public bucket policy */
  blockPublicPolicy: boolean;
  /** a public policy grants only to the bucket owner */
  restrictPublicBuckets: boolean;
};

export const NO_PUBLIC_ACCESS_BLOCK: PublicAccessBlock = {
  blockPublicAcls: false,
  ignorePublicAcls: false,
  blockPublicPolicy: false,
  restrictPublicBuckets: false,
};

// ------------------------------------------------------------------ ACLs

const PUBLIC_GROUPS = new Set([ALL_USERS, AUTHENTICATED_USERS]);

export function isPublicGrant(g: Grant | ResolvedGrant): boolean {
  return g.grantee.type === "Group" && PUBLIC_GROUPS.has(g.grantee.uri);
}

export function isPublicAcl(grants: readonly (Grant | ResolvedGrant)[]): boolean {
  return grants.some(isPublicGrant);
}

/** An ACL as IgnorePublicAcls has it evaluated: public grants dropped. */
export function withoutPublicGrants(acl: Acl, ownerId: string): Acl {
  if (acl === null) return null;
  return normalizeGrants(
    grantsOf(acl, ownerId).filter((g) => !isPublicGrant(g)),
    ownerId,
  );
}

// ------------------------------------------------------------------ policies

const BAD_ACTIONS = ["s3:Get*", "s3:List*", "s3:Put*", "s3:Delete*", "s3:AbortMultipartUpload", "s3:RestoreObject"];
const FIXED_KEYS = new Set([
  "aws:sourcearn",
  "aws:sourcevpc",
  "aws:sourcevpce",
  "aws:sourceowner",
  "aws:sourceaccount",
  "aws:principalorgid",
  "aws:principalaccount",
  "aws:principalarn",
  "aws:userid",
  "s3:x-amz-server-side-encryption-aws-kms-key-id",
  "s3:dataaccesspointarn",
  "s3:dataaccesspointaccount",
]);
const CONFINING_OPERATORS = new Set(["StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike"]);

const isBad = (action: string) => BAD_ACTIONS.some((b) => actionMatches(b, action));

function grantsBadAction(s: Statement): boolean {
  if (s.notAction) return true;
  return s.action!.some((pattern) => actionsMatching(pattern).some(isBad));
}

function confines(c: Condition): boolean {
  if (c.set !== null || c.ifExists) return false;
  if (c.key === "aws:sourceip") {
    return (
      c.base === "IpAddress" &&
      c.values.every((v) => {
        const block = parseCidr(v);
        return block !== null && block.bits >= (block.v === 4 ? 8 : 32);
      })
    );
  }
  if (!FIXED_KEYS.has(c.key) || !CONFINING_OPERATORS.has(c.base)) return false;
  if (!c.values.every(isFixed)) return false;
  // A role's session ids ("AROLEID:*") name whoever assumes the role: not a fixed principal.
  return c.key !== "aws:userid" || c.values.every((v) => !v.endsWith(":*"));
}

export function isPublicStatement(s: Statement): boolean {
  if (s.effect !== "Allow") return false;
  const everyone = s.notPrincipal !== undefined || s.principal!.any;
  return everyone && grantsBadAction(s) && !s.conditions.some(confines);
}

/** Whether the policy is public (GetBucketPolicyStatus IsPublic; BlockPublicPolicy refuses such a policy). */
export function isPublicPolicy(policy: Policy): boolean {
  return policy.statements.some(isPublicStatement);
}
