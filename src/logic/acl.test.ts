import { describe, expect, it } from "vitest";
import { S3Error } from "../errors";
import {
  ALL_USERS,
  AUTHENTICATED_USERS,
  LOG_DELIVERY,
  aclFromHeaders,
  allows,
  cannedGrants,
  deserializeGrants,
  grantedPermissions,
  parseGrantHeader,
  resolveGrants,
  parseStoredGrants,
  serializeGrants,
  type GranteeDirectory,
  type Grant,
  type ResolvedGrant,
} from "./acl";

const OWNER = "a".repeat(64);
const BUCKET_OWNER = "b".repeat(64);
const OTHER = "c".repeat(64);
const owners = { ownerId: OWNER, bucketOwnerId: BUCKET_OWNER };

const fc = (id: string): ResolvedGrant => ({ grantee: { type: "CanonicalUser", id }, permission: "FULL_CONTROL" });

function s3ErrorOf(fn: () => unknown): { code: string; message: string; details: Record<string, unknown> } {
  try {
    fn();
  } catch (e) {
    if (e instanceof S3Error) return { code: e.code, message: e.message, details: e.details };
    throw e;
  }
  throw new Error("expected an S3Error");
}

async function s3ErrorOfAsync(p: Promise<unknown>): Promise<{ code: string; details: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof S3Error) return { code: e.code, details: e.details };
    throw e;
  }
  throw new Error("expected an S3Error");
}

describe("canned ACLs", () => {
  it.each([
    ["private", [fc(OWNER)]],
    ["public-read", [fc(OWNER), { grantee: { type: "Group", uri: ALL_USERS }, permission: "READ" }]],
    [
      "public-read-write",
      [fc(OWNER), { grantee: { type: "Group", uri: ALL_USERS }, permission: "READ" }, { grantee: { type: "Group", uri: ALL_USERS }, permission: "WRITE" }],
    ],
    ["authenticated-read", [fc(OWNER), { grantee: { type: "Group", uri: AUTHENTICATED_USERS }, permission: "READ" }]],
    ["aws-exec-read", [fc(OWNER)]],
    ["bucket-owner-read", [fc(OWNER), { grantee: { type: "CanonicalUser", id: BUCKET_OWNER }, permission: "READ" }]],
    ["bucket-owner-full-control", [fc(OWNER), fc(BUCKET_OWNER)]],
  ] as [string, ResolvedGrant[]][])("object %s", (name, grants) => {
    expect(cannedGrants(name, owners, "object")).toEqual(grants);
  });

  it("bucket-owner-* on a resource the bucket owner owns is just the owner's FULL_CONTROL", () => {
    const self = { ownerId: OWNER, bucketOwnerId: OWNER };
    expect(cannedGrants("bucket-owner-read", self, "bucket")).toEqual([fc(OWNER)]);
    expect(cannedGrants("bucket-owner-full-control", self, "object")).toEqual([fc(OWNER)]);
  });

  it("log-delivery-write is a bucket ACL only", () => {
    expect(cannedGrants("log-delivery-write", { ownerId: OWNER, bucketOwnerId: OWNER }, "bucket")).toEqual([
      fc(OWNER),
      { grantee: { type: "Group", uri: LOG_DELIVERY }, permission: "WRITE" },
      { grantee: { type: "Group", uri: LOG_DELIVERY }, permission: "READ_ACP" },
    ]);
    expect(s3ErrorOf(() => cannedGrants("log-delivery-write", owners, "object"))).toMatchObject({
      code: "InvalidArgument",
      details: { ArgumentName: "x-amz-acl" },
    });
  });

  it.each(["public", "Private", "", "toString", "__proto__"])("refuses the unknown canned ACL %j with InvalidArgument", (name) => {
    expect(s3ErrorOf(() => cannedGrants(name, owners, "bucket"))).toMatchObject({
      code: "InvalidArgument",
      details: { ArgumentName: "x-amz-acl", ArgumentValue: name },
    });
  });
});

describe("x-amz-grant-* headers", () => {
  it("parses id, uri and emailAddress grantees, quoted or not, with spaces", () => {
    expect(parseGrantHeader("x-amz-grant-read", `id="${OTHER}", uri=${ALL_USERS} ,emailAddress="x@example.com"`, "READ")).toEqual([
      { grantee: { type: "CanonicalUser", id: OTHER }, permission: "READ" },
      { grantee: { type: "Group", uri: ALL_USERS }, permission: "READ" },
      { grantee: { type: "AmazonCustomerByEmail", email: "x@example.com" }, permission: "READ" },
    ]);
  });

  it.each(["name=x", "id=", 'id=""', "id", "=x", "id=a b", 'id="a'])("refuses %j with InvalidArgument", (v) => {
    expect(s3ErrorOf(() => parseGrantHeader("x-amz-grant-write", v, "WRITE"))).toMatchObject({
      code: "InvalidArgument",
      details: { ArgumentName: "x-amz-grant-write" },
    });
  });

  it("collects every grant header with its permission", () => {
    const headers = new Headers({
      "x-amz-grant-read": `id=${OTHER}`,
      "x-amz-grant-write": `uri=${AUTHENTICATED_USERS}`,
      "x-amz-grant-read-acp": `id=${OTHER}`,
      "x-amz-grant-write-acp": `id=${BUCKET_OWNER}`,
      "x-amz-grant-full-control": `emailAddress=a@b.c`,
    });
    expect(aclFromHeaders(headers, owners, "object")).toEqual([
      { grantee: { type: "CanonicalUser", id: OTHER }, permission: "READ" },
      { grantee: { type: "Group", uri: AUTHENTICATED_USERS }, permission: "WRITE" },
      { grantee: { type: "CanonicalUser", id: OTHER }, permission: "READ_ACP" },
      { grantee: { type: "CanonicalUser", id: BUCKET_OWNER }, permission: "WRITE_ACP" },
      { grantee: { type: "AmazonCustomerByEmail", email: "a@b.c" }, permission: "FULL_CONTROL" },
    ]);
  });

  it("returns null when no ACL header is present, and canned grants for x-amz-acl", () => {
    expect(aclFromHeaders(new Headers(), owners, "object")).toBeNull();
    expect(aclFromHeaders(new Headers({ "x-amz-acl": "public-read" }), owners, "object")).toEqual(cannedGrants("public-read", owners, "object"));
  });

  it("refuses a canned ACL together with grant headers (InvalidRequest)", () => {
    const e = s3ErrorOf(() => aclFromHeaders(new Headers({ "x-amz-acl": "private", "x-amz-grant-read": `id=${OTHER}` }), owners, "bucket"));
    expect(e).toMatchObject({ code: "InvalidRequest", message: "Specifying both Canned ACLs and Header Grants is not allowed" });
  });
});

describe("resolving grantees", () => {
  const dir: GranteeDirectory = {
    userExists: async (id) => id === OTHER || id === OWNER,
    userIdByEmail: async (email) => (email.toLowerCase() === "other@example.com" ? OTHER : null),
  };

  it("maps e-mail grantees to canonical ids and keeps users and groups", async () => {
    const grants: Grant[] = [
      { grantee: { type: "AmazonCustomerByEmail", email: "Other@Example.com" }, permission: "READ" },
      { grantee: { type: "CanonicalUser", id: OWNER }, permission: "FULL_CONTROL" },
      { grantee: { type: "Group", uri: AUTHENTICATED_USERS }, permission: "READ_ACP" },
    ];
    expect(await resolveGrants(grants, dir)).toEqual([
      { grantee: { type: "CanonicalUser", id: OTHER }, permission: "READ" },
      fc(OWNER),
      { grantee: { type: "Group", uri: AUTHENTICATED_USERS }, permission: "READ_ACP" },
    ]);
  });

  it("refuses unknown ids (InvalidArgument), e-mails (UnresolvableGrantByEmailAddress) and group URIs (InvalidArgument)", async () => {
    expect(await s3ErrorOfAsync(resolveGrants([{ grantee: { type: "CanonicalUser", id: "f".repeat(64) }, permission: "READ" }], dir))).toMatchObject({
      code: "InvalidArgument",
      details: { ArgumentValue: "f".repeat(64) },
    });
    expect(
      await s3ErrorOfAsync(resolveGrants([{ grantee: { type: "AmazonCustomerByEmail", email: "nobody@example.com" }, permission: "READ" }], dir)),
    ).toMatchObject({
      code: "UnresolvableGrantByEmailAddress",
    });
    expect(
      await s3ErrorOfAsync(resolveGrants([{ grantee: { type: "Group", uri: "http://acs.amazonaws.com/groups/global/Everyone" }, permission: "READ" }], dir)),
    ).toMatchObject({
      code: "InvalidArgument",
    });
  });

  it("refuses more than 100 grants", async () => {
    const many: Grant[] = Array.from({ length: 101 }, () => ({ grantee: { type: "Group", uri: ALL_USERS }, permission: "READ" }));
    expect(await s3ErrorOfAsync(resolveGrants(many, dir))).toMatchObject({ code: "MalformedACLError" });
    expect(await resolveGrants(many.slice(1), dir)).toHaveLength(100);
  });
});

describe("stored form", () => {
  it("stores the default ACL as null and anything else as JSON that round-trips", () => {
    expect(serializeGrants([fc(OWNER)], OWNER)).toBeNull();
    const grants = cannedGrants("bucket-owner-read", owners, "object");
    const stored = serializeGrants(grants, OWNER);
    expect(stored).not.toBeNull();
    expect(deserializeGrants(stored, OWNER)).toEqual(grants);
    // An ACL without the owner's grant is kept as given (GetAcl shows it; the owner keeps access anyway).
    expect(deserializeGrants(serializeGrants([], OWNER), OWNER)).toEqual([]);
    expect(deserializeGrants(null, OWNER)).toEqual([fc(OWNER)]);
  });

  it("fails closed on unreadable stored values", () => {
    expect(deserializeGrants("{not json", OWNER)).toEqual([fc(OWNER)]);
    expect(deserializeGrants('{"a":1}', OWNER)).toEqual([fc(OWNER)]);
    expect(deserializeGrants('[{"grantee":{"type":"Group","uri":"x"},"permission":"EVERYTHING"}]', OWNER)).toEqual([]);
    expect(allows(null, OWNER, parseStoredGrants("{not json"), "READ")).toBe(false);
  });
});

describe("evaluation", () => {
  const stored = (grants: ResolvedGrant[]) => parseStoredGrants(serializeGrants(grants, OWNER));

  it("gives the owner every permission, whatever the ACL says", () => {
    expect([...grantedPermissions(OWNER, OWNER, stored([]))].sort()).toEqual(["FULL_CONTROL", "READ", "READ_ACP", "WRITE", "WRITE_ACP"]);
    expect(allows(OWNER, OWNER, null, "WRITE_ACP")).toBe(true);
  });

  it("gives nobody else anything under the default ACL, anonymous included", () => {
    expect(grantedPermissions(OTHER, OWNER, null).size).toBe(0);
    expect(grantedPermissions(null, OWNER, null).size).toBe(0);
  });

  it("AllUsers matches anonymous and signed callers; AuthenticatedUsers only signed ones", () => {
    const pub = stored(cannedGrants("public-read", owners, "object"));
    expect(allows(null, OWNER, pub, "READ")).toBe(true);
    expect(allows(OTHER, OWNER, pub, "READ")).toBe(true);
    expect(allows(null, OWNER, pub, "READ_ACP")).toBe(false);
    const auth = stored(cannedGrants("authenticated-read", owners, "object"));
    expect(allows(null, OWNER, auth, "READ")).toBe(false);
    expect(allows(OTHER, OWNER, auth, "READ")).toBe(true);
    expect(allows(OTHER, OWNER, auth, "WRITE")).toBe(false);
  });

  it("FULL_CONTROL implies every permission; other grants give exactly themselves", () => {
    const acl = stored([fc(OWNER), fc(OTHER), { grantee: { type: "CanonicalUser", id: BUCKET_OWNER }, permission: "READ_ACP" }]);
    expect([...grantedPermissions(OTHER, OWNER, acl)].sort()).toEqual(["FULL_CONTROL", "READ", "READ_ACP", "WRITE", "WRITE_ACP"]);
    expect([...grantedPermissions(BUCKET_OWNER, OWNER, acl)]).toEqual(["READ_ACP"]);
    expect(grantedPermissions(null, OWNER, acl).size).toBe(0);
  });

  it("the LogDelivery group matches no caller", () => {
    const acl = stored(cannedGrants("log-delivery-write", { ownerId: OWNER, bucketOwnerId: OWNER }, "bucket"));
    expect(allows(OTHER, OWNER, acl, "WRITE")).toBe(false);
    expect(allows(null, OWNER, acl, "WRITE")).toBe(false);
  });
});
