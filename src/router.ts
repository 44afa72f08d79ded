/**
 * Pure request routing: (method, url, headers) -> the S3 operation it names.
 *
 * Path-style (`/bucket/key`) and virtual-host style (`bucket.<base domain>/key`, `bucket.<zone host>/key`). Subresources
 * are dispatched by the operation table (src/operations.ts): the row whose required query
 * parameters are all present and most numerous wins, so the order of rows never matters.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html
 */
import { S3Error } from "./errors";
import { OPERATIONS, type Level, type Op, type OperationSpec } from "./operations";

/** Every request that is not a known operation: an OPTIONS preflight, or no rule matched. */
export type RoutedOp = Op | "Preflight" | "MethodNotAllowed";

export type Endpoint = {
  /** the operation (src/operations.ts), "Preflight" for CORS OPTIONS requests, or "MethodNotAllowed" */
  op: RoutedOp;
  level: Level;
  bucket: string | null;
  key: string | null;
  query: URLSearchParams;
  /** true when the bucket came from the Host header */
  virtualHost: boolean;
};

/** Admin API lives outside the S3 namespace: "_" can never start a bucket name. */
export const ADMIN_PREFIX = "/_admin";

/** Host names under which `<bucket>.<domain>` names a bucket: the base domain and each zone endpoint's host. */
export type HostDomains = string | readonly string[];

export function isAdminPath(url: URL, domains: HostDomains): boolean {
  return bucketFromHost(url.hostname, domains) === null && (url.pathname === ADMIN_PREFIX || url.pathname.startsWith(ADMIN_PREFIX + "/"));
}

/** The bucket label before the longest matching domain; a host that is itself one of the domains names none. */
function bucketFromHost(hostname: string, domains: HostDomains): string | null {
  const host = hostname.toLowerCase();
  const list = (typeof domains === "string" ? [domains] : domains).filter(Boolean);
  if (list.includes(host)) return null;
  let best = "";
  for (const d of list) if (d.length > best.length && host.length > d.length + 1 && host.endsWith("." + d)) best = d;
  return best ? host.slice(0, host.length - best.length - 1) : null;
}

function decodePath(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new S3Error("InvalidURI");
  }
}

/** Splits the raw (still percent-encoded) path into bucket and key. */
export function locate(url: URL, domains: HostDomains): { bucket: string | null; key: string | null; virtualHost: boolean } {
  const raw = url.pathname;
  const hostBucket = bucketFromHost(url.hostname, domains);
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

export function route(method: string, url: URL, headers: Headers, domains: HostDomains): Endpoint {
  const { bucket, key, virtualHost } = locate(url, domains);
  const level: Level = bucket === null ? "service" : key === null ? "bucket" : "object";
  const query = url.searchParams;
  const base = { level, bucket, key, query, virtualHost };
  if (method === "OPTIONS") return { ...base, op: level === "service" ? "MethodNotAllowed" : "Preflight" };

  let best: Op | undefined;
  let bestScore = -1;
  for (const [name, rule] of RULES) {
    if (rule.method !== method || rule.level !== level) continue;
    if (rule.query && !rule.query.every((q) => query.has(q))) continue;
    if (rule.header && !headers.has(rule.header)) continue;
    const score = (rule.query?.length ?? 0) * 2 + (rule.header ? 1 : 0);
    if (score > bestScore) {
      best = name;
      bestScore = score;
    }
  }
  return { ...base, op: best ?? "MethodNotAllowed" };
}

const RULES = Object.entries(OPERATIONS) as [Op, OperationSpec][];
