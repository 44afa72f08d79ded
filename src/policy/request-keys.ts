/**
 * The condition keys a request carries, gathered from it once (IAM User Guide, "AWS global
 * condition context keys"; Service Authorization Reference, "Condition keys for Amazon S3"):
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html
 *
 * A key the request has no value for is left out, so that `Null` and `...IfExists` see it as
 * missing. This service's users are accounts of their own: aws:PrincipalType is "Account"
 * (anonymous callers: "Anonymous"), aws:userid and aws:PrincipalAccount are the canonical user
 * id, aws:PrincipalArn is arn:aws:iam::<id>:root, and aws:username is the user's display name
 * (AWS sets it only for IAM users; here it makes per-user prefixes such as home/${aws:username}/
 * possible).
 */
import type { TagSet } from "../logic/tags";
import { normalizeKey } from "./conditions";

export type RequestKeyInput = {
  headers: Headers;
  query: URLSearchParams;
  /** the client's address (CF-Connecting-IP), if known */
  sourceIp: string | null;
  /** whether the request reached the Worker over TLS */
  secure: boolean;
  now: number;
  caller: { kind: "anonymous" } | { kind: "user"; id: string; displayName: string };
  signatureVersion: 2 | 4 | null;
  /** how the request was authenticated (null: anonymous) */
  authType: "REST-HEADER" | "REST-QUERY-STRING" | "POST" | null;
  /** the bucket owner, for aws:ResourceAccount / s3:ResourceAccount */
  bucketOwnerId?: string;
  /** the tags of the object the request acts on, where the pipeline has loaded it */
  existingTags?: TagSet;
  /** the tags the request sets (x-amz-tagging, PutObjectTagging's body) */
  requestTags?: TagSet;
};

/** Request headers that are condition keys of the same name (s3:x-amz-acl, ...). */
const HEADER_KEYS = [
  "x-amz-acl",
  "x-amz-grant-read",
  "x-amz-grant-write",
  "x-amz-grant-read-acp",
  "x-amz-grant-write-acp",
  "x-amz-grant-full-control",
  "x-amz-copy-source",
  "x-amz-metadata-directive",
  "x-amz-server-side-encryption",
  "x-amz-server-side-encryption-aws-kms-key-id",
  "x-amz-server-side-encryption-customer-algorithm",
  "x-amz-storage-class",
  "x-amz-website-redirect-location",
  "x-amz-content-sha256",
  "x-amz-object-ownership",
  "if-match",
  "if-none-match",
];
const QUERY_KEYS = ["prefix", "delimiter", "max-keys"];

export function requestConditionValues(input: RequestKeyInput): Map<string, string | string[]> {
  const values = new Map<string, string | string[]>();
  const set = (key: string, value: string | string[] | null | undefined) => {
    if (value !== null && value !== undefined) values.set(normalizeKey(key), value);
  };
  const { headers, query, caller } = input;

  set("aws:SourceIp", input.sourceIp);
  set("aws:SecureTransport", String(input.secure));
  set("aws:CurrentTime", new Date(input.now).toISOString());
  set("aws:EpochTime", String(Math.floor(input.now / 1000)));
  set("aws:Referer", headers.get("referer"));
  set("aws:UserAgent", headers.get("user-agent"));
  set("aws:PrincipalType", caller.kind === "user" ? "Account" : "Anonymous");
  if (caller.kind === "user") {
    set("aws:userid", caller.id);
    set("aws:username", caller.displayName);
    set("aws:PrincipalAccount", caller.id);
    set("aws:PrincipalArn", `arn:aws:iam::${caller.id}:root`);
  }
  set("aws:ResourceAccount", input.bucketOwnerId);
  set("s3:ResourceAccount", input.bucketOwnerId);

  for (const name of HEADER_KEYS) set(`s3:${name}`, headers.get(name));
  for (const name of QUERY_KEYS) set(`s3:${name}`, query.get(name));
  set("s3:VersionId", query.get("versionId"));
  set("s3:signatureversion", input.signatureVersion === 4 ? "AWS4-HMAC-SHA256" : input.signatureVersion === 2 ? "AWS" : null);
  set("s3:authType", input.authType);

  for (const t of input.existingTags ?? []) set(`s3:ExistingObjectTag/${t.key}`, t.value);
  if (input.requestTags) {
    for (const t of input.requestTags) set(`s3:RequestObjectTag/${t.key}`, t.value);
    set(
      "s3:RequestObjectTagKeys",
      input.requestTags.map((t) => t.key),
    );
  }
  return values;
}

/** How a request was authenticated, as s3:authType names it. */
export function authTypeOf(request: Request, signed: boolean, isPostForm: boolean): RequestKeyInput["authType"] {
  if (!signed) return null;
  if (isPostForm) return "POST";
  return request.headers.has("authorization") ? "REST-HEADER" : "REST-QUERY-STRING";
}
