/**
 * Policy evaluation, table-driven: (policy, request) -> decision and the deciding statement.
 * The policies are AWS's published examples (S3 User Guide, "Examples of Amazon S3 bucket
 * policies"), with the account ids replaced by this service's canonical user ids.
 */
import { describe, expect, it } from "vitest";
import { normalizeKey } from "./conditions";
import { evaluatePolicy, type Caller, type Decision } from "./evaluate";
import { parsePolicy } from "./parse";

const B = "amzn-s3-demo-bucket";
const OWNER = "0a".repeat(32);
const ALICE = "a1".repeat(32);
const BOB = "b2".repeat(32);
const anon: Caller = { kind: "anonymous" };
const user = (id: string): Caller => ({ kind: "user", id });

type Req = { action: string; key?: string; caller: Caller; values?: Record<string, string | string[]> };
const policyOf = (statements: unknown[], version = "2012-10-17") => parsePolicy(JSON.stringify({ Version: version, Statement: statements }), B);
function decide(statements: unknown[], req: Req, version?: string): Decision {
  const values = new Map(Object.entries(req.values ?? {}).map(([k, v]) => [normalizeKey(k), v]));
  const resource = req.key === undefined ? `arn:aws:s3:::${B}` : `arn:aws:s3:::${B}/${req.key}`;
  return evaluatePolicy(policyOf(statements, version), { action: req.action, resource, caller: req.caller, values });
}

// AWS examples
const ipAllowList = [
  {
    Sid: "IPAllow",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [`arn:aws:s3:::${B}`, `arn:aws:s3:::${B}/*`],
    Condition: { NotIpAddress: { "aws:SourceIp": ["192.0.2.0/24", "2001:db8::/32"] } },
  },
  { Sid: "Owner", Effect: "Allow", Principal: { AWS: ALICE }, Action: "s3:*", Resource: [`arn:aws:s3:::${B}`, `arn:aws:s3:::${B}/*`] },
];
const publicPrefix = [
  { Sid: "PublicRead", Effect: "Allow", Principal: "*", Action: ["s3:GetObject", "s3:GetObjectVersion"], Resource: `arn:aws:s3:::${B}/public/*` },
];
const httpsOnly = [
  {
    Sid: "RestrictToTLSRequestsOnly",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [`arn:aws:s3:::${B}`, `arn:aws:s3:::${B}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  },
  { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${B}/*` },
];
const crossAccount = [
  {
    Sid: "CrossAccountRead",
    Effect: "Allow",
    Principal: { AWS: `arn:aws:iam::${BOB}:root` },
    Action: ["s3:GetObject", "s3:ListBucket"],
    Resource: [`arn:aws:s3:::${B}`, `arn:aws:s3:::${B}/*`],
  },
];
const tagBased = [
  {
    Sid: "ReadTagged",
    Effect: "Allow",
    Principal: { AWS: ALICE },
    Action: "s3:GetObject",
    Resource: `arn:aws:s3:::${B}/*`,
    Condition: { StringEquals: { "s3:ExistingObjectTag/environment": "production" } },
  },
  {
    Sid: "PutOnlyAllowedTags",
    Effect: "Allow",
    Principal: { AWS: ALICE },
    Action: "s3:PutObject",
    Resource: `arn:aws:s3:::${B}/*`,
    Condition: {
      "ForAllValues:StringEquals": { "s3:RequestObjectTagKeys": ["Owner", "CreationDate"] },
      StringEquals: { "s3:RequestObjectTag/Owner": "alice" },
    },
  },
];
const homeDirs = [
  {
    Sid: "List",
    Effect: "Allow",
    Principal: "*",
    Action: "s3:ListBucket",
    Resource: `arn:aws:s3:::${B}`,
    Condition: { StringLike: { "s3:prefix": ["home/${aws:username}/*"] } },
  },
  { Sid: "Objects", Effect: "Allow", Principal: "*", Action: "s3:*Object", Resource: `arn:aws:s3:::${B}/home/\${aws:username}/*` },
];
const requireSse = [
  {
    Sid: "DenyUnencrypted",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:PutObject",
    Resource: `arn:aws:s3:::${B}/*`,
    Condition: { Null: { "s3:x-amz-server-side-encryption": "true" } },
  },
];
const notPrincipal = [{ Sid: "OnlyAlice", Effect: "Deny", NotPrincipal: { AWS: ALICE }, Action: "s3:DeleteObject", Resource: `arn:aws:s3:::${B}/*` }];
const notAction = [
  { Sid: "ReadOnlyForBob", Effect: "Deny", Principal: { CanonicalUser: BOB }, NotAction: ["s3:Get*", "s3:List*"], NotResource: `arn:aws:s3:::${B}/scratch/*` },
];
const mfaLike = [
  {
    Sid: "NoDeleteBeforeDate",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:DeleteObject",
    Resource: `arn:aws:s3:::${B}/*`,
    Condition: { DateLessThan: { "aws:CurrentTime": "2027-01-01T00:00:00Z" } },
  },
];

describe("evaluatePolicy", () => {
  it.each<[string, unknown[], Req, Decision["effect"], string | undefined]>([
    [
      "IP allow-list: inside the block",
      ipAllowList,
      { action: "s3:GetObject", key: "k", caller: user(ALICE), values: { "aws:SourceIp": "192.0.2.10" } },
      "allow",
      "Owner",
    ],
    ["IP allow-list: IPv6 inside", ipAllowList, { action: "s3:ListBucket", caller: user(ALICE), values: { "aws:SourceIp": "2001:db8::9" } }, "allow", "Owner"],
    [
      "IP allow-list: outside the block",
      ipAllowList,
      { action: "s3:GetObject", key: "k", caller: user(ALICE), values: { "aws:SourceIp": "198.51.100.1" } },
      "deny",
      "IPAllow",
    ],
    ["IP allow-list: no address known", ipAllowList, { action: "s3:GetObject", key: "k", caller: user(ALICE) }, "deny", "IPAllow"],
    [
      "IP allow-list: another user inside",
      ipAllowList,
      { action: "s3:GetObject", key: "k", caller: user(BOB), values: { "aws:SourceIp": "192.0.2.10" } },
      "none",
      undefined,
    ],
    ["public prefix: anonymous read", publicPrefix, { action: "s3:GetObject", key: "public/a.jpg", caller: anon }, "allow", "PublicRead"],
    ["public prefix: version read", publicPrefix, { action: "s3:GetObjectVersion", key: "public/a.jpg", caller: anon }, "allow", "PublicRead"],
    ["public prefix: outside the prefix", publicPrefix, { action: "s3:GetObject", key: "private/a.jpg", caller: anon }, "none", undefined],
    ["public prefix: a write", publicPrefix, { action: "s3:PutObject", key: "public/a.jpg", caller: anon }, "none", undefined],
    ["public prefix: signed users too", publicPrefix, { action: "s3:GetObject", key: "public/x", caller: user(BOB) }, "allow", "PublicRead"],
    [
      "TLS only: over HTTP",
      httpsOnly,
      { action: "s3:GetObject", key: "k", caller: anon, values: { "aws:SecureTransport": "false" } },
      "deny",
      "RestrictToTLSRequestsOnly",
    ],
    ["TLS only: over HTTPS", httpsOnly, { action: "s3:GetObject", key: "k", caller: anon, values: { "aws:SecureTransport": "true" } }, "allow", undefined],
    [
      "TLS only: the owner over HTTP is denied too",
      httpsOnly,
      { action: "s3:PutObject", key: "k", caller: user(OWNER), values: { "aws:SecureTransport": "false" } },
      "deny",
      "RestrictToTLSRequestsOnly",
    ],
    ["cross-account: read", crossAccount, { action: "s3:GetObject", key: "k", caller: user(BOB) }, "allow", "CrossAccountRead"],
    ["cross-account: list", crossAccount, { action: "s3:ListBucket", caller: user(BOB) }, "allow", "CrossAccountRead"],
    ["cross-account: write", crossAccount, { action: "s3:PutObject", key: "k", caller: user(BOB) }, "none", undefined],
    ["cross-account: someone else", crossAccount, { action: "s3:GetObject", key: "k", caller: user(ALICE) }, "none", undefined],
    ["cross-account: anonymous", crossAccount, { action: "s3:GetObject", key: "k", caller: anon }, "none", undefined],
    [
      "tags: tagged production",
      tagBased,
      { action: "s3:GetObject", key: "k", caller: user(ALICE), values: { "s3:ExistingObjectTag/environment": "production" } },
      "allow",
      "ReadTagged",
    ],
    [
      "tags: tagged staging",
      tagBased,
      { action: "s3:GetObject", key: "k", caller: user(ALICE), values: { "s3:ExistingObjectTag/environment": "staging" } },
      "none",
      undefined,
    ],
    ["tags: untagged", tagBased, { action: "s3:GetObject", key: "k", caller: user(ALICE) }, "none", undefined],
    [
      "tags: put with allowed tags",
      tagBased,
      { action: "s3:PutObject", key: "k", caller: user(ALICE), values: { "s3:RequestObjectTagKeys": ["Owner"], "s3:RequestObjectTag/Owner": "alice" } },
      "allow",
      "PutOnlyAllowedTags",
    ],
    [
      "tags: put with another tag",
      tagBased,
      {
        action: "s3:PutObject",
        key: "k",
        caller: user(ALICE),
        values: { "s3:RequestObjectTagKeys": ["Owner", "Secret"], "s3:RequestObjectTag/Owner": "alice" },
      },
      "none",
      undefined,
    ],
    [
      "home dirs: list own prefix",
      homeDirs,
      { action: "s3:ListBucket", caller: user(ALICE), values: { "aws:username": "alice", "s3:prefix": "home/alice/" } },
      "allow",
      "List",
    ],
    [
      "home dirs: list another prefix",
      homeDirs,
      { action: "s3:ListBucket", caller: user(ALICE), values: { "aws:username": "alice", "s3:prefix": "home/bob/" } },
      "none",
      undefined,
    ],
    [
      "home dirs: own object",
      homeDirs,
      { action: "s3:PutObject", key: "home/alice/x", caller: user(ALICE), values: { "aws:username": "alice" } },
      "allow",
      "Objects",
    ],
    [
      "home dirs: another's object",
      homeDirs,
      { action: "s3:GetObject", key: "home/bob/x", caller: user(ALICE), values: { "aws:username": "alice" } },
      "none",
      undefined,
    ],
    ["home dirs: anonymous has no name", homeDirs, { action: "s3:GetObject", key: "home//x", caller: anon }, "none", undefined],
    ["require SSE: without", requireSse, { action: "s3:PutObject", key: "k", caller: user(OWNER) }, "deny", "DenyUnencrypted"],
    [
      "require SSE: with",
      requireSse,
      { action: "s3:PutObject", key: "k", caller: user(OWNER), values: { "s3:x-amz-server-side-encryption": "AES256" } },
      "none",
      undefined,
    ],
    ["NotPrincipal: alice may delete", notPrincipal, { action: "s3:DeleteObject", key: "k", caller: user(ALICE) }, "none", undefined],
    ["NotPrincipal: bob may not", notPrincipal, { action: "s3:DeleteObject", key: "k", caller: user(BOB) }, "deny", "OnlyAlice"],
    ["NotPrincipal: anonymous may not", notPrincipal, { action: "s3:DeleteObject", key: "k", caller: anon }, "deny", "OnlyAlice"],
    ["NotAction: bob reads", notAction, { action: "s3:GetObject", key: "k", caller: user(BOB) }, "none", undefined],
    ["NotAction: bob writes", notAction, { action: "s3:PutObject", key: "k", caller: user(BOB) }, "deny", "ReadOnlyForBob"],
    ["NotResource: bob writes scratch", notAction, { action: "s3:PutObject", key: "scratch/x", caller: user(BOB) }, "none", undefined],
    ["NotAction: bob sets the bucket ACL", notAction, { action: "s3:PutBucketAcl", caller: user(BOB) }, "deny", "ReadOnlyForBob"],
    [
      "date: before",
      mfaLike,
      { action: "s3:DeleteObject", key: "k", caller: user(ALICE), values: { "aws:CurrentTime": "2026-12-01T21:00:00Z" } },
      "deny",
      "NoDeleteBeforeDate",
    ],
    [
      "date: after",
      mfaLike,
      { action: "s3:DeleteObject", key: "k", caller: user(ALICE), values: { "aws:CurrentTime": "2027-06-01T00:00:00Z" } },
      "none",
      undefined,
    ],
    [
      "actions ignore case",
      [{ Sid: "x", Effect: "Allow", Principal: "*", Action: "S3:getobject", Resource: `arn:aws:s3:::${B}/*` }],
      { action: "s3:GetObject", key: "k", caller: anon },
      "allow",
      "x",
    ],
    [
      "resources keep case",
      [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${B}/Public/*` }],
      { action: "s3:GetObject", key: "public/k", caller: anon },
      "none",
      undefined,
    ],
  ])("%s", (_, statements, req, effect, sid) => {
    const d = decide(statements, req);
    expect(d.effect).toBe(effect);
    expect(d.statement?.sid).toBe(sid);
  });

  it("an explicit Deny wins over an Allow, wherever it stands", () => {
    const allow = { Sid: "A", Effect: "Allow", Principal: "*", Action: "s3:*", Resource: `arn:aws:s3:::${B}/*` };
    const deny = { Sid: "D", Effect: "Deny", Principal: { AWS: BOB }, Action: "s3:DeleteObject", Resource: `arn:aws:s3:::${B}/*` };
    for (const order of [
      [allow, deny],
      [deny, allow],
    ]) {
      expect(decide(order, { action: "s3:DeleteObject", key: "k", caller: user(BOB) })).toEqual({
        effect: "deny",
        statement: { index: order.indexOf(deny), sid: "D" },
      });
      expect(decide(order, { action: "s3:DeleteObject", key: "k", caller: user(ALICE) }).effect).toBe("allow");
    }
  });

  it("reports the deciding statement by position when it has no Sid", () => {
    const s = { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${B}/*` };
    expect(decide([{ ...s, Resource: `arn:aws:s3:::${B}/x/*` }, s], { action: "s3:GetObject", key: "k", caller: anon })).toEqual({
      effect: "allow",
      statement: { index: 1, sid: undefined },
    });
  });

  it("has no policy variables in 2008-10-17 policies", () => {
    const req: Req = { action: "s3:GetObject", key: "home/alice/x", caller: user(ALICE), values: { "aws:username": "alice" } };
    expect(decide(homeDirs, req, "2012-10-17").effect).toBe("allow");
    expect(decide(homeDirs, req, "2008-10-17").effect).toBe("none");
  });

  it("ignoreAllows keeps Denies and drops Allows (RestrictPublicBuckets)", () => {
    const facts = (secure: string) => ({
      action: "s3:GetObject",
      resource: `arn:aws:s3:::${B}/k`,
      caller: anon,
      values: new Map([["aws:securetransport", secure]]),
    });
    const p = policyOf(httpsOnly);
    expect(evaluatePolicy(p, facts("true"), { ignoreAllows: true }).effect).toBe("none");
    expect(evaluatePolicy(p, facts("false"), { ignoreAllows: true }).effect).toBe("deny");
  });
});
