/**
 * Bucket policies, Block Public Access and Object Ownership end to end: @aws-sdk/client-s3 and
 * unsigned fetch() against the Worker in workerd with real local D1 and R2. Callers: the bucket
 * owner (root), a second user, a read-only key of the second user, and anonymous requests; every
 * refused write is checked to leave D1 and R2 unchanged.
 */
import {
  CreateBucketCommand,
  DeleteBucketOwnershipControlsCommand,
  DeleteBucketPolicyCommand,
  DeleteObjectCommand,
  DeletePublicAccessBlockCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  GetPublicAccessBlockCommand,
  ListObjectsV2Command,
  PutBucketAclCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand,
  PutObjectAclCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT_USER_ID } from "../../src/identity";
import { startWorker, type Harness } from "./harness";
import { changes, createKey, createUser, outcome, send, snapshot, type Creds, type User } from "./principals";

let h: Harness;
let root: S3Client;
let second: User;
let secondCreds: Creds;
let secondS3: S3Client;
let readOnlyS3: S3Client;

beforeAll(async () => {
  h = await startWorker();
  root = h.client();
  second = await createUser(h, "second", "second@example.com");
  secondCreds = await createKey(h, second.userId);
  secondS3 = h.client(secondCreds);
  readOnlyS3 = h.client(await createKey(h, second.userId, { operations: "read-only" }));
});
afterAll(() => h?.dispose());

const anon = (method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}) => send(h, null, method, path, init);
const denied = { name: "AccessDenied", $metadata: { httpStatusCode: 403 } };
const objectArn = (b: string, k = "*") => `arn:aws:s3:::${b}/${k}`;
const bucketArn = (b: string) => `arn:aws:s3:::${b}`;
const policyText = (...Statement: unknown[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const putPolicy = (b: string, ...statements: unknown[]) => root.send(new PutBucketPolicyCommand({ Bucket: b, Policy: policyText(...statements) }));

async function bucket(name: string, opts: { acl?: "public-read" | "public-read-write"; objects?: Record<string, string> } = {}): Promise<string> {
  await root.send(new CreateBucketCommand({ Bucket: name, ACL: opts.acl }));
  for (const [k, v] of Object.entries(opts.objects ?? {})) await root.send(new PutObjectCommand({ Bucket: name, Key: k, Body: v }));
  return name;
}

/** Runs a request that must be refused, and checks it changed nothing in D1 or R2. */
async function refusedWithoutChange(run: () => Promise<unknown>, expected: Record<string, unknown> = denied): Promise<void> {
  const before = await snapshot(h);
  await expect(run()).rejects.toMatchObject(expected);
  expect(changes(before, await snapshot(h))).toEqual([]);
}

describe("Put/Get/DeleteBucketPolicy and GetBucketPolicyStatus", () => {
  it("stores the policy as sent, reports whether it is public, and deletes it", async () => {
    const B = await bucket("pol-crud");
    await expect(root.send(new GetBucketPolicyCommand({ Bucket: B }))).rejects.toMatchObject({
      name: "NoSuchBucketPolicy",
      $metadata: { httpStatusCode: 404 },
    });
    await expect(root.send(new GetBucketPolicyStatusCommand({ Bucket: B }))).rejects.toMatchObject({ name: "NoSuchBucketPolicy" });

    const named = policyText({ Sid: "Second", Effect: "Allow", Principal: { AWS: second.userId }, Action: "s3:GetObject", Resource: objectArn(B) });
    await root.send(new PutBucketPolicyCommand({ Bucket: B, Policy: named }));
    expect((await root.send(new GetBucketPolicyCommand({ Bucket: B }))).Policy).toBe(named);
    expect((await root.send(new GetBucketPolicyStatusCommand({ Bucket: B }))).PolicyStatus?.IsPublic).toBe(false);

    const pretty = JSON.stringify(JSON.parse(policyText({ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: objectArn(B) })), null, 2);
    await root.send(new PutBucketPolicyCommand({ Bucket: B, Policy: pretty }));
    expect((await root.send(new GetBucketPolicyCommand({ Bucket: B }))).Policy).toBe(pretty);
    expect((await root.send(new GetBucketPolicyStatusCommand({ Bucket: B }))).PolicyStatus?.IsPublic).toBe(true);

    await root.send(new DeleteBucketPolicyCommand({ Bucket: B }));
    await expect(root.send(new GetBucketPolicyCommand({ Bucket: B }))).rejects.toMatchObject({ name: "NoSuchBucketPolicy" });
    await root.send(new DeleteBucketPolicyCommand({ Bucket: B })); // deleting no policy is a success, as on S3
  });

  it.each<[string, (b: string) => string, string]>([
    ["an unknown action", (b) => policyText({ Effect: "Allow", Principal: "*", Action: "s3:GetObjects", Resource: objectArn(b) }), "Policy has invalid action"],
    [
      "another bucket",
      () => policyText({ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: objectArn("elsewhere") }),
      "Policy has invalid resource",
    ],
    [
      "an object action on the bucket",
      (b) => policyText({ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: bucketArn(b) }),
      "Action does not apply to any resource(s) in statement",
    ],
    [
      "a user that does not exist",
      (b) => policyText({ Effect: "Allow", Principal: { AWS: "f".repeat(64) }, Action: "s3:GetObject", Resource: objectArn(b) }),
      "Invalid principal in policy",
    ],
    ["text that is not JSON", () => "{not json", "This policy contains invalid Json"],
    [
      "more than 20 KB",
      (b) => JSON.stringify({ Id: "x".repeat(21000), Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: objectArn(b) }] }),
      "Policies must be less than 20 KB",
    ],
  ])("refuses %s with MalformedPolicy, changing nothing", async (_, text, message) => {
    const B = "pol-malformed";
    await root.send(new CreateBucketCommand({ Bucket: B })).catch(() => undefined);
    await refusedWithoutChange(() => root.send(new PutBucketPolicyCommand({ Bucket: B, Policy: text(B) })), {
      name: "MalformedPolicy",
      message,
      $metadata: { httpStatusCode: 400 },
    });
  });

  it("lets only the bucket owner manage the policy, even when a policy grants it, and always lets the owner", async () => {
    const B = await bucket("pol-owner-only");
    await refusedWithoutChange(() =>
      secondS3.send(new PutBucketPolicyCommand({ Bucket: B, Policy: policyText({ Effect: "Allow", Principal: "*", Action: "s3:*", Resource: objectArn(B) }) })),
    );
    // A Deny of everything to everyone still leaves the owner able to read and remove the policy.
    await putPolicy(B, { Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [bucketArn(B), objectArn(B)] });
    await expect(root.send(new ListObjectsV2Command({ Bucket: B }))).rejects.toMatchObject(denied);
    await expect(secondS3.send(new GetBucketPolicyCommand({ Bucket: B }))).rejects.toMatchObject(denied);
    expect((await root.send(new GetBucketPolicyCommand({ Bucket: B }))).Policy).toContain("Deny");
    await root.send(new DeleteBucketPolicyCommand({ Bucket: B }));
    await root.send(new ListObjectsV2Command({ Bucket: B }));
  });
});

describe("policy evaluation with ACLs and key scopes", () => {
  it("grants anonymous reads of a prefix, and nothing else", async () => {
    const B = await bucket("pol-public-prefix", { objects: { "public/a.txt": "public a", "private/b.txt": "private b" } });
    await putPolicy(B, { Sid: "PublicRead", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: objectArn(B, "public/*") });
    const ok = await anon("GET", `/${B}/public/a.txt`);
    expect([ok.status, await ok.text()]).toEqual([200, "public a"]);
    expect(await outcome(await anon("GET", `/${B}/private/b.txt`))).toMatchObject({ status: 403, code: "AccessDenied" });
    expect(await outcome(await anon("GET", `/${B}?list-type=2`))).toMatchObject({ status: 403, code: "AccessDenied" });
    // Without s3:ListBucket a missing key is AccessDenied, not NoSuchKey.
    expect(await outcome(await anon("GET", `/${B}/public/missing`))).toMatchObject({ status: 403, code: "AccessDenied" });
    const before = await snapshot(h);
    expect(await outcome(await anon("PUT", `/${B}/public/new.txt`, { body: "x" }))).toMatchObject({ status: 403, code: "AccessDenied" });
    expect(changes(before, await snapshot(h))).toEqual([]);
  });

  it("lets a second user write where a policy allows it, and a Deny wins over an ACL grant", async () => {
    const B = await bucket("pol-second", { acl: "public-read-write", objects: { "keep.txt": "keep" } });
    await putPolicy(
      B,
      {
        Sid: "SecondWrites",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${second.userId}:root` },
        Action: ["s3:PutObject", "s3:GetObject"],
        Resource: objectArn(B, "second/*"),
      },
      { Sid: "NoDeletes", Effect: "Deny", Principal: "*", Action: "s3:DeleteObject", Resource: objectArn(B) },
    );
    await secondS3.send(new PutObjectCommand({ Bucket: B, Key: "second/x.txt", Body: "from second" }));
    // Still public-read-write by ACL, but the Deny refuses every delete, the owner's included.
    await refusedWithoutChange(() => secondS3.send(new DeleteObjectCommand({ Bucket: B, Key: "keep.txt" })));
    await refusedWithoutChange(() => root.send(new DeleteObjectCommand({ Bucket: B, Key: "keep.txt" })));
    expect(await outcome(await anon("DELETE", `/${B}/keep.txt`))).toMatchObject({ status: 403, code: "AccessDenied" });
    // A key restriction always narrows: the read-only key of the same user may not write.
    await refusedWithoutChange(() => readOnlyS3.send(new PutObjectCommand({ Bucket: B, Key: "second/y.txt", Body: "x" })));
    const got = await readOnlyS3.send(new GetObjectCommand({ Bucket: B, Key: "second/x.txt" }));
    expect(await got.Body!.transformToString()).toBe("from second");
  });

  it("applies conditions: TLS only, source address, listing prefix, object tags", async () => {
    const B = await bucket("pol-conditions", { objects: { "home/a.txt": "a" } });
    await root.send(new PutObjectCommand({ Bucket: B, Key: "tagged.txt", Body: "tagged", Tagging: "visibility=public" }));
    await root.send(new PutObjectCommand({ Bucket: B, Key: "untagged.txt", Body: "untagged" }));

    // The local server is plain HTTP: a TLS-only Deny refuses everyone, the owner too.
    await putPolicy(B, {
      Sid: "TlsOnly",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [bucketArn(B), objectArn(B)],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
    await refusedWithoutChange(() => root.send(new PutObjectCommand({ Bucket: B, Key: "home/new.txt", Body: "x" })));

    await putPolicy(
      B,
      {
        Sid: "ListHome",
        Effect: "Allow",
        Principal: "*",
        Action: "s3:ListBucket",
        Resource: bucketArn(B),
        Condition: { StringLike: { "s3:prefix": "home/*" } },
      },
      {
        Sid: "ReadTagged",
        Effect: "Allow",
        Principal: { AWS: second.userId },
        Action: "s3:GetObject",
        Resource: objectArn(B),
        Condition: { StringEquals: { "s3:ExistingObjectTag/visibility": "public" } },
      },
      {
        Sid: "FromDocNet",
        Effect: "Allow",
        Principal: "*",
        Action: "s3:GetObject",
        Resource: objectArn(B, "home/*"),
        Condition: { IpAddress: { "aws:SourceIp": "192.0.2.0/24" } },
      },
    );
    expect((await anon("GET", `/${B}?list-type=2&prefix=home/`)).status).toBe(200);
    expect(await outcome(await anon("GET", `/${B}?list-type=2&prefix=other/`))).toMatchObject({ status: 403 });
    expect(await outcome(await anon("GET", `/${B}?list-type=2`))).toMatchObject({ status: 403 });
    expect(await (await secondS3.send(new GetObjectCommand({ Bucket: B, Key: "tagged.txt" }))).Body!.transformToString()).toBe("tagged");
    await expect(secondS3.send(new GetObjectCommand({ Bucket: B, Key: "untagged.txt" }))).rejects.toMatchObject(denied);
    // aws:SourceIp is CF-Connecting-IP, which Cloudflare sets (and overwrites) in front of a deployed Worker.
    expect((await anon("GET", `/${B}/home/a.txt`, { headers: { "cf-connecting-ip": "192.0.2.7" } })).status).toBe(200);
    expect((await anon("GET", `/${B}/home/a.txt`, { headers: { "cf-connecting-ip": "198.51.100.7" } })).status).toBe(403);
  });
});

describe("Block Public Access", () => {
  it("round-trips the configuration", async () => {
    const B = await bucket("bpa-crud");
    await expect(root.send(new GetPublicAccessBlockCommand({ Bucket: B }))).rejects.toMatchObject({
      name: "NoSuchPublicAccessBlockConfiguration",
      $metadata: { httpStatusCode: 404 },
    });
    const config = { BlockPublicAcls: true, IgnorePublicAcls: false, BlockPublicPolicy: true, RestrictPublicBuckets: false };
    await root.send(new PutPublicAccessBlockCommand({ Bucket: B, PublicAccessBlockConfiguration: config }));
    expect((await root.send(new GetPublicAccessBlockCommand({ Bucket: B }))).PublicAccessBlockConfiguration).toEqual(config);
    await expect(secondS3.send(new GetPublicAccessBlockCommand({ Bucket: B }))).rejects.toMatchObject(denied);
    await root.send(new DeletePublicAccessBlockCommand({ Bucket: B }));
    await expect(root.send(new GetPublicAccessBlockCommand({ Bucket: B }))).rejects.toMatchObject({ name: "NoSuchPublicAccessBlockConfiguration" });
  });

  it("BlockPublicPolicy refuses a public policy and accepts a named one; BlockPublicAcls refuses public ACLs", async () => {
    const B = await bucket("bpa-block", { objects: { "k.txt": "k" } });
    await root.send(new PutPublicAccessBlockCommand({ Bucket: B, PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true } }));
    await refusedWithoutChange(() => putPolicy(B, { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: objectArn(B) }));
    await putPolicy(B, { Effect: "Allow", Principal: { AWS: second.userId }, Action: "s3:GetObject", Resource: objectArn(B) });
    await refusedWithoutChange(() => root.send(new PutObjectCommand({ Bucket: B, Key: "pub.txt", Body: "x", ACL: "public-read" })));
    await refusedWithoutChange(() => root.send(new PutBucketAclCommand({ Bucket: B, ACL: "public-read" })));
    await refusedWithoutChange(() => root.send(new PutObjectAclCommand({ Bucket: B, Key: "k.txt", ACL: "authenticated-read" })));
    await root.send(new PutObjectCommand({ Bucket: B, Key: "private.txt", Body: "x", ACL: "private" }));
  });

  it("IgnorePublicAcls stops public grants from granting; RestrictPublicBuckets stops a public policy from granting", async () => {
    const B = await bucket("bpa-ignore", { acl: "public-read" });
    await root.send(new PutObjectCommand({ Bucket: B, Key: "acl-public.txt", Body: "x", ACL: "public-read" }));
    await root.send(new PutObjectCommand({ Bucket: B, Key: "policy-public.txt", Body: "y" }));
    await putPolicy(B, { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: objectArn(B, "policy-public.txt") });
    expect((await anon("GET", `/${B}/acl-public.txt`)).status).toBe(200);
    expect((await anon("GET", `/${B}/policy-public.txt`)).status).toBe(200);
    await root.send(new PutPublicAccessBlockCommand({ Bucket: B, PublicAccessBlockConfiguration: { IgnorePublicAcls: true, RestrictPublicBuckets: true } }));
    expect((await anon("GET", `/${B}/acl-public.txt`)).status).toBe(403);
    expect((await anon("GET", `/${B}?list-type=2`)).status).toBe(403);
    expect((await anon("GET", `/${B}/policy-public.txt`)).status).toBe(403);
    await expect(secondS3.send(new GetObjectCommand({ Bucket: B, Key: "policy-public.txt" }))).rejects.toMatchObject(denied);
    expect((await root.send(new GetObjectCommand({ Bucket: B, Key: "policy-public.txt" }))).$metadata.httpStatusCode).toBe(200);
    await root.send(new DeletePublicAccessBlockCommand({ Bucket: B }));
    expect((await anon("GET", `/${B}/acl-public.txt`)).status).toBe(200);
  });
});

describe("Object Ownership", () => {
  it("BucketOwnerEnforced from CreateBucket: ACLs refused, objects owned by the bucket owner, policies grant", async () => {
    const B = "own-enforced";
    await root.send(new CreateBucketCommand({ Bucket: B, ObjectOwnership: "BucketOwnerEnforced" }));
    expect((await root.send(new GetBucketOwnershipControlsCommand({ Bucket: B }))).OwnershipControls?.Rules).toEqual([
      { ObjectOwnership: "BucketOwnerEnforced" },
    ]);
    const notSupported = { name: "AccessControlListNotSupported", $metadata: { httpStatusCode: 400 } };
    await refusedWithoutChange(() => root.send(new PutObjectCommand({ Bucket: B, Key: "pub.txt", Body: "x", ACL: "public-read" })), notSupported);
    await refusedWithoutChange(() => root.send(new PutBucketAclCommand({ Bucket: B, ACL: "public-read" })), notSupported);
    await root.send(new PutObjectCommand({ Bucket: B, Key: "bofc.txt", Body: "x", ACL: "bucket-owner-full-control" }));

    await putPolicy(B, { Effect: "Allow", Principal: { AWS: second.userId }, Action: ["s3:PutObject", "s3:GetObject"], Resource: objectArn(B) });
    await secondS3.send(new PutObjectCommand({ Bucket: B, Key: "by-second.txt", Body: "from second" }));
    const acl = await root.send(new GetObjectAclCommand({ Bucket: B, Key: "by-second.txt" }));
    expect(acl.Owner?.ID).toBe(ROOT_USER_ID);
    expect(acl.Grants).toEqual([{ Grantee: expect.objectContaining({ Type: "CanonicalUser", ID: ROOT_USER_ID }), Permission: "FULL_CONTROL" }]);
  });

  it("PutBucketOwnershipControls: BucketOwnerPreferred, refusals, delete", async () => {
    const B = await bucket("own-preferred", { acl: "public-read" });
    await expect(root.send(new GetBucketOwnershipControlsCommand({ Bucket: B }))).rejects.toMatchObject({
      name: "OwnershipControlsNotFoundError",
      $metadata: { httpStatusCode: 404 },
    });
    // A bucket ACL that grants others must go before ACLs can be disabled.
    await refusedWithoutChange(
      () => root.send(new PutBucketOwnershipControlsCommand({ Bucket: B, OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] } })),
      { name: "InvalidBucketAclWithObjectOwnership", $metadata: { httpStatusCode: 400 } },
    );
    await root.send(new PutBucketOwnershipControlsCommand({ Bucket: B, OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerPreferred" }] } }));
    await root.send(new PutBucketAclCommand({ Bucket: B, ACL: "public-read-write" }));
    await secondS3.send(new PutObjectCommand({ Bucket: B, Key: "handed-over.txt", Body: "x", ACL: "bucket-owner-full-control" }));
    await secondS3.send(new PutObjectCommand({ Bucket: B, Key: "kept.txt", Body: "x" }));
    const list = await root.send(new ListObjectsV2Command({ Bucket: B, FetchOwner: true }));
    expect(Object.fromEntries(list.Contents!.map((c) => [c.Key, c.Owner?.ID]))).toEqual({ "handed-over.txt": ROOT_USER_ID, "kept.txt": second.userId });
    await expect(
      secondS3.send(new PutBucketOwnershipControlsCommand({ Bucket: B, OwnershipControls: { Rules: [{ ObjectOwnership: "ObjectWriter" }] } })),
    ).rejects.toMatchObject(denied);
    await root.send(new DeleteBucketOwnershipControlsCommand({ Bucket: B }));
    await expect(root.send(new GetBucketOwnershipControlsCommand({ Bucket: B }))).rejects.toMatchObject({ name: "OwnershipControlsNotFoundError" });
  });
});
