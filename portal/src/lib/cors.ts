/**
 * CORS rules as the editor holds them, and the checks S3 applies to PutBucketCors
 * (S3 User Guide, "CORS configuration"): each rule needs an origin and a method, methods are
 * GET/PUT/POST/DELETE/HEAD, an origin or allowed header holds at most one "*", at most 100 rules.
 */
export type CorsRule = {
  id?: string;
  allowedOrigins: string[];
  allowedMethods: string[];
  allowedHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds?: number;
};

export const CORS_METHODS = ["GET", "PUT", "POST", "DELETE", "HEAD"];
export const MAX_CORS_RULES = 100;

/** Every problem with `rules`, as sentences naming the rule (1-based); empty when S3 would accept them. */
export function corsProblems(rules: CorsRule[]): string[] {
  const problems: string[] = [];
  if (rules.length === 0) problems.push("Add at least one rule (or delete the CORS configuration).");
  if (rules.length > MAX_CORS_RULES) problems.push(`At most ${MAX_CORS_RULES} rules are allowed (there are ${rules.length}).`);
  rules.forEach((r, i) => {
    const n = `Rule ${i + 1}`;
    if (r.allowedOrigins.length === 0) problems.push(`${n}: give at least one allowed origin.`);
    if (r.allowedMethods.length === 0) problems.push(`${n}: choose at least one allowed method.`);
    for (const m of r.allowedMethods) if (!CORS_METHODS.includes(m)) problems.push(`${n}: "${m}" is not a method S3 allows (${CORS_METHODS.join(", ")}).`);
    for (const o of r.allowedOrigins) if (o.split("*").length > 2) problems.push(`${n}: the origin "${o}" has more than one "*".`);
    for (const h of r.allowedHeaders) if (h.split("*").length > 2) problems.push(`${n}: the allowed header "${h}" has more than one "*".`);
    for (const h of r.exposeHeaders) if (h.includes("*")) problems.push(`${n}: an exposed header cannot contain "*" ("${h}").`);
    if (r.maxAgeSeconds !== undefined && (!Number.isInteger(r.maxAgeSeconds) || r.maxAgeSeconds < 0))
      problems.push(`${n}: max age must be a whole number of seconds, 0 or more.`);
    if (r.id && r.id.length > 255) problems.push(`${n}: the ID is longer than 255 characters.`);
  });
  return problems;
}

/** One value per line or comma, trimmed, empty ones dropped (how the editor's text fields read). */
export function splitList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
}
