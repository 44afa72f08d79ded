/**
 * Pure request routing: (method, url, headers) -> the S3 operation it names.
 *
 * Path-style (`/bucket/key`) and virtual-host style (`bucket.<base domain>/key`). Subresources
 * are dispatched by the table below: the rule whose required query parameters are all present
 * and most numerous wins, so the order of rows never matters.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html
 */
import { S3Error } from "./errors";

export type Level = "service" | "bucket" | "object";

type Rule = {
  method: string;
  level: Level;
  /** query parameters that must all be present */
  query?: string[];
  /** header that must be present */
  header?: string;
  op: string;
};

const R = (method: string, level: Level, op: string, query?: string[], header?: string): Rule => ({
  method, level, op, query, header,
});

/** Bucket subresource query parameter -> the name inside Get/Put/DeleteBucket<Name>. */
const BUCKET_SUBRESOURCE_NAMES: Record<string, string> = {
  acl: "Acl", cors: "Cors", versioning: "Versioning", tagging: "Tagging", policy: "Policy",
  lifecycle: "Lifecycle", website: "Website", logging: "Logging", notification: "Notification",
  replication: "Replication", encryption: "Encryption", "object-lock": "ObjectLockConfiguration",
  ownershipControls: "OwnershipControls", accelerate: "AccelerateConfiguration",
  requestPayment: "RequestPayment", publicAccessBlock: "PublicAccessBlock",
  analytics: "AnalyticsConfiguration", metrics: "MetricsConfiguration",
  inventory: "InventoryConfiguration", "intelligent-tiering": "IntelligentTieringConfiguration",
};

/** Every S3 operation we recognise. Those without a handler answer NotImplemented. */
const RULES: Rule[] = [
  R("GET", "service", "ListBuckets"),

  R("PUT", "bucket", "CreateBucket"),
  R("HEAD", "bucket", "HeadBucket"),
  R("DELETE", "bucket", "DeleteBucket"),
  R("GET", "bucket", "ListObjects"),
  R("GET", "bucket", "ListObjectsV2", ["list-type"]),
  R("GET", "bucket", "GetBucketLocation", ["location"]),
  R("GET", "bucket", "ListObjectVersions", ["versions"]),
  R("GET", "bucket", "ListMultipartUploads", ["uploads"]),
  R("POST", "bucket", "DeleteObjects", ["delete"]),
  R("POST", "bucket", "PostObject"),
  ...(["acl", "cors", "versioning", "tagging", "policy", "lifecycle", "website", "logging", "notification",
    "replication", "encryption", "object-lock", "ownershipControls", "accelerate", "requestPayment",
    "publicAccessBlock", "analytics", "metrics", "inventory", "intelligent-tiering"] as const).flatMap((sub) => {
    const name = BUCKET_SUBRESOURCE_NAMES[sub];
    return [
      R("GET", "bucket", `GetBucket${name}`, [sub]),
      R("PUT", "bucket", `PutBucket${name}`, [sub]),
      R("DELETE", "bucket", `DeleteBucket${name}`, [sub]),
    ];
  }),
  R("GET", "bucket", "GetBucketPolicyStatus", ["policyStatus"]),

  R("GET", "object", "GetObject"),
  R("HEAD", "object", "HeadObject"),
  R("PUT", "object", "PutObject"),
  R("PUT", "object", "CopyObject", undefined, "x-amz-copy-source"),
  R("DELETE", "object", "DeleteObject"),
  R("GET", "object", "GetObjectAcl", ["acl"]),
  R("PUT", "object", "PutObjectAcl", ["acl"]),
  R("GET", "object", "GetObjectTagging", ["tagging"]),
  R("PUT", "object", "PutObjectTagging", ["tagging"]),
  R("DELETE", "object", "DeleteObjectTagging", ["tagging"]),
  R("GET", "object", "GetObjectAttributes", ["attributes"]),
  R("GET", "object", "GetObjectTorrent", ["torrent"]),
  R("GET", "object", "GetObjectRetention", ["retention"]),
  R("PUT", "object", "PutObjectRetention", ["retention"]),
  R("GET", "object", "GetObjectLegalHold", ["legal-hold"]),
  R("PUT", "object", "PutObjectLegalHold", ["legal-hold"]),
  R("POST", "object", "RestoreObject", ["restore"]),
  R("POST", "object", "SelectObjectContent", ["select"]),
  R("POST", "object", "CreateMultipartUpload", ["uploads"]),
  R("PUT", "object", "UploadPart", ["partNumber", "uploadId"]),
  R("PUT", "object", "UploadPartCopy", ["partNumber", "uploadId"], "x-amz-copy-source"),
  R("POST", "object", "CompleteMultipartUpload", ["uploadId"]),
  R("DELETE", "object", "AbortMultipartUpload", ["uploadId"]),
  R("GET", "object", "ListParts", ["uploadId"]),
];

/** Names of every S3 operation the router knows (validates access-key operation lists). */
export const OPERATION_NAMES: ReadonlySet<string> = new Set(RULES.map((r) => r.op));

export type Endpoint = {
  /** AWS operation name, or "Preflight" for CORS OPTIONS requests */
  op: string;
  level: Level;
  bucket: string | null;
  key: string | null;
  query: URLSearchParams;
  /** true when the bucket came from the Host header */
  virtualHost: boolean;
};

/** Admin API lives outside the S3 namespace: "_" can never start a bucket name. */
export const ADMIN_PREFIX = "/_admin";

export function isAdminPath(url: URL, baseDomain: string): boolean {
  return bucketFromHost(url.hostname, baseDomain) === null && (url.pathname === ADMIN_PREFIX || url.pathname.startsWith(ADMIN_PREFIX + "/"));
}

function bucketFromHost(hostname: string, baseDomain: string): string | null {
  if (!baseDomain) return null;
  const host = hostname.toLowerCase();
  if (host.length > baseDomain.length + 1 && host.endsWith("." + baseDomain)) {
    return host.slice(0, host.length - baseDomain.length - 1);
  }
  return null;
}

function decodePath(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new S3Error("InvalidURI");
  }
}

/** Splits the raw (still percent-encoded) path into bucket and key. */
export function locate(url: URL, baseDomain: string): { bucket: string | null; key: string | null; virtualHost: boolean } {
  const raw = url.pathname;
  const hostBucket = bucketFromHost(url.hostname, baseDomain);
  if (hostBucket !== null) {
    const key = raw.length > 1 ? decodePath(raw.slice(1)) : null;
    return { bucket: hostBucket, key, virtualHost: true };
  }
  const rest = raw.slice(1);
  if (rest === "") return { bucket: null, key: null, virtualHost: false };
  const slash = rest.indexOf("/");
  if (slash < 0) return { bucket: decodePath(rest), key: null, virtualHost: false };
  const key = rest.slice(slash + 1);
  return { bucket: decodePath(rest.slice(0, slash)), key: key === "" ? null : decodePath(key), virtualHost: false };
}

export function route(method: string, url: URL, headers: Headers, baseDomain: string): Endpoint {
  const { bucket, key, virtualHost } = locate(url, baseDomain);
  const level: Level = bucket === null ? "service" : key === null ? "bucket" : "object";
  const query = url.searchParams;
  const base = { level, bucket, key, query, virtualHost };
  if (method === "OPTIONS") return { ...base, op: level === "service" ? "MethodNotAllowed" : "Preflight" };

  let best: Rule | undefined;
  let bestScore = -1;
  for (const rule of RULES) {
    if (rule.method !== method || rule.level !== level) continue;
    if (rule.query && !rule.query.every((q) => query.has(q))) continue;
    if (rule.header && !headers.has(rule.header)) continue;
    const score = (rule.query?.length ?? 0) * 2 + (rule.header ? 1 : 0);
    if (score > bestScore) {
      best = rule;
      bestScore = score;
    }
  }
  return { ...base, op: best?.op ?? "MethodNotAllowed" };
}
