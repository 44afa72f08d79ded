/**
 * Evaluating a bucket policy for one request (IAM User Guide, "Policy evaluation logic"):
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 * A statement applies when its principal, action, resource and every condition match; an
 * applying Deny decides "deny" whatever else applies, else an applying Allow decides "allow",
 * else the policy says nothing ("none") and the ACLs decide (src/authz.ts combines them).
 */
import { actionMatches } from "./actions";
import { conditionsHold, normalizeKey, type ConditionValues } from "./conditions";
import type { Policy, Principals, Statement } from "./parse";
import { wildcardMatch, type VariableLookup } from "./pattern";

/** Who is asking: a user by canonical id, or an unsigned request. */
export type Caller = { kind: "anonymous" } | { kind: "user"; id: string };

export type RequestFacts = {
  /** the IAM action, e.g. "s3:GetObject" (src/operations.ts) */
  action: string;
  /** arn:aws:s3:::bucket or arn:aws:s3:::bucket/key */
  resource: string;
  caller: Caller;
  /** condition keys and their values, names normalized (normalizeKey) */
  values: ConditionValues;
};

export type Decision = {
  effect: "allow" | "deny" | "none";
  /** the deciding statement: its position in the policy and its Sid */
  statement?: { index: number; sid?: string };
};

function principalMatches(p: Principals, caller: Caller): boolean {
  if (p.any) return true;
  return caller.kind === "user" && p.users.includes(caller.id);
}

/** The request's single value of a key, for policy variables. */
export function variableLookup(values: ConditionValues): VariableLookup {
  return (key) => {
    const v = values.get(normalizeKey(key));
    if (typeof v === "string") return v;
    return v !== undefined && v.length === 1 ? v[0] : undefined;
  };
}

export function statementApplies(s: Statement, facts: RequestFacts, lookup: VariableLookup | null): boolean {
  if (s.principal && !principalMatches(s.principal, facts.caller)) return false;
  if (s.notPrincipal && principalMatches(s.notPrincipal, facts.caller)) return false;
  if (s.action && !s.action.some((a) => actionMatches(a, facts.action))) return false;
  if (s.notAction?.some((a) => actionMatches(a, facts.action))) return false;
  const resourceMatches = (r: string) => wildcardMatch(r, facts.resource, { lookup });
  if (s.resource && !s.resource.some(resourceMatches)) return false;
  if (s.notResource?.some(resourceMatches)) return false;
  return conditionsHold(s.conditions, facts.values, lookup);
}

/**
 * The policy's decision for the request. `ignoreAllows` drops every Allow (Block Public
 * Access's RestrictPublicBuckets for a caller outside the owner's account); Denies still apply.
 */
export function evaluatePolicy(policy: Policy, facts: RequestFacts, opts: { ignoreAllows?: boolean } = {}): Decision {
  const lookup = policy.version === "2012-10-17" ? variableLookup(facts.values) : null;
  let allow: Statement | undefined;
  for (const s of policy.statements) {
    if (s.effect === "Allow" && (allow || opts.ignoreAllows)) continue;
    if (!statementApplies(s, facts, lookup)) continue;
    if (s.effect === "Deny") return { effect: "deny", statement: { index: s.index, sid: s.sid } };
    allow = s;
  }
  return allow ? { effect: "allow", statement: { index: allow.index, sid: allow.sid } } : { effect: "none" };
}
