import { describe, expect, it } from "vitest";
import { ALL_USERS, type Acl, type ResolvedGrant } from "../logic/acl";
import type { ObjectOwnership } from "../logic/ownership";
import { decideAccess, type AccessAnswer, type AclQuestion, type BucketAccess } from "./access";
import type { Caller } from "./evaluate";
import { NO_PUBLIC_ACCESS_BLOCK, type PublicAccessBlock } from "./public";

const B = "shared";
const OWNER = "0a".repeat(32);
const SECOND = "b2".repeat(32);
const owner: Caller = { kind: "user", id: OWNER };
const second: Caller = { kind: "user", id: SECOND };
const anon: Caller = { kind: "anonymous" };

const publicRead: ResolvedGrant[] = [
  { grantee: { type: "CanonicalUser", id: OWNER }, permission: "FULL_CONTROL" },
  { grantee: { type: "Group", uri: ALL_USERS }, permission: "READ" },
];
const policy = (...Statement: unknown[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const allowAllRead = policy({ Sid: "AllRead", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${B}/*` });
const allowSecondRead = policy({ Sid: "SecondRead", Effect: "Allow", Principal: { AWS: SECOND }, Action: "s3:GetObject", Resource: `arn:aws:s3:::${B}/*` });
const denyAll = policy({ Sid: "DenyAll", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [`arn:aws:s3:::${B}`, `arn:aws:s3:::${B}/*`] });

function bucket(over: { policy?: string; pab?: Partial<PublicAccessBlock>; ownership?: ObjectOwnership } = {}): BucketAccess {
  return {
    name: B,
    ownerId: OWNER,
    policy: over.policy ?? null,
    publicAccessBlock: over.pab ? { ...NO_PUBLIC_ACCESS_BLOCK, ...over.pab } : null,
    objectOwnership: over.ownership ?? null,
  };
}
const read = (acl: Acl, ownerId = OWNER): AclQuestion => ({ ownerId, acl, permission: "READ" });
const get = (b: BucketAccess, caller: Caller, acl: AclQuestion = read(null), action = "s3:GetObject"): AccessAnswer =>
  decideAccess(b, { caller, action, resource: `arn:aws:s3:::${B}/k`, values: new Map(), acl });

describe("decideAccess", () => {
  it.each<[string, BucketAccess, Caller, AclQuestion, boolean, AccessAnswer["by"]]>([
    ["the owner, no policy", bucket(), owner, read(null), true, "acl"],
    ["someone else, private", bucket(), second, read(null), false, "none"],
    ["anonymous, public-read ACL", bucket(), anon, read(publicRead), true, "acl"],
    ["anonymous, public policy", bucket({ policy: allowAllRead }), anon, read(null), true, "policy"],
    ["a named user, by policy", bucket({ policy: allowSecondRead }), second, read(null), true, "policy"],
    ["anonymous, a policy for someone else", bucket({ policy: allowSecondRead }), anon, read(null), false, "none"],
    ["a Deny beats a public-read ACL", bucket({ policy: denyAll }), anon, read(publicRead), false, "policy"],
    ["a Deny beats ownership", bucket({ policy: denyAll }), owner, read(null), false, "policy"],
    ["IgnorePublicAcls drops the public grant", bucket({ pab: { ignorePublicAcls: true } }), anon, read(publicRead), false, "none"],
    ["IgnorePublicAcls keeps the owner", bucket({ pab: { ignorePublicAcls: true } }), owner, read(publicRead), true, "acl"],
    [
      "RestrictPublicBuckets: a public policy grants anonymous nothing",
      bucket({ policy: allowAllRead, pab: { restrictPublicBuckets: true } }),
      anon,
      read(null),
      false,
      "none",
    ],
    ["RestrictPublicBuckets: nor other users", bucket({ policy: allowAllRead, pab: { restrictPublicBuckets: true } }), second, read(null), false, "none"],
    ["RestrictPublicBuckets: the owner still", bucket({ policy: allowAllRead, pab: { restrictPublicBuckets: true } }), owner, read(null), true, "policy"],
    [
      "RestrictPublicBuckets leaves a non-public policy alone",
      bucket({ policy: allowSecondRead, pab: { restrictPublicBuckets: true } }),
      second,
      read(null),
      true,
      "policy",
    ],
    ["RestrictPublicBuckets leaves ACLs alone", bucket({ policy: allowAllRead, pab: { restrictPublicBuckets: true } }), anon, read(publicRead), true, "acl"],
    ["BucketOwnerEnforced: ACL grants grant nothing", bucket({ ownership: "BucketOwnerEnforced" }), anon, read(publicRead), false, "none"],
    [
      "BucketOwnerEnforced: the bucket owner owns another writer's object",
      bucket({ ownership: "BucketOwnerEnforced" }),
      owner,
      read(null, SECOND),
      true,
      "acl",
    ],
    ["BucketOwnerEnforced: the writer has no say", bucket({ ownership: "BucketOwnerEnforced" }), second, read(null, SECOND), false, "none"],
    ["BucketOwnerEnforced: policies still grant", bucket({ ownership: "BucketOwnerEnforced", policy: allowSecondRead }), second, read(null), true, "policy"],
    ["ObjectWriter: the writer owns", bucket({ ownership: "ObjectWriter" }), second, read(null, SECOND), true, "acl"],
    ["an owner-only question", bucket(), second, "owner", false, "none"],
  ])("%s", (_, b, caller, acl, allowed, by) => {
    expect(get(b, caller, acl)).toMatchObject({ allowed, by });
  });

  it.each(["s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"])("%s: always the owner's, never anyone else's", (action) => {
    const everyone = policy({ Effect: "Allow", Principal: "*", Action: "s3:*", Resource: `arn:aws:s3:::${B}` });
    expect(get(bucket({ policy: denyAll }), owner, "owner", action).allowed).toBe(true);
    expect(get(bucket({ policy: everyone }), second, "owner", action).allowed).toBe(false);
  });

  it("names the deciding statement", () => {
    expect(get(bucket({ policy: denyAll }), anon).decision?.statement).toEqual({ index: 0, sid: "DenyAll" });
  });
});
