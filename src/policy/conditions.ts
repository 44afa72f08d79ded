/**
 * The Condition element (IAM User Guide, "IAM JSON policy elements: Condition operators" and
 * "Multivalued context keys"; Amazon S3 condition keys in the Service Authorization Reference):
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
 *   https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html#amazons3-policy-keys
 *
 * Rules: operators in one block, and keys under one operator, must all hold (AND); the values
 * of one key are alternatives (OR), and under a negated operator (StringNotEquals, NotIpAddress,
 * ...) the request's value must match none of them. A key the request does not carry fails a
 * positive operator and satisfies a negated one; `...IfExists` makes a missing key satisfy any
 * operator; `Null` tests presence. `ForAnyValue:` holds when some request value matches (false
 * for a missing or empty set), `ForAllValues:` when every one does (true for a missing set).
 */
import { S3Error } from "../errors";
import { cidrContains, parseCidr, parseIp } from "./ip";
import { substitute, wildcardMatch, type VariableLookup } from "./pattern";

type ValueType = "string" | "numeric" | "date" | "bool" | "binary" | "ip" | "arn" | "null";

type OperatorSpec = {
  type: ValueType;
  /** the positive operator this one negates */
  negates?: string;
  test?: (request: string, policy: string, lookup: VariableLookup | null) => boolean;
};

const num = (s: string): number | null => (/^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/.test(s) ? Number(s) : null);

/** A date as IAM reads one: ISO 8601 (a day, or a time with its zone) or Unix epoch seconds. */
export function parseDate(s: string): number | null {
  const t = s.trim();
  if (/^-?\d+$/.test(t)) return Number(t) * 1000;
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i.test(t)) return null;
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(t) ? `${t}T00:00:00Z` : /(Z|[+-]\d{2}:?\d{2})$/i.test(t) ? t : `${t}Z`);
  return Number.isNaN(ms) ? null : ms;
}

const compareWith =
  <T>(parse: (s: string) => T | null, cmp: (a: T, b: T) => boolean) =>
  (request: string, policy: string) => {
    const a = parse(request);
    const b = parse(policy);
    return a !== null && b !== null && cmp(a, b);
  };

const numeric = (cmp: (a: number, b: number) => boolean) => compareWith(num, cmp);
const date = (cmp: (a: number, b: number) => boolean) => compareWith(parseDate, cmp);

/** ArnLike/ArnEquals: each of the six colon-separated parts is compared on its own, with wildcards. */
function arnLike(request: string, policy: string, lookup: VariableLookup | null): boolean {
  const split = (arn: string) => {
    const parts = arn.split(":");
    return parts.length < 6 ? null : [...parts.slice(0, 5), parts.slice(5).join(":")];
  };
  const r = split(request);
  const p = split(policy);
  if (r === null || p === null) return false;
  return p.every((part, i) => wildcardMatch(part, r[i], { lookup }));
}

function ipIn(request: string, policy: string): boolean {
  const ip = parseIp(request);
  const block = parseCidr(policy);
  return ip !== null && block !== null && cidrContains(block, ip);
}

const OPERATORS: Record<string, OperatorSpec> = {
  StringEquals: { type: "string", test: (r, p, l) => substitute(p, l) === r },
  StringNotEquals: { type: "string", negates: "StringEquals" },
  StringEqualsIgnoreCase: { type: "string", test: (r, p, l) => substitute(p, l)?.toLowerCase() === r.toLowerCase() },
  StringNotEqualsIgnoreCase: { type: "string", negates: "StringEqualsIgnoreCase" },
  StringLike: { type: "string", test: (r, p, l) => wildcardMatch(p, r, { lookup: l }) },
  StringNotLike: { type: "string", negates: "StringLike" },
  NumericEquals: { type: "numeric", test: numeric((a, b) => a === b) },
  NumericNotEquals: { type: "numeric", negates: "NumericEquals" },
  NumericLessThan: { type: "numeric", test: numeric((a, b) => a < b) },
  NumericLessThanEquals: { type: "numeric", test: numeric((a, b) => a <= b) },
  NumericGreaterThan: { type: "numeric", test: numeric((a, b) => a > b) },
  NumericGreaterThanEquals: { type: "numeric", test: numeric((a, b) => a >= b) },
  DateEquals: { type: "date", test: date((a, b) => a === b) },
  DateNotEquals: { type: "date", negates: "DateEquals" },
  DateLessThan: { type: "date", test: date((a, b) => a < b) },
  DateLessThanEquals: { type: "date", test: date((a, b) => a <= b) },
  DateGreaterThan: { type: "date", test: date((a, b) => a > b) },
  DateGreaterThanEquals: { type: "date", test: date((a, b) => a >= b) },
  Bool: { type: "bool", test: (r, p) => r.toLowerCase() === p.toLowerCase() },
  BinaryEquals: { type: "binary", test: (r, p) => r === p },
  IpAddress: { type: "ip", test: ipIn },
  NotIpAddress: { type: "ip", negates: "IpAddress" },
  ArnEquals: { type: "arn", test: arnLike },
  ArnLike: { type: "arn", test: arnLike },
  ArnNotEquals: { type: "arn", negates: "ArnEquals" },
  ArnNotLike: { type: "arn", negates: "ArnLike" },
  Null: { type: "null" },
};

export const OPERATOR_NAMES: readonly string[] = Object.keys(OPERATORS);

// ------------------------------------------------------------------ condition keys

/**
 * The S3 condition keys this service knows (lower-case; a trailing "/" takes any tag key after
 * it). Global `aws:` keys are all accepted, as AWS keeps adding them; the ones this service
 * fills in are listed in docs/policies.md.
 */
const S3_KEYS = new Set([
  "s3:prefix",
  "s3:delimiter",
  "s3:max-keys",
  "s3:x-amz-acl",
  "s3:x-amz-grant-read",
  "s3:x-amz-grant-write",
  "s3:x-amz-grant-read-acp",
  "s3:x-amz-grant-write-acp",
  "s3:x-amz-grant-full-control",
  "s3:x-amz-copy-source",
  "s3:x-amz-metadata-directive",
  "s3:x-amz-server-side-encryption",
  "s3:x-amz-server-side-encryption-aws-kms-key-id",
  "s3:x-amz-server-side-encryption-customer-algorithm",
  "s3:x-amz-storage-class",
  "s3:x-amz-website-redirect-location",
  "s3:x-amz-content-sha256",
  "s3:requestobjecttagkeys",
  "s3:versionid",
  "s3:signatureversion",
  "s3:signatureage",
  "s3:authtype",
  "s3:tlsversion",
  "s3:x-amz-object-ownership",
  "s3:locationconstraint",
  "s3:object-lock-mode",
  "s3:object-lock-retain-until-date",
  "s3:object-lock-remaining-retention-days",
  "s3:object-lock-legal-hold",
  "s3:resourceaccount",
  "s3:dataaccesspointarn",
  "s3:dataaccesspointaccount",
  "s3:accesspointnetworkorigin",
  "s3:if-match",
  "s3:if-none-match",
  "s3:objectcreationoperation",
  "s3:bucketobjectlockenabled",
]);
const S3_TAG_KEYS = ["s3:existingobjecttag/", "s3:requestobjecttag/"];

/** A condition key's canonical form: its name compared without regard to case, a tag key after "/" as written. */
export function normalizeKey(key: string): string {
  const slash = key.indexOf("/");
  return slash < 0 ? key.toLowerCase() : key.slice(0, slash).toLowerCase() + key.slice(slash);
}

export function isKnownKey(key: string): boolean {
  const k = normalizeKey(key);
  if (/^aws:[a-z0-9-]+(\/.+)?$/i.test(k)) return true;
  if (S3_KEYS.has(k)) return true;
  return S3_TAG_KEYS.some((p) => k.startsWith(p) && k.length > p.length);
}

// ------------------------------------------------------------------ parsing

export type Condition = {
  /** as written, e.g. "ForAnyValue:StringLikeIfExists" */
  operator: string;
  base: string;
  set: "ForAnyValue" | "ForAllValues" | null;
  ifExists: boolean;
  /** normalized (normalizeKey) */
  key: string;
  values: string[];
};

export function splitOperator(operator: string): { base: string; set: Condition["set"]; ifExists: boolean } | null {
  let rest = operator;
  let set: Condition["set"] = null;
  const m = /^(ForAnyValue|ForAllValues):(.*)$/.exec(rest);
  if (m) {
    set = m[1] as Condition["set"];
    rest = m[2];
  }
  let ifExists = false;
  if (rest.endsWith("IfExists") && rest !== "IfExists") {
    ifExists = true;
    rest = rest.slice(0, -"IfExists".length);
  }
  if (!Object.hasOwn(OPERATORS, rest)) return null;
  if (rest === "Null" && (ifExists || set !== null)) return null;
  return { base: rest, set, ifExists };
}

function checkValue(type: ValueType, operator: string, value: string): void {
  const bad = () => new S3Error("bucketPolicyConditionValueInvalid", { operator, value });
  switch (type) {
    case "numeric":
      if (num(value) === null) throw bad();
      return;
    case "date":
      if (parseDate(value) === null) throw bad();
      return;
    case "bool":
    case "null":
      if (!/^(true|false)$/i.test(value)) throw bad();
      return;
    case "ip":
      if (parseCidr(value) === null) throw bad();
      return;
    default:
      return;
  }
}

/** One Condition block: `{ "Operator": { "key": value | [values] } }`, checked. */
export function parseConditionBlock(block: unknown): Condition[] {
  if (block === null || typeof block !== "object" || Array.isArray(block)) throw new S3Error("bucketPolicySyntax");
  const out: Condition[] = [];
  for (const [operator, keys] of Object.entries(block as Record<string, unknown>)) {
    const parts = splitOperator(operator);
    if (!parts) throw new S3Error("bucketPolicyConditionOperatorInvalid", { operator });
    if (keys === null || typeof keys !== "object" || Array.isArray(keys)) throw new S3Error("bucketPolicySyntax");
    const entries = Object.entries(keys as Record<string, unknown>);
    if (entries.length === 0) throw new S3Error("bucketPolicyConditionNoKeys", { operator });
    for (const [key, raw] of entries) {
      if (!isKnownKey(key)) throw new S3Error("bucketPolicyConditionKeyInvalid");
      const list = Array.isArray(raw) ? raw : [raw];
      if (list.length === 0) throw new S3Error("bucketPolicyConditionNoValues", { key });
      const values = list.map((v) => {
        if (typeof v === "string") return v;
        if (typeof v === "number" || typeof v === "boolean") return String(v);
        throw new S3Error("bucketPolicySyntax");
      });
      for (const v of values) checkValue(OPERATORS[parts.base].type, operator, v);
      out.push({ operator, ...parts, key: normalizeKey(key), values });
    }
  }
  return out;
}

// ------------------------------------------------------------------ evaluation

/** The request's condition keys (normalized names): one value, or a set for multivalued keys. */
export type ConditionValues = ReadonlyMap<string, string | readonly string[]>;

function requestValues(values: ConditionValues, key: string): readonly string[] | undefined {
  const v = values.get(key);
  if (v === undefined) return undefined;
  return typeof v === "string" ? [v] : v;
}

/** Whether one condition holds for the request. `lookup` resolves policy variables (null: none, 2008-10-17). */
export function conditionHolds(c: Condition, values: ConditionValues, lookup: VariableLookup | null): boolean {
  const got = requestValues(values, c.key);
  if (c.base === "Null") {
    const absent = got === undefined || got.length === 0;
    return c.values.some((v) => (v.toLowerCase() === "true") === absent);
  }
  const spec = OPERATORS[c.base];
  const negated = spec.negates !== undefined;
  const test = OPERATORS[spec.negates ?? c.base].test!;
  const matchesAny = (r: string) => c.values.some((p) => test(r, p, lookup));
  const satisfies = (r: string) => (negated ? !matchesAny(r) : matchesAny(r));
  if (c.set === "ForAllValues") return got === undefined || got.every(satisfies);
  if (got === undefined || got.length === 0) {
    if (c.ifExists) return true;
    return c.set === null && negated;
  }
  if (c.set === "ForAnyValue") return got.some(satisfies);
  return negated ? !got.some(matchesAny) : got.some(matchesAny);
}

export function conditionsHold(conditions: readonly Condition[], values: ConditionValues, lookup: VariableLookup | null): boolean {
  return conditions.every((c) => conditionHolds(c, values, lookup));
}
