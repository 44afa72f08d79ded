/**
 * Bucket CORS as a model: validation of a configuration, rule matching, and the headers S3
 * answers for preflight (OPTIONS) and actual requests. Pure; the XML shape is xml/cors.ts.
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketCors.html
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/RESTOPTIONSobject.html
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html
 *
 * S3 behaviour kept here: the first rule whose origin, method (and, for a preflight, every
 * requested header) match wins; `AllowedOrigin` and `AllowedHeader` may hold one `*` wildcard;
 * origins compare case-sensitively, headers case-insensitively; a rule allowing the literal
 * origin `*` answers `Access-Control-Allow-Origin: *` without credentials, any other match echoes
 * the origin with `Access-Control-Allow-Credentials: true`.
 */
import { S3Error } from "../errors";

export type CorsRule = {
  id?: string;
  allowedOrigins: string[];
  allowedMethods: string[];
  allowedHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds?: number;
};

export const CORS_METHODS = ["GET", "PUT", "POST", "DELETE", "HEAD"] as const;
export const MAX_CORS_RULES = 100;
export const CORS_VARY = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";

/** Refuses what PutBucketCors refuses: MalformedXML for the structure, InvalidRequest for values. */
export function validateCorsRules(rules: CorsRule[]): CorsRule[] {
  if (rules.length === 0 || rules.length > MAX_CORS_RULES) throw new S3Error("MalformedXML");
  for (const r of rules) if (r.allowedOrigins.length === 0 || r.allowedMethods.length === 0) throw new S3Error("MalformedXML");
  for (const r of rules) {
    const method = r.allowedMethods.find((m) => !(CORS_METHODS as readonly string[]).includes(m));
    if (method !== undefined) throw new S3Error("corsMethodUnsupported", { method });
    const origin = r.allowedOrigins.find((o) => wildcards(o) > 1);
    if (origin !== undefined) throw new S3Error("corsOriginWildcards", { origin });
    const header = r.allowedHeaders.find((h) => wildcards(h) > 1);
    if (header !== undefined) throw new S3Error("corsHeaderWildcards", { header });
    const expose = r.exposeHeaders.find((h) => h.includes("*"));
    if (expose !== undefined) {
      throw new S3Error("corsExposeWildcard", { header: expose });
    }
  }
  return rules;
}

const wildcards = (s: string) => s.split("*").length - 1;

/** `pattern` with at most one `*` (any run of characters, possibly empty) against `value`. */
function wildcardMatch(pattern: string, value: string): boolean {
  const star = pattern.indexOf("*");
  if (star < 0) return pattern === value;
  const head = pattern.slice(0, star);
  const tail = pattern.slice(star + 1);
  return value.length >= head.length + tail.length && value.startsWith(head) && value.endsWith(tail);
}

export type CorsMatch = { rule: CorsRule; allowOrigin: string };

/**
 * The first rule allowing `origin` and `method` (and every header of a preflight's
 * Access-Control-Request-Headers, when given), with the Access-Control-Allow-Origin to answer.
 */
export function matchCorsRule(rules: CorsRule[], origin: string, method: string, requestHeaders?: string[]): CorsMatch | null {
  for (const rule of rules) {
    if (!rule.allowedMethods.includes(method)) continue;
    if (!rule.allowedOrigins.some((o) => wildcardMatch(o, origin))) continue;
    if (requestHeaders && !requestHeaders.every((h) => rule.allowedHeaders.some((a) => wildcardMatch(a.trim().toLowerCase(), h)))) continue;
    return { rule, allowOrigin: rule.allowedOrigins.includes("*") ? "*" : origin };
  }
  return null;
}

/** Headers of a matched rule, in the order S3 sends them. `allowHeaders` only on preflights. */
function ruleHeaders(match: CorsMatch, allowHeaders?: string[]): Record<string, string> {
  const { rule, allowOrigin } = match;
  const out: Record<string, string> = {
    "Access-Control-Allow-Origin": allowOrigin,
    "Access-Control-Allow-Methods": rule.allowedMethods.join(", "),
  };
  if (allowHeaders && allowHeaders.length > 0) out["Access-Control-Allow-Headers"] = allowHeaders.join(", ");
  if (rule.exposeHeaders.length > 0) out["Access-Control-Expose-Headers"] = rule.exposeHeaders.join(", ");
  if (rule.maxAgeSeconds !== undefined) out["Access-Control-Max-Age"] = String(rule.maxAgeSeconds);
  if (allowOrigin !== "*") out["Access-Control-Allow-Credentials"] = "true";
  out.Vary = CORS_VARY;
  return out;
}

/** Headers for an actual (non-preflight) request from `origin`; empty when no rule matches. */
export function corsResponseHeaders(rules: CorsRule[] | null, origin: string, method: string): Record<string, string> {
  if (!rules || origin === "") return {};
  const match = matchCorsRule(rules, origin, method);
  return match ? ruleHeaders(match) : {};
}

/** Access-Control-Request-Headers as S3 compares them: trimmed, lowercased, empties dropped. */
export function parseRequestHeaderList(value: string | null): string[] {
  if (value === null) return [];
  return value
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== "");
}

/**
 * Answers a preflight. 400 BadRequest when it is not a valid preflight (no Origin, or a method S3
 * does not know); 403 AccessForbidden when the bucket has no CORS configuration or no rule allows it.
 */
export function preflightResponseHeaders(
  rules: CorsRule[] | null,
  request: { get(name: string): string | null },
  resourceType: "BUCKET" | "OBJECT",
): Record<string, string> {
  const origin = request.get("origin");
  if (origin === null || origin === "") throw new S3Error("corsOriginMissing");
  const method = request.get("access-control-request-method");
  if (method === null || !(CORS_METHODS as readonly string[]).includes(method)) {
    throw new S3Error("corsRequestMethodInvalid", { method });
  }
  const details = { Method: method, ResourceType: resourceType };
  if (!rules) throw new S3Error("corsNotEnabled", undefined, details);
  const requested = parseRequestHeaderList(request.get("access-control-request-headers"));
  const match = matchCorsRule(rules, origin, method, requested);
  if (!match) throw new S3Error("AccessForbidden", undefined, details);
  return ruleHeaders(match, requested);
}

/** Stored form (buckets.cors): JSON of the validated rules; null = no configuration. */
export function serializeCors(rules: CorsRule[]): string {
  return JSON.stringify(rules);
}

export function deserializeCors(stored: string | null): CorsRule[] | null {
  if (stored === null) return null;
  try {
    const rules = JSON.parse(stored) as CorsRule[];
    return Array.isArray(rules) ? rules : null;
  } catch {
    return null;
  }
}
