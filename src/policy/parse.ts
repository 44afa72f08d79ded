/**
 * Bucket policy documents: JSON text -> a checked Policy (IAM User Guide, "IAM JSON policy
 * element reference"; S3 User Guide, "Bucket policies"):
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-policies.html
 *
 * What is refused, each with MalformedPolicy and a message saying why (AWS's texts where S3 is
 * known to answer them): a document over 20 KB (measured without insignificant whitespace, as
 * S3 measures it), text that is not a JSON object, a member named twice, unknown elements, a
 * Version other than 2012-10-17 / 2008-10-17 (missing: 2008-10-17), a missing or empty
 * Statement, an Effect other than Allow/Deny, a statement without a principal, action or
 * resource (or with both the element and its Not form), an action that is not an S3 action
 * ("Policy has invalid action"), a resource outside the bucket the policy is put on ("Policy has
 * invalid resource"), an action that applies to none of the statement's resources ("Action does
 * not apply to any resource(s) in statement"), an unknown principal form ("Invalid principal in
 * policy"), and conditions with unknown operators or keys or values of the wrong type.
 *
 * Principals: "*" and {"AWS": "*"} are everyone, anonymous callers included. This service's
 * users are named by their canonical user id, as {"CanonicalUser": id}, {"AWS": id} or
 * {"AWS": "arn:aws:iam::<id>:root"} (each user is its own account); whether the ids exist is
 * the caller's check (`principalIds`). {"Service": ...} is accepted and matches no caller.
 */
import { S3Error } from "../errors";
import { kindsOf, type ResourceKind } from "./actions";
import { parseConditionBlock, type Condition } from "./conditions";
import { wildcardMatch } from "./pattern";

export const POLICY_SIZE_LIMIT = 20 * 1024;
export const POLICY_VERSIONS = ["2012-10-17", "2008-10-17"] as const;
export type PolicyVersion = (typeof POLICY_VERSIONS)[number];

/** `any`: "*"; `users`: canonical user ids; `services`: service principals (they match no caller here). */
export type Principals = { any: boolean; users: string[]; services: string[] };

export type Statement = {
  index: number;
  sid?: string;
  effect: "Allow" | "Deny";
  principal?: Principals;
  notPrincipal?: Principals;
  action?: string[];
  notAction?: string[];
  resource?: string[];
  notResource?: string[];
  conditions: Condition[];
};

export type Policy = {
  version: PolicyVersion;
  id?: string;
  statements: Statement[];
  /** every user id the policy names, for the caller to check that each exists */
  principalIds: string[];
};

const S3_ARN_PREFIX = "arn:aws:s3:::";
const TOP_FIELDS = new Set(["Version", "Id", "Statement"]);
const STATEMENT_FIELDS = new Set(["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"]);
const USER_ID = /^[A-Za-z0-9]{1,128}$/;
const ROOT_ARN = /^arn:aws:iam::([A-Za-z0-9]{1,128}):root$/;

/** Refuses a JSON object that names a member twice (JSON.parse would keep the last one silently). */
function checkDuplicateMembers(text: string): void {
  // A small scanner over the already-valid JSON: tracks the member names of each open object.
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      const top = stack[stack.length - 1];
      if (expectKey && top) {
        const name = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.has(name)) throw new S3Error("bucketPolicyDuplicateField", { field: name });
        top.add(name);
        expectKey = false;
      }
      i = j;
    } else if (c === "{") {
      stack.push(new Set());
      expectKey = true;
    } else if (c === "[") {
      stack.push(null);
    } else if (c === "}" || c === "]") {
      stack.pop();
    } else if (c === ",") {
      expectKey = stack[stack.length - 1] !== null && stack[stack.length - 1] !== undefined;
    }
  }
}

const asList = (v: unknown, field: string): string[] => {
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0) throw new S3Error("bucketPolicyListEmpty", { field });
  for (const x of list) if (typeof x !== "string") throw new S3Error("bucketPolicySyntax");
  return list as string[];
};

function parsePrincipals(v: unknown): Principals {
  const out: Principals = { any: false, users: [], services: [] };
  if (v === "*") return { ...out, any: true };
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new S3Error("bucketPolicyPrincipalInvalid");
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length === 0) throw new S3Error("bucketPolicyPrincipalInvalid");
  for (const [kind, raw] of entries) {
    const values = asList(raw, "Principal");
    for (const p of values) {
      if (kind === "AWS") {
        if (p === "*") out.any = true;
        else if (USER_ID.test(p)) out.users.push(p);
        else if (ROOT_ARN.test(p)) out.users.push(ROOT_ARN.exec(p)![1]);
        else throw new S3Error("bucketPolicyPrincipalInvalid");
      } else if (kind === "CanonicalUser") {
        if (!USER_ID.test(p)) throw new S3Error("bucketPolicyPrincipalInvalid");
        out.users.push(p);
      } else if (kind === "Service") {
        out.services.push(p);
      } else throw new S3Error("bucketPolicyPrincipalInvalid");
    }
  }
  return out;
}

function parseActions(v: unknown): string[] {
  const actions = asList(v, "Action");
  for (const a of actions) {
    if (a !== "*" && !/^s3:[A-Za-z0-9*?]+$/i.test(a)) throw new S3Error("bucketPolicyActionInvalid");
    if (kindsOf(a).size === 0) throw new S3Error("bucketPolicyActionInvalid");
  }
  return actions;
}

/** The kinds of resource an S3 ARN pattern can name; throws unless it lies within `bucketName`. */
export function resourceKinds(resource: string, bucketName: string): Set<ResourceKind> {
  if (!resource.startsWith(S3_ARN_PREFIX)) throw new S3Error("bucketPolicyResourceInvalid");
  const rest = resource.slice(S3_ARN_PREFIX.length);
  const slash = rest.indexOf("/");
  const bucketPart = slash < 0 ? rest : rest.slice(0, slash);
  if (bucketPart === "" || !wildcardMatch(bucketPart, bucketName)) throw new S3Error("bucketPolicyResourceInvalid");
  if (slash >= 0) return new Set(["object"]);
  // A `*` in the bucket part also runs over "/key": such a pattern names objects too.
  return new Set(bucketPart.includes("*") ? ["bucket", "object"] : ["bucket"]);
}

function exactlyOne(s: Record<string, unknown>, field: string): void {
  const has = s[field] !== undefined;
  const hasNot = s[`Not${field}`] !== undefined;
  if (has && hasNot) throw new S3Error("bucketPolicyFieldAndNotField", { field });
  if (!has && !hasNot) throw new S3Error("bucketPolicyFieldMissing", { field });
}

function parseStatement(raw: unknown, index: number, bucketName: string): Statement {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new S3Error("bucketPolicySyntax");
  const s = raw as Record<string, unknown>;
  for (const k of Object.keys(s)) if (!STATEMENT_FIELDS.has(k)) throw new S3Error("bucketPolicyUnknownField", { field: k });
  if (s.Sid !== undefined && typeof s.Sid !== "string") throw new S3Error("bucketPolicySyntax");
  if (s.Effect === undefined) throw new S3Error("bucketPolicyFieldMissing", { field: "Effect" });
  if (s.Effect !== "Allow" && s.Effect !== "Deny") throw new S3Error("bucketPolicyEffectInvalid", { effect: String(s.Effect) });
  exactlyOne(s, "Principal");
  exactlyOne(s, "Action");
  exactlyOne(s, "Resource");
  const st: Statement = { index, effect: s.Effect, conditions: [] };
  if (s.Sid !== undefined) st.sid = s.Sid as string;
  if (s.Principal !== undefined) st.principal = parsePrincipals(s.Principal);
  else st.notPrincipal = parsePrincipals(s.NotPrincipal);
  if (s.Action !== undefined) st.action = parseActions(s.Action);
  else st.notAction = parseActions(s.NotAction);
  const resources = asList(s.Resource ?? s.NotResource, "Resource");
  const kinds = new Set<ResourceKind>();
  for (const r of resources) for (const k of resourceKinds(r, bucketName)) kinds.add(k);
  if (s.Resource !== undefined) {
    st.resource = resources;
    for (const a of st.action ?? []) {
      if (![...kindsOf(a)].some((k) => kinds.has(k))) throw new S3Error("bucketPolicyActionResourceMismatch");
    }
  } else st.notResource = resources;
  if (s.Condition !== undefined) st.conditions = parseConditionBlock(s.Condition);
  return st;
}

/** Parses and checks a bucket policy put on `bucketName`; throws MalformedPolicy saying what is wrong. */
export function parsePolicy(text: string, bucketName: string): Policy {
  const trimmed = text.trim();
  if (trimmed === "") throw new S3Error("bucketPolicyNotJsonObject");
  if (!trimmed.startsWith("{")) throw new S3Error("bucketPolicyNotJsonObject");
  let doc: unknown;
  try {
    doc = JSON.parse(trimmed);
  } catch {
    throw new S3Error("bucketPolicyInvalidJson");
  }
  if (new TextEncoder().encode(JSON.stringify(doc)).byteLength > POLICY_SIZE_LIMIT) throw new S3Error("bucketPolicyTooLarge");
  checkDuplicateMembers(trimmed);
  const top = doc as Record<string, unknown>;
  for (const k of Object.keys(top)) if (!TOP_FIELDS.has(k)) throw new S3Error("bucketPolicyUnknownField", { field: k });
  const version = top.Version ?? "2008-10-17";
  if (typeof version !== "string" || !(POLICY_VERSIONS as readonly string[]).includes(version)) {
    throw new S3Error("bucketPolicyVersionInvalid");
  }
  if (top.Id !== undefined && typeof top.Id !== "string") throw new S3Error("bucketPolicySyntax");
  if (top.Statement === undefined) throw new S3Error("bucketPolicyStatementMissing");
  const rawStatements = Array.isArray(top.Statement) ? top.Statement : [top.Statement];
  if (rawStatements.length === 0) throw new S3Error("bucketPolicyStatementEmpty");
  const statements = rawStatements.map((s, i) => parseStatement(s, i, bucketName));
  const sids = statements.map((s) => s.sid).filter((sid): sid is string => !!sid);
  if (new Set(sids).size !== sids.length) throw new S3Error("bucketPolicySidDuplicate");
  const principalIds = [...new Set(statements.flatMap((s) => [...(s.principal?.users ?? []), ...(s.notPrincipal?.users ?? [])]))];
  const policy: Policy = { version: version as PolicyVersion, statements, principalIds };
  if (top.Id !== undefined) policy.id = top.Id as string;
  return policy;
}
