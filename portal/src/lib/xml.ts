/**
 * The request documents the portal sends (S3 API reference, "Request Syntax" of each operation),
 * as pure string builders, so they are unit-tested without a browser.
 */
import type { CorsRule } from "./cors";

export const S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/";
const XSI = "http://www.w3.org/2001/XMLSchema-instance";

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!);
}

const el = (name: string, value: string | number) => `<${name}>${escapeXml(String(value))}</${name}>`;
const doc = (root: string, inner: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${S3_NS}">${inner}</${root}>`;

export type Tag = { key: string; value: string };

/** PutObjectTagging / PutBucketTagging body. */
export function taggingXml(tags: Tag[]): string {
  return doc("Tagging", `<TagSet>${tags.map((t) => `<Tag>${el("Key", t.key)}${el("Value", t.value)}</Tag>`).join("")}</TagSet>`);
}

/** PutBucketVersioning body. */
export function versioningXml(status: "Enabled" | "Suspended"): string {
  return doc("VersioningConfiguration", el("Status", status));
}

/** CreateBucket body; none for the default zone. */
export function createBucketXml(zone: string | undefined): string | undefined {
  return zone ? doc("CreateBucketConfiguration", el("LocationConstraint", zone)) : undefined;
}

/** DeleteObjects body (at most 1000 entries, the caller batches). */
export function deleteObjectsXml(items: { key: string; versionId?: string }[], quiet = true): string {
  const objects = items.map((o) => `<Object>${el("Key", o.key)}${o.versionId ? el("VersionId", o.versionId) : ""}</Object>`).join("");
  return doc("Delete", `${quiet ? "<Quiet>true</Quiet>" : ""}${objects}`);
}

/** CompleteMultipartUpload body, parts in ascending order. */
export function completeMultipartXml(parts: { partNumber: number; etag: string }[]): string {
  const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
  return doc("CompleteMultipartUpload", sorted.map((p) => `<Part>${el("PartNumber", p.partNumber)}${el("ETag", p.etag)}</Part>`).join(""));
}

/** PutBucketCors body. */
export function corsXml(rules: CorsRule[]): string {
  const rule = (r: CorsRule) =>
    "<CORSRule>" +
    (r.id ? el("ID", r.id) : "") +
    r.allowedOrigins.map((v) => el("AllowedOrigin", v)).join("") +
    r.allowedMethods.map((v) => el("AllowedMethod", v)).join("") +
    r.allowedHeaders.map((v) => el("AllowedHeader", v)).join("") +
    r.exposeHeaders.map((v) => el("ExposeHeader", v)).join("") +
    (r.maxAgeSeconds !== undefined ? el("MaxAgeSeconds", r.maxAgeSeconds) : "") +
    "</CORSRule>";
  return doc("CORSConfiguration", rules.map(rule).join(""));
}

export const ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers";
export const AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
export const PERMISSIONS = ["FULL_CONTROL", "READ", "WRITE", "READ_ACP", "WRITE_ACP"] as const;
export type Permission = (typeof PERMISSIONS)[number];

export type Grantee =
  | { type: "CanonicalUser"; id: string; displayName?: string }
  | { type: "AmazonCustomerByEmail"; email: string }
  | { type: "Group"; uri: string };
export type Grant = { grantee: Grantee; permission: Permission };
export type Acl = { owner: { id: string; displayName?: string }; grants: Grant[] };

function granteeXml(g: Grantee): string {
  const open = `<Grantee xmlns:xsi="${XSI}" xsi:type="${g.type}">`;
  if (g.type === "CanonicalUser") return `${open}${el("ID", g.id)}${g.displayName ? el("DisplayName", g.displayName) : ""}</Grantee>`;
  if (g.type === "AmazonCustomerByEmail") return `${open}${el("EmailAddress", g.email)}</Grantee>`;
  return `${open}${el("URI", g.uri)}</Grantee>`;
}

/** PutBucketAcl / PutObjectAcl body. */
export function aclXml(acl: Acl): string {
  const owner = `<Owner>${el("ID", acl.owner.id)}${acl.owner.displayName ? el("DisplayName", acl.owner.displayName) : ""}</Owner>`;
  const grants = acl.grants.map((g) => `<Grant>${granteeXml(g.grantee)}${el("Permission", g.permission)}</Grant>`).join("");
  return doc("AccessControlPolicy", `${owner}<AccessControlList>${grants}</AccessControlList>`);
}
