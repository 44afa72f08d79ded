import { describe, expect, it } from "vitest";
import { ALL_USERS, type ResolvedGrant } from "./acl";
import { aclsDisabled, newObjectOwner, onlyBucketOwnerFullControl, type ObjectOwnership } from "./ownership";

const OWNER = "0a".repeat(32);
const WRITER = "a1".repeat(32);
const full = (id: string): ResolvedGrant => ({ grantee: { type: "CanonicalUser", id }, permission: "FULL_CONTROL" });

describe("Object Ownership", () => {
  it.each<[ObjectOwnership | null, string | null, string]>([
    ["BucketOwnerEnforced", null, OWNER],
    ["BucketOwnerEnforced", "private", OWNER],
    ["BucketOwnerPreferred", "bucket-owner-full-control", OWNER],
    ["BucketOwnerPreferred", null, WRITER],
    ["BucketOwnerPreferred", "private", WRITER],
    ["ObjectWriter", "bucket-owner-full-control", WRITER],
    [null, "bucket-owner-full-control", WRITER],
  ])("%s with x-amz-acl %s: owned by %s", (ownership, canned, owner) => {
    expect(newObjectOwner(ownership, WRITER, OWNER, canned)).toBe(owner);
  });

  it("disables ACLs only under BucketOwnerEnforced", () => {
    expect([aclsDisabled("BucketOwnerEnforced"), aclsDisabled("BucketOwnerPreferred"), aclsDisabled("ObjectWriter"), aclsDisabled(null)]).toEqual([
      true,
      false,
      false,
      false,
    ]);
  });

  it.each<[string, ResolvedGrant[], boolean]>([
    ["the bucket owner's full control", [full(OWNER)], true],
    ["no grants", [], true],
    ["the writer's full control", [full(WRITER)], false],
    ["the owner's and a public read", [full(OWNER), { grantee: { type: "Group", uri: ALL_USERS }, permission: "READ" }], false],
    ["the owner's READ only", [{ grantee: { type: "CanonicalUser", id: OWNER }, permission: "READ" }], false],
  ])("onlyBucketOwnerFullControl: %s = %s", (_, grants, expected) => expect(onlyBucketOwnerFullControl(grants, OWNER)).toBe(expected));
});
