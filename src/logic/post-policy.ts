/**
 * The POST policy of a browser form upload: decoding and condition checks (pure).
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html
 *
 * - `{"field": "v"}` and `["eq", "$field", "v"]` match exactly; `["starts-with", "$field", "p"]`
 *   matches a prefix ("" allows anything; for Content-Type each comma-separated value must match);
 *   `["content-length-range", min, max]` bounds the file size (EntityTooSmall / EntityTooLarge).
 * - Field names are case-insensitive; `$bucket` is the request's bucket and `$key` the key after
 *   `${filename}` is substituted.
 * - Every form field except x-amz-signature, file, policy, x-ignore-* (and the SigV2 pair
 *   AWSAccessKeyId/signature) must be covered by a condition: "Extra input fields".
 * A failed check is 403 AccessDenied "Invalid according to Policy: ..."; a document that cannot be
 * read is 400 InvalidPolicyDocument.
 */
import { S3Error } from "../errors";
import { fromBase64 } from "./encoding";

export type PolicyCondition = { op: "eq" | "starts-with"; field: string; value: string } | { op: "content-length-range"; min: number; max: number };

export type PostPolicy = { expiration: number; conditions: PolicyCondition[] };

function decodeBase64Utf8(b64: string): string | null {
  if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(b64)) return null;
  const bytes = fromBase64(b64.replace(/\s+/g, ""));
  if (!bytes) return null;
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return null;
  }
}

function parseCondition(c: unknown): PolicyCondition {
  const bad = () => new S3Error("policyConditionInvalid", { condition: JSON.stringify(c) });
  if (Array.isArray(c)) {
    const op = typeof c[0] === "string" ? c[0].toLowerCase() : "";
    if (op === "content-length-range") {
      const [min, max] = [Number(c[1]), Number(c[2])];
      if (c.length !== 3 || !Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max < min) throw bad();
      return { op, min, max };
    }
    if ((op === "eq" || op === "starts-with") && c.length === 3 && typeof c[1] === "string" && c[1].startsWith("$") && typeof c[2] === "string") {
      return { op, field: c[1].slice(1).toLowerCase(), value: c[2] };
    }
    throw bad();
  }
  if (c !== null && typeof c === "object") {
    const entries = Object.entries(c as Record<string, unknown>);
    if (entries.length === 1 && typeof entries[0]![1] === "string") return { op: "eq", field: entries[0]![0].toLowerCase(), value: entries[0]![1] as string };
  }
  throw bad();
}

/** The base64 `policy` field as a policy; InvalidPolicyDocument when it cannot be read. */
export function decodePostPolicy(policyBase64: string): PostPolicy {
  const text = decodeBase64Utf8(policyBase64);
  let doc: unknown;
  try {
    doc = text === null ? undefined : JSON.parse(text);
  } catch {
    doc = undefined;
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) throw new S3Error("policyInvalidJson");
  const { expiration, conditions } = doc as { expiration?: unknown; conditions?: unknown };
  if (expiration === undefined) throw new S3Error("policyExpirationMissing");
  const expiresAt = typeof expiration === "string" && /^\d{4}-\d{2}-\d{2}T/.test(expiration) ? Date.parse(expiration) : NaN;
  if (Number.isNaN(expiresAt)) throw new S3Error("policyExpirationInvalid", { expiration: String(expiration) });
  if (conditions === undefined) throw new S3Error("policyConditionsMissing");
  if (!Array.isArray(conditions)) throw new S3Error("policyConditionsNotList");
  return { expiration: expiresAt, conditions: conditions.map(parseCondition) };
}

/** Fields the policy never needs to mention. */
export function isExemptField(lowerName: string): boolean {
  return ["x-amz-signature", "file", "policy", "awsaccesskeyid", "signature"].includes(lowerName) || lowerName.startsWith("x-ignore-");
}

/** A condition as S3 prints it in "Policy Condition failed". */
function show(c: PolicyCondition): string {
  return c.op === "content-length-range" ? `["content-length-range", ${c.min}, ${c.max}]` : `["${c.op}", "$${c.field}", ${JSON.stringify(c.value)}]`;
}

function matches(c: Extract<PolicyCondition, { field: string }>, value: string): boolean {
  if (c.op === "eq") return value === c.value;
  if (c.field === "content-type") return value.split(",").every((v) => v.trim().startsWith(c.value));
  return value.startsWith(c.value);
}

export type PostRequestFacts = {
  now: number;
  bucket: string;
  /** the object key, ${filename} already substituted */
  key: string;
  /** form fields by lowercased name */
  fields: Map<string, string>;
  fileLength: number;
};

/** Throws the error S3 answers when the form does not satisfy its policy. */
export function checkPostPolicy(policy: PostPolicy, req: PostRequestFacts): void {
  if (req.now > policy.expiration) throw new S3Error("policyExpired");
  const covered = new Set<string>();
  for (const c of policy.conditions) {
    if (c.op === "content-length-range") {
      if (req.fileLength < c.min) throw new S3Error("EntityTooSmall", undefined, { ProposedSize: req.fileLength, MinSizeAllowed: c.min });
      if (req.fileLength > c.max) throw new S3Error("entityTooLarge", { size: req.fileLength, max: c.max, limit: "the policy's content-length-range maximum" });
      continue;
    }
    covered.add(c.field);
    const value = c.field === "bucket" ? req.bucket : c.field === "key" ? req.key : (req.fields.get(c.field) ?? "");
    if (!matches(c, value)) throw new S3Error("policyConditionFailed", { condition: show(c) });
  }
  const extra = [...req.fields.keys()].filter((name) => !isExemptField(name) && !covered.has(name));
  if (extra.length > 0) throw new S3Error("policyExtraFields", { fields: extra });
}
