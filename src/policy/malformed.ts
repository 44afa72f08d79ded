/**
 * Why the policy module refuses a policy: each fault is a reason with its message (AWS's own texts
 * where S3 is known to answer them), all answered as 400 MalformedPolicy. The rows have the shape
 * of the error catalogue's reasons (src/errors.ts), so that they can move there unchanged.
 */
export const BUCKET_POLICY_FAULTS = {
  bucketPolicyNotJsonObject: "Policies must be valid JSON and the first byte must be '{'",
  bucketPolicyInvalidJson: "This policy contains invalid Json",
  bucketPolicyTooLarge: "Policies must be less than 20 KB",
  bucketPolicyDuplicateField: (p: { field: string }) => `Duplicate field ${p.field}`,
  bucketPolicyUnknownField: (p: { field: string }) => `Unknown field ${p.field}`,
  bucketPolicyVersionInvalid: "The policy must contain a valid version string",
  bucketPolicyStatementMissing: "Missing required field Statement",
  bucketPolicyStatementEmpty: "Could not parse the policy: Statement is empty!",
  bucketPolicySyntax: "Invalid policy syntax.",
  bucketPolicyFieldMissing: (p: { field: string }) => `Missing required field ${p.field}`,
  bucketPolicyFieldAndNotField: (p: { field: string }) => `Statement cannot have both ${p.field} and Not${p.field}`,
  bucketPolicyEffectInvalid: (p: { effect: string }) => `Invalid effect: ${p.effect}`,
  bucketPolicyListEmpty: (p: { field: string }) => `${p.field} must not be empty`,
  bucketPolicyPrincipalInvalid: "Invalid principal in policy",
  bucketPolicyActionInvalid: "Policy has invalid action",
  bucketPolicyResourceInvalid: "Policy has invalid resource",
  bucketPolicyActionResourceMismatch: "Action does not apply to any resource(s) in statement",
  bucketPolicySidDuplicate: "Statement IDs (SID) in a single policy must be unique",
  bucketPolicyConditionOperatorInvalid: (p: { operator: string }) => `Invalid Condition type : ${p.operator}`,
  bucketPolicyConditionKeyInvalid: "Policy has an invalid condition key",
  bucketPolicyConditionNoKeys: (p: { operator: string }) => `Condition operator ${p.operator} names no condition key`,
  bucketPolicyConditionNoValues: (p: { key: string }) => `Condition key ${p.key} has no value`,
  bucketPolicyConditionValueInvalid: (p: { operator: string; value: string }) => `Invalid value "${p.value}" for condition operator ${p.operator}`,
} as const;

type Faults = typeof BUCKET_POLICY_FAULTS;
export type PolicyFault = keyof Faults;
type ParamsOf<F extends PolicyFault> = Faults[F] extends (p: infer P) => string ? [params: P] : [];

export class MalformedPolicy extends Error {
  constructor(
    readonly reason: PolicyFault,
    message: string,
  ) {
    super(message);
    this.name = "MalformedPolicy";
  }
}

export function malformedPolicy<F extends PolicyFault>(reason: F, ...[params]: ParamsOf<F>): MalformedPolicy {
  const row = BUCKET_POLICY_FAULTS[reason] as string | ((p: unknown) => string);
  return new MalformedPolicy(reason, typeof row === "string" ? row : row(params));
}
