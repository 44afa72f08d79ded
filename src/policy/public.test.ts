import { describe, expect, it } from "vitest";
import { ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY, type ResolvedGrant } from "../logic/acl";
import { parsePolicy } from "./parse";
import { isPublicAcl, isPublicPolicy, withoutPublicGrants } from "./public";

const B = "site";
const ALICE = "a1".repeat(32);
const OWNER = "0a".repeat(32);
const allow = (over: Record<string, unknown> = {}) => ({ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${B}/*`, ...over });
const isPublic = (...statements: unknown[]) => isPublicPolicy(parsePolicy(JSON.stringify({ Version: "2012-10-17", Statement: statements }), B));

describe("isPublicPolicy (The meaning of public)", () => {
  it.each<[string, unknown[], boolean]>([
    ["read for everyone", [allow()], true],
    ["read for {AWS: *}", [allow({ Principal: { AWS: "*" } })], true],
    ["everyone but one user (NotPrincipal)", [allow({ Principal: undefined, NotPrincipal: { AWS: ALICE } })], true],
    ["a named user", [allow({ Principal: { AWS: ALICE } })], false],
    ["a canonical user", [allow({ Principal: { CanonicalUser: ALICE } })], false],
    ["a service principal", [allow({ Principal: { Service: "logging.s3.amazonaws.com" } })], false],
    ["a Deny for everyone", [allow({ Effect: "Deny" })], false],
    ["a public statement among private ones", [allow({ Principal: { AWS: ALICE } }), allow({ Action: "s3:ListBucket", Resource: `arn:aws:s3:::${B}` })], true],
    ["writes for everyone", [allow({ Action: "s3:PutObject" })], true],
    ["NotAction for everyone", [allow({ Action: undefined, NotAction: "s3:DeleteObject" })], true],
    ["a non-bad action only (GetBucketLocation is a Get*)", [allow({ Action: "s3:GetBucketLocation", Resource: `arn:aws:s3:::${B}` })], true],
    ["only actions that are not bad (CreateBucket)", [allow({ Action: "s3:CreateBucket", Resource: `arn:aws:s3:::${B}` })], false],
    ["a /24 source block", [allow({ Condition: { IpAddress: { "aws:SourceIp": "192.0.2.0/24" } } })], false],
    ["a /8 source block", [allow({ Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } } })], false],
    ["a /7 source block", [allow({ Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/7" } } })], true],
    ["0.0.0.0/0", [allow({ Condition: { IpAddress: { "aws:SourceIp": "0.0.0.0/0" } } })], true],
    ["an IPv6 /32", [allow({ Condition: { IpAddress: { "aws:SourceIp": "2001:db8::/32" } } })], false],
    ["an IPv6 /16", [allow({ Condition: { IpAddress: { "aws:SourceIp": "2001::/16" } } })], true],
    ["one narrow and one broad block", [allow({ Condition: { IpAddress: { "aws:SourceIp": ["192.0.2.0/24", "0.0.0.0/1"] } } })], true],
    ["NotIpAddress", [allow({ Condition: { NotIpAddress: { "aws:SourceIp": "192.0.2.0/24" } } })], true],
    ["IpAddressIfExists", [allow({ Condition: { IpAddressIfExists: { "aws:SourceIp": "192.0.2.0/24" } } })], true],
    ["a fixed aws:SourceVpce", [allow({ Condition: { StringEquals: { "aws:SourceVpce": "vpce-1a2b3c4d" } } })], false],
    ["a wildcard aws:SourceVpce", [allow({ Condition: { StringLike: { "aws:SourceVpce": "vpce-*" } } })], true],
    ["a fixed aws:SourceArn", [allow({ Condition: { ArnEquals: { "aws:SourceArn": "arn:aws:s3:::logs" } } })], false],
    ["a fixed aws:PrincipalAccount", [allow({ Condition: { StringEquals: { "aws:PrincipalAccount": ALICE } } })], false],
    ["a variable in aws:PrincipalArn", [allow({ Condition: { StringEquals: { "aws:PrincipalArn": "${aws:username}" } } })], true],
    ["aws:userid of a role's sessions", [allow({ Condition: { StringLike: { "aws:userid": "AROAEXAMPLE:*" } } })], true],
    ["a fixed aws:userid", [allow({ Condition: { StringEquals: { "aws:userid": ALICE } } })], false],
    ["StringNotEquals on a fixed key", [allow({ Condition: { StringNotEquals: { "aws:SourceVpce": "vpce-1" } } })], true],
    ["ForAllValues on a fixed key", [allow({ Condition: { "ForAllValues:StringEquals": { "aws:SourceVpce": "vpce-1" } } })], true],
    ["a condition on a key that confines nothing", [allow({ Condition: { StringEquals: { "aws:Referer": "https://example.com" } } })], true],
    ["aws:SecureTransport", [allow({ Condition: { Bool: { "aws:SecureTransport": "true" } } })], true],
  ])("%s: %s", (_, statements, expected) => {
    expect(isPublic(...statements)).toBe(expected);
  });
});

describe("public ACLs", () => {
  const g = (uri: string, permission: ResolvedGrant["permission"] = "READ"): ResolvedGrant => ({ grantee: { type: "Group", uri }, permission });
  const owner: ResolvedGrant = { grantee: { type: "CanonicalUser", id: OWNER }, permission: "FULL_CONTROL" };
  it.each<[string, ResolvedGrant[], boolean]>([
    ["private", [owner], false],
    ["AllUsers READ", [owner, g(ALL_USERS)], true],
    ["AllUsers READ_ACP", [owner, g(ALL_USERS, "READ_ACP")], true],
    ["AuthenticatedUsers WRITE", [owner, g(AUTHENTICATED_USERS, "WRITE")], true],
    ["LogDelivery", [owner, g(LOG_DELIVERY, "WRITE")], false],
    ["another user", [owner, { grantee: { type: "CanonicalUser", id: ALICE }, permission: "READ" }], false],
  ])("%s: %s", (_, grants, expected) => expect(isPublicAcl(grants)).toBe(expected));

  it("withoutPublicGrants drops exactly the public grants", () => {
    const alice: ResolvedGrant = { grantee: { type: "CanonicalUser", id: ALICE }, permission: "READ" };
    expect(withoutPublicGrants([owner, g(ALL_USERS), alice, g(AUTHENTICATED_USERS, "WRITE")], OWNER)).toEqual([owner, alice]);
    expect(withoutPublicGrants([owner, g(ALL_USERS)], OWNER)).toBeNull(); // back to the default
    expect(withoutPublicGrants(null, OWNER)).toBeNull();
  });
});
