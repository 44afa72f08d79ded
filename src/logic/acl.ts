/**
 * Access control lists, as pure rules (AWS S3 User Guide, "Access control list (ACL) overview"):
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html
 *
 * - Canned ACLs (`x-amz-acl`) and `x-amz-grant-*` headers become grant lists.
 * - The stored form is a JSON list of grants whose grantees are resolved (canonical user ids or
 *   group URIs, never e-mail addresses); NULL stands for the default, "private" (the owner's
 *   FULL_CONTROL), so that the common case costs no parsing.
 * - Evaluation: the resource owner always holds FULL_CONTROL (this service keeps that even when a
 *   PutAcl leaves the owner out, where S3 would keep only READ_ACP/WRITE_ACP); FULL_CONTROL implies
 *   every other permission; AllUsers matches anyone, signed or not; AuthenticatedUsers matches any
 *   valid key of any user; ACLs are never inherited from a bucket by its objects.
 */
import { S3Error } from "../errors";

export const PERMISSIONS = ["FULL_CONTROL", "WRITE", "WRITE_ACP", "READ", "READ_ACP"] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers";
export const AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
export const LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery";
const GROUP_URIS = new Set([ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY]);

/** S3's limit on grants per ACL. */
export const MAX_GRANTS = 100;

export type UserGrantee = { type: "CanonicalUser"; id: string };
export type GroupGrantee = { type: "Group"; uri: string };
export type EmailGrantee = { type: "AmazonCustomerByEmail"; email: string };
export type Grantee = UserGrantee | GroupGrantee | EmailGrantee;

/** A grant as requested: the grantee may still be an e-mail address. */
export type Grant = { grantee: Grantee; permission: Permission };
/** A grant as stored and evaluated. */
export type ResolvedGrant = { grantee: UserGrantee | GroupGrantee; permission: Permission };

export type AclTarget = "bucket" | "object";

/** Who owns what: the new resource's owner, and the owner of the bucket it lives in. */
export type Owners = { ownerId: string; bucketOwnerId: string };

export function isPermission(s: string): s is Permission {
  return (PERMISSIONS as readonly string[]).includes(s);
}

// ------------------------------------------------------------------ canned ACLs

const user = (id: string): UserGrantee => ({ type: "CanonicalUser", id });
const group = (uri: string): GroupGrantee => ({ type: "Group", uri });

/**
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#canned-acl
 * aws-exec-read's EC2 grantee has no counterpart here, so it is the owner's grant alone; the
 * bucket-owner-* ACLs collapse to "private" when the bucket owner is the owner (always, for buckets).
 */
const CANNED: Record<string, { targets: AclTarget[]; grants: (o: Owners) => ResolvedGrant[] }> = {
  private: { targets: ["bucket", "object"], grants: () => [] },
  "public-read": { targets: ["bucket", "object"], grants: () => [{ grantee: group(ALL_USERS), permission: "READ" }] },
  "public-read-write": {
    targets: ["bucket", "object"],
    grants: () => [
      { grantee: group(ALL_USERS), permission: "READ" },
      { grantee: group(ALL_USERS), permission: "WRITE" },
    ],
  },
  "authenticated-read": { targets: ["bucket", "object"], grants: () => [{ grantee: group(AUTHENTICATED_USERS), permission: "READ" }] },
  "aws-exec-read": { targets: ["bucket", "object"], grants: () => [] },
  "bucket-owner-read": {
    targets: ["bucket", "object"],
    grants: (o) => (o.bucketOwnerId === o.ownerId ? [] : [{ grantee: user(o.bucketOwnerId), permission: "READ" }]),
  },
  "bucket-owner-full-control": {
    targets: ["bucket", "object"],
    grants: (o) => (o.bucketOwnerId === o.ownerId ? [] : [{ grantee: user(o.bucketOwnerId), permission: "FULL_CONTROL" }]),
  },
  "log-delivery-write": {
    targets: ["bucket"],
    grants: () => [
      { grantee: group(LOG_DELIVERY), permission: "WRITE" },
      { grantee: group(LOG_DELIVERY), permission: "READ_ACP" },
    ],
  },
};

/** The grants of a canned ACL: the owner's FULL_CONTROL first, as S3 lists them. */
export function cannedGrants(name: string, owners: Owners, target: AclTarget): ResolvedGrant[] {
  const canned = Object.hasOwn(CANNED, name) ? CANNED[name] : undefined;
  if (!canned?.targets.includes(target)) {
    throw new S3Error("InvalidArgument", undefined, { ArgumentName: "x-amz-acl", ArgumentValue: name });
  }
  return [{ grantee: user(owners.ownerId), permission: "FULL_CONTROL" }, ...canned.grants(owners)];
}

// ------------------------------------------------------------------ x-amz-grant-* headers

const GRANT_HEADERS: [string, Permission][] = [
  ["x-amz-grant-read", "READ"],
  ["x-amz-grant-write", "WRITE"],
  ["x-amz-grant-read-acp", "READ_ACP"],
  ["x-amz-grant-write-acp", "WRITE_ACP"],
  ["x-amz-grant-full-control", "FULL_CONTROL"],
];

/**
 * One `x-amz-grant-*` value: comma-separated `id=`, `uri=` or `emailAddress=` pairs, values
 * optionally double-quoted (`id="a1b2", uri="http://acs.amazonaws.com/groups/global/AllUsers"`).
 */
export function parseGrantHeader(header: string, value: string, permission: Permission): Grant[] {
  const bad = (arg: string) => new S3Error("grantFormat", undefined, { ArgumentName: header, ArgumentValue: arg });
  return value.split(",").map((raw) => {
    const token = raw.trim();
    const m = /^([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([^"\s]*))$/.exec(token);
    if (!m) throw bad(token);
    const v = (m[2] ?? m[3]).trim();
    if (v === "") throw bad(token);
    switch (m[1].toLowerCase()) {
      case "id":
        return { grantee: { type: "CanonicalUser", id: v }, permission };
      case "uri":
        return { grantee: { type: "Group", uri: v }, permission };
      case "emailaddress":
        return { grantee: { type: "AmazonCustomerByEmail", email: v }, permission };
      default:
        throw bad(token);
    }
  });
}

/**
 * The ACL that request headers ask for, or null when they name none. A canned ACL together with
 * grant headers is refused, as S3 does.
 */
export function aclFromHeaders(headers: Headers, owners: Owners, target: AclTarget): Grant[] | null {
  const canned = headers.get("x-amz-acl");
  const granted = GRANT_HEADERS.flatMap(([name, permission]) => {
    const v = headers.get(name);
    return v === null ? [] : parseGrantHeader(name, v, permission);
  });
  const hasGrantHeaders = GRANT_HEADERS.some(([name]) => headers.has(name));
  if (canned !== null && hasGrantHeaders) throw new S3Error("cannedAndGrantHeaders");
  if (canned !== null) return cannedGrants(canned.trim(), owners, target);
  return hasGrantHeaders ? granted : null;
}

// ------------------------------------------------------------------ resolving grantees

/** Where grantees are looked up (the users table). */
export type GranteeDirectory = {
  userExists(id: string): Promise<boolean>;
  userIdByEmail(email: string): Promise<string | null>;
};

/**
 * Turns requested grants into stored ones: e-mail grantees become the user's canonical id
 * (UnresolvableGrantByEmailAddress when none), ids must name a user and group URIs a known group
 * (InvalidArgument otherwise).
 */
export async function resolveGrants(grants: Grant[], dir: GranteeDirectory): Promise<ResolvedGrant[]> {
  if (grants.length > MAX_GRANTS) throw new S3Error("tooManyGrants", { max: MAX_GRANTS });
  const known = new Map<string, boolean>();
  const exists = async (id: string) => {
    if (!known.has(id)) known.set(id, await dir.userExists(id));
    return known.get(id)!;
  };
  const out: ResolvedGrant[] = [];
  for (const g of grants) {
    const { grantee, permission } = g;
    if (grantee.type === "Group") {
      if (!GROUP_URIS.has(grantee.uri)) throw new S3Error("grantGroupUri", undefined, { ArgumentName: "uri", ArgumentValue: grantee.uri });
      out.push({ grantee, permission });
    } else if (grantee.type === "CanonicalUser") {
      if (!(await exists(grantee.id))) throw new S3Error("grantCanonicalId", undefined, { ArgumentName: "CanonicalUser/ID", ArgumentValue: grantee.id });
      out.push({ grantee, permission });
    } else {
      const id = await dir.userIdByEmail(grantee.email);
      if (id === null) throw new S3Error("UnresolvableGrantByEmailAddress");
      out.push({ grantee: user(id), permission });
    }
  }
  return out;
}

// ------------------------------------------------------------------ stored form

const sameGrantee = (a: ResolvedGrant["grantee"], b: ResolvedGrant["grantee"]) =>
  a.type === "CanonicalUser" ? b.type === "CanonicalUser" && a.id === b.id : b.type === "Group" && a.uri === b.uri;

/** An ACL as the store keeps it: its grants, or null for the default (the owner's FULL_CONTROL). */
export type Acl = ResolvedGrant[] | null;

/** The ACL to store for these grants: null when they are exactly the default. */
export function normalizeGrants(grants: ResolvedGrant[], ownerId: string): Acl {
  if (grants.length === 1 && grants[0].permission === "FULL_CONTROL" && sameGrantee(grants[0].grantee, user(ownerId))) return null;
  return grants.map((g) => ({
    grantee: g.grantee.type === "CanonicalUser" ? { type: g.grantee.type, id: g.grantee.id } : { type: g.grantee.type, uri: g.grantee.uri },
    permission: g.permission,
  }));
}

/** JSON for the acl column; null when the ACL is exactly the default (the owner's FULL_CONTROL). */
export function serializeGrants(grants: ResolvedGrant[], ownerId: string): string | null {
  const acl = normalizeGrants(grants, ownerId);
  return acl === null ? null : JSON.stringify(acl);
}

/** The grants an ACL gives (the default: the owner's FULL_CONTROL). */
export function grantsOf(acl: Acl, ownerId: string): ResolvedGrant[] {
  return acl ?? [{ grantee: user(ownerId), permission: "FULL_CONTROL" }];
}

/** The grants of a stored ACL. An unreadable value fails closed: only the owner keeps access. */
export function deserializeGrants(stored: string | null, ownerId: string): ResolvedGrant[] {
  return grantsOf(parseStoredGrants(stored), ownerId);
}

/** The acl column read back (the store does this once per row). An unreadable value fails closed to the default. */
export function parseStoredGrants(stored: string | null): Acl {
  if (stored === null) return null;
  try {
    const parsed = JSON.parse(stored) as unknown;
    if (!Array.isArray(parsed)) return null;
    return parsed.filter(
      (g): g is ResolvedGrant =>
        !!g &&
        typeof g === "object" &&
        isPermission(String(g.permission)) &&
        ((g.grantee?.type === "CanonicalUser" && typeof g.grantee.id === "string") || (g.grantee?.type === "Group" && typeof g.grantee.uri === "string")),
    );
  } catch {
    return null;
  }
}

// ------------------------------------------------------------------ evaluation

/** The caller: a canonical user id, or null for an anonymous (unsigned) request. */
export type CallerId = string | null;

function granteeMatches(g: ResolvedGrant["grantee"], caller: CallerId): boolean {
  if (g.type === "CanonicalUser") return caller !== null && g.id === caller;
  if (g.uri === ALL_USERS) return true;
  if (g.uri === AUTHENTICATED_USERS) return caller !== null;
  return false; // LogDelivery: no caller of this service is the log-delivery group
}

/** Every permission `caller` holds on a resource owned by `ownerId` with this ACL. */
export function grantedPermissions(caller: CallerId, ownerId: string, acl: Acl): Set<Permission> {
  if (caller !== null && caller === ownerId) return new Set(PERMISSIONS);
  const held = new Set<Permission>();
  if (acl === null) return held;
  for (const g of acl) {
    if (!granteeMatches(g.grantee, caller)) continue;
    if (g.permission === "FULL_CONTROL") return new Set(PERMISSIONS);
    held.add(g.permission);
  }
  return held;
}

/** Whether `caller` holds `permission` (FULL_CONTROL grants all of them). */
export function allows(caller: CallerId, ownerId: string, acl: Acl, permission: Permission): boolean {
  return grantedPermissions(caller, ownerId, acl).has(permission);
}
