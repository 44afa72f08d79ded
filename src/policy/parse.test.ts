import { describe, expect, it } from "vitest";
import { parsePolicy, POLICY_SIZE_LIMIT } from "./parse";

const BUCKET = "photos";
const ALICE = "a1".repeat(32);
const BOB = "b2".repeat(32);

const statement = (over: Record<string, unknown> = {}) => ({
  Effect: "Allow",
  Principal: "*",
  Action: "s3:GetObject",
  Resource: `arn:aws:s3:::${BUCKET}/*`,
  ...over,
});
const doc = (...statements: unknown[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });

describe("parsePolicy accepts", () => {
  it("a statement as an object or an array, Sid, Id, both versions, and a missing Version as 2008-10-17", () => {
    const one = parsePolicy(JSON.stringify({ Version: "2012-10-17", Id: "p1", Statement: statement({ Sid: "Public" }) }), BUCKET);
    expect(one).toMatchObject({ version: "2012-10-17", id: "p1", statements: [{ index: 0, sid: "Public", effect: "Allow", action: ["s3:GetObject"] }] });
    expect(parsePolicy(JSON.stringify({ Version: "2008-10-17", Statement: [statement(), statement({ Effect: "Deny" })] }), BUCKET).statements).toHaveLength(2);
    expect(parsePolicy(JSON.stringify({ Statement: [statement()] }), BUCKET).version).toBe("2008-10-17");
  });

  it.each<[string, unknown, { any: boolean; users: string[] }]>([
    ['"*"', "*", { any: true, users: [] }],
    ['{"AWS": "*"}', { AWS: "*" }, { any: true, users: [] }],
    ["a canonical id", { CanonicalUser: ALICE }, { any: false, users: [ALICE] }],
    ["an id as AWS", { AWS: ALICE }, { any: false, users: [ALICE] }],
    ["a root ARN", { AWS: [`arn:aws:iam::${ALICE}:root`, BOB] }, { any: false, users: [ALICE, BOB] }],
    ["a service", { Service: "logging.s3.amazonaws.com" }, { any: false, users: [] }],
  ])("principal %s", (_, principal, expected) => {
    const p = parsePolicy(doc(statement({ Principal: principal })), BUCKET);
    expect(p.statements[0].principal).toMatchObject(expected);
    expect(p.principalIds).toEqual(expected.users);
  });

  it("NotPrincipal, NotAction, NotResource and conditions", () => {
    const p = parsePolicy(
      doc({
        Effect: "Deny",
        NotPrincipal: { CanonicalUser: ALICE },
        NotAction: "s3:Get*",
        NotResource: `arn:aws:s3:::${BUCKET}/public/*`,
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      }),
      BUCKET,
    );
    expect(p.statements[0]).toMatchObject({ notPrincipal: { users: [ALICE] }, notAction: ["s3:Get*"], notResource: [`arn:aws:s3:::${BUCKET}/public/*`] });
    expect(p.statements[0].conditions).toMatchObject([{ base: "Bool", key: "aws:securetransport", values: ["false"] }]);
    expect(p.principalIds).toEqual([ALICE]);
  });

  it.each([
    ["s3:*", `arn:aws:s3:::${BUCKET}`],
    ["*", `arn:aws:s3:::${BUCKET}/*`],
    ["s3:ListBucket", `arn:aws:s3:::${BUCKET}`],
    ["S3:LISTBUCKET", `arn:aws:s3:::${BUCKET}`], // actions ignore case
    ["s3:Get*", `arn:aws:s3:::${BUCKET}`],
    ["s3:GetObject", `arn:aws:s3:::${BUCKET}*`], // a `*` in the bucket part also names objects
    ["s3:GetObject", "arn:aws:s3:::pho?os/*"],
    ["s3:GetObject", `arn:aws:s3:::${BUCKET}/home/\${aws:username}/*`],
  ])("action %s on %s", (action, resource) => {
    expect(() => parsePolicy(doc(statement({ Action: action, Resource: resource })), BUCKET)).not.toThrow();
  });

  it("a policy just under 20 KB written compactly, whatever its whitespace", () => {
    const filler = "x".repeat(POLICY_SIZE_LIMIT - 200);
    const text = JSON.stringify({ Version: "2012-10-17", Id: filler, Statement: [statement()] }, null, 8);
    expect(text.length).toBeGreaterThan(POLICY_SIZE_LIMIT - 200);
    expect(() => parsePolicy(text, BUCKET)).not.toThrow();
  });
});

describe("parsePolicy refuses, with MalformedPolicy saying why,", () => {
  it.each<[string, string, string]>([
    ["an empty body", "", "Policies must be valid JSON and the first byte must be '{'"],
    ["a JSON array", "[]", "Policies must be valid JSON and the first byte must be '{'"],
    ["text that is not JSON", "{Version: 1}", "This policy contains invalid Json"],
    ["more than 20 KB", JSON.stringify({ Id: "x".repeat(POLICY_SIZE_LIMIT), Statement: [statement()] }), "Policies must be less than 20 KB"],
    [
      "a member named twice",
      `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::${BUCKET}/*"}]}`,
      "Duplicate field Effect",
    ],
    ["an unknown top-level field", JSON.stringify({ Version: "2012-10-17", Statement: [statement()], Extra: 1 }), "Unknown field Extra"],
    ["a bad version", JSON.stringify({ Version: "2012-10-18", Statement: [statement()] }), "The policy must contain a valid version string"],
    ["no Statement", JSON.stringify({ Version: "2012-10-17" }), "Missing required field Statement"],
    ["an empty Statement", JSON.stringify({ Version: "2012-10-17", Statement: [] }), "Could not parse the policy: Statement is empty!"],
    ["a statement that is not an object", doc("Allow"), "Invalid policy syntax."],
    ["an unknown statement field", doc(statement({ Effects: "Allow" })), "Unknown field Effects"],
    ["no Effect", doc(statement({ Effect: undefined })), "Missing required field Effect"],
    ["a bad Effect", doc(statement({ Effect: "allow" })), "Invalid effect: allow"],
    ["no principal", doc(statement({ Principal: undefined })), "Missing required field Principal"],
    ["Principal and NotPrincipal", doc(statement({ NotPrincipal: "*" })), "Statement cannot have both Principal and NotPrincipal"],
    ["no action", doc(statement({ Action: undefined })), "Missing required field Action"],
    ["Action and NotAction", doc(statement({ NotAction: "s3:PutObject" })), "Statement cannot have both Action and NotAction"],
    ["no resource", doc(statement({ Resource: undefined })), "Missing required field Resource"],
    ["a non-S3 action", doc(statement({ Action: "ec2:RunInstances" })), "Policy has invalid action"],
    ["an unknown S3 action", doc(statement({ Action: "s3:GetObjects" })), "Policy has invalid action"],
    ["a pattern naming no action", doc(statement({ Action: "s3:Frob*" })), "Policy has invalid action"],
    ["an empty action list", doc(statement({ Action: [] })), "Action must not be empty"],
    [
      "an object action on the bucket",
      doc(statement({ Action: "s3:PutObject", Resource: `arn:aws:s3:::${BUCKET}` })),
      "Action does not apply to any resource(s) in statement",
    ],
    [
      "a bucket action on objects",
      doc(statement({ Action: ["s3:GetObject", "s3:ListBucket"], Resource: `arn:aws:s3:::${BUCKET}/*` })),
      "Action does not apply to any resource(s) in statement",
    ],
    ["an account action", doc(statement({ Action: "s3:ListAllMyBuckets" })), "Action does not apply to any resource(s) in statement"],
    ["another bucket", doc(statement({ Resource: "arn:aws:s3:::other/*" })), "Policy has invalid resource"],
    ["a bucket name prefix", doc(statement({ Resource: `arn:aws:s3:::${BUCKET}x/*` })), "Policy has invalid resource"],
    ["the * resource", doc(statement({ Resource: "*" })), "Policy has invalid resource"],
    ["a non-S3 ARN", doc(statement({ Resource: `arn:aws:sqs:::${BUCKET}` })), "Policy has invalid resource"],
    ["an empty bucket part", doc(statement({ Resource: "arn:aws:s3:::/x" })), "Policy has invalid resource"],
    ["an IAM user principal", doc(statement({ Principal: { AWS: `arn:aws:iam::${ALICE}:user/alice` } })), "Invalid principal in policy"],
    ["an unknown principal kind", doc(statement({ Principal: { Federated: "cognito-identity.amazonaws.com" } })), "Invalid principal in policy"],
    ["a principal string other than *", doc(statement({ Principal: ALICE })), "Invalid principal in policy"],
    ["an empty principal object", doc(statement({ Principal: {} })), "Invalid principal in policy"],
    ["a wildcard inside a principal", doc(statement({ Principal: { AWS: "arn:aws:iam::*:root" } })), "Invalid principal in policy"],
    ["a number as an action", doc(statement({ Action: 5 })), "Invalid policy syntax."],
    ["a duplicate Sid", doc(statement({ Sid: "a" }), statement({ Sid: "a" })), "Statement IDs (SID) in a single policy must be unique"],
    ["a bad condition", doc(statement({ Condition: { StringEquals: { "s3:nokey": "x" } } })), "Policy has an invalid condition key"],
  ])("%s", (_, text, message) => {
    expect(() => parsePolicy(text, BUCKET)).toThrowError(expect.objectContaining({ code: "MalformedPolicy", status: 400, message }));
  });
});
