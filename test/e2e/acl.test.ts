/**
 * ACLs end to end: canned ACLs and grant headers on writes, Get/Put Bucket/Object ACL (bodies,
 * headers, versionId, errors), and what they let other users and anonymous callers do, through
 * @aws-sdk/client-s3, a raw signer and plain unsigned fetch/curl.
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetBucketAclCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutBucketAclCommand,
  PutBucketVersioningCommand,
  PutObjectAclCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT_USER_ID } from "../../src/identity";
import { ALL_USERS, AUTHENTICATED_USERS } from "../../src/logic/acl";
import { ROOT, startWorker, streamToBuffer, type Harness } from "./harness";
import { changes, createKey, createUser, md5Base64, outcome, send, snapshot, type Creds, type User } from "./principals";

let h: Harness;
let root: S3Client;
let alice: User;
let bob: User;
let aliceKey: Creds;
let bobKey: Creds;
let aliceS3: S3Client;
let bobS3: S3Client;

beforeAll(async () => {
  h = await startWorker();
  root = h.client();
  await root.send(new CreateBucketCommand({ Bucket: "acl-setup" })); // makes the root user exist
  alice = await createUser(h, "alice", "alice@example.com");
  bob = await createUser(h, "bob");
  aliceKey = await createKey(h, alice.userId);
  bobKey = await createKey(h, bob.userId);
  aliceS3 = h.client(aliceKey);
  bobS3 = h.client(bobKey);
});
afterAll(() => h?.dispose());

const denied = { name: "AccessDenied", $metadata: { httpStatusCode: 403 } };
const anon = (p: string, method = "GET") => fetch(h.url + p, { method });

async function readAll(s3: S3Client, bucket: string, key: string, versionId?: string): Promise<Buffer> {
  return streamToBuffer((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }))).Body);
}

describe("objects by plain URL, no signature", () => {
  const B = "acl-plain";
  const publicBody = randomBytes(70_000);
  beforeAll(async () => {
    await root.send(new CreateBucketCommand({ Bucket: B }));
    await root.send(new PutObjectCommand({ Bucket: B, Key: "public.bin", Body: publicBody, ACL: "public-read" }));
    await root.send(new PutObjectCommand({ Bucket: B, Key: "private.bin", Body: "secret" }));
  });

  it("serves a public-read object byte for byte to fetch() and to curl", async () => {
    const res = await anon(`/${B}/public.bin`);
    expect(res.status).toBe(200);
    expect(Buffer.compare(Buffer.from(await res.arrayBuffer()), publicBody)).toBe(0);

    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "acl-curl-")), "public.bin");
    const status = execFileSync("curl", ["-s", "-o", out, "-w", "%{http_code}", `${h.url}/${B}/public.bin`], { encoding: "utf8" });
    expect(status).toBe("200");
    expect(Buffer.compare(fs.readFileSync(out), publicBody)).toBe(0);

    const head = await anon(`/${B}/public.bin`, "HEAD");
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(publicBody.length));
  });

  it("refuses a private object to fetch() and curl with AccessDenied, leaking no bytes", async () => {
    expect(await outcome(await anon(`/${B}/private.bin`))).toMatchObject({ status: 403, code: "AccessDenied" });
    const body = execFileSync("curl", ["-s", "-w", "\n%{http_code}", `${h.url}/${B}/private.bin`], { encoding: "utf8" });
    expect(body).toMatch(/<Code>AccessDenied<\/Code>[\s\S]*\n403$/);
    expect(body).not.toContain("secret");
    expect((await anon(`/${B}/private.bin`, "HEAD")).status).toBe(403);
  });

  it("does not let a public object make its private bucket listable, nor reveal missing keys", async () => {
    expect(await outcome(await anon(`/${B}?list-type=2`))).toMatchObject({ status: 403, code: "AccessDenied" });
    expect(await outcome(await anon(`/${B}/no-such-key`))).toMatchObject({ status: 403, code: "AccessDenied" });
    // The owner (who may list) learns that it is missing.
    await expect(root.send(new GetObjectCommand({ Bucket: B, Key: "no-such-key" }))).rejects.toMatchObject({ name: "NoSuchKey" });
  });

  it("answers NoSuchKey to anonymous callers once the bucket is public-read", async () => {
    await root.send(new CreateBucketCommand({ Bucket: "acl-plain-listable", ACL: "public-read" }));
    expect(await outcome(await anon(`/acl-plain-listable/no-such-key`))).toMatchObject({ status: 404, code: "NoSuchKey" });
    const list = await outcome(await anon(`/acl-plain-listable?list-type=2`));
    expect(list.status).toBe(200);
    expect(list.body).toContain("<Name>acl-plain-listable</Name>");
  });
});

describe("GetBucketAcl and GetObjectAcl", () => {
  it("shows the default ACL: the owner's FULL_CONTROL", async () => {
    const acl = await root.send(new GetBucketAclCommand({ Bucket: "acl-setup" }));
    expect(acl.Owner).toEqual({ ID: ROOT_USER_ID, DisplayName: "root" });
    expect(acl.Grants).toEqual([{ Grantee: { Type: "CanonicalUser", ID: ROOT_USER_ID, DisplayName: "root" }, Permission: "FULL_CONTROL" }]);
  });

  it("shows a canned object ACL as its grants", async () => {
    await root.send(new PutObjectCommand({ Bucket: "acl-setup", Key: "canned", Body: "x", ACL: "public-read-write" }));
    const acl = await root.send(new GetObjectAclCommand({ Bucket: "acl-setup", Key: "canned" }));
    expect(acl.Owner?.ID).toBe(ROOT_USER_ID);
    expect(acl.Grants).toEqual([
      { Grantee: { Type: "CanonicalUser", ID: ROOT_USER_ID, DisplayName: "root" }, Permission: "FULL_CONTROL" },
      { Grantee: { Type: "Group", URI: ALL_USERS }, Permission: "READ" },
      { Grantee: { Type: "Group", URI: ALL_USERS }, Permission: "WRITE" },
    ]);
  });
});

describe("PutBucketAcl", () => {
  const B = "acl-bucket";
  beforeAll(async () => {
    await root.send(new CreateBucketCommand({ Bucket: B }));
    await root.send(new PutObjectCommand({ Bucket: B, Key: "k", Body: "k" }));
  });

  it("applies a canned ACL sent as a header (authenticated-read: any key lists, anonymous does not)", async () => {
    await expect(aliceS3.send(new ListObjectsV2Command({ Bucket: B }))).rejects.toMatchObject(denied);
    await root.send(new PutBucketAclCommand({ Bucket: B, ACL: "authenticated-read" }));
    expect((await aliceS3.send(new ListObjectsV2Command({ Bucket: B }))).Contents?.map((c) => c.Key)).toEqual(["k"]);
    expect((await bobS3.send(new ListObjectsV2Command({ Bucket: B }))).KeyCount).toBe(1);
    expect((await anon(`/${B}?list-type=2`)).status).toBe(403);
    // Bucket READ lists; it does not read objects (ACLs are not inherited) nor write.
    await expect(aliceS3.send(new GetObjectCommand({ Bucket: B, Key: "k" }))).rejects.toMatchObject(denied);
    await expect(aliceS3.send(new PutObjectCommand({ Bucket: B, Key: "new", Body: "x" }))).rejects.toMatchObject(denied);
    await root.send(new PutBucketAclCommand({ Bucket: B, ACL: "private" }));
    await expect(aliceS3.send(new ListObjectsV2Command({ Bucket: B }))).rejects.toMatchObject(denied);
  });

  it("applies an AccessControlPolicy body with grantees by e-mail and by id", async () => {
    await root.send(
      new PutBucketAclCommand({
        Bucket: B,
        AccessControlPolicy: {
          Owner: { ID: ROOT_USER_ID },
          Grants: [
            { Grantee: { Type: "CanonicalUser", ID: ROOT_USER_ID }, Permission: "FULL_CONTROL" },
            { Grantee: { Type: "AmazonCustomerByEmail", EmailAddress: "Alice@Example.com" }, Permission: "READ" },
            { Grantee: { Type: "CanonicalUser", ID: bob.userId }, Permission: "WRITE" },
          ],
        },
      }),
    );
    const acl = await root.send(new GetBucketAclCommand({ Bucket: B }));
    expect(acl.Grants).toEqual([
      { Grantee: { Type: "CanonicalUser", ID: ROOT_USER_ID, DisplayName: "root" }, Permission: "FULL_CONTROL" },
      { Grantee: { Type: "CanonicalUser", ID: alice.userId, DisplayName: "alice" }, Permission: "READ" },
      { Grantee: { Type: "CanonicalUser", ID: bob.userId, DisplayName: "bob" }, Permission: "WRITE" },
    ]);
    await aliceS3.send(new ListObjectsV2Command({ Bucket: B }));
    await expect(aliceS3.send(new PutObjectCommand({ Bucket: B, Key: "by-alice", Body: "x" }))).rejects.toMatchObject(denied);
    await bobS3.send(new PutObjectCommand({ Bucket: B, Key: "by-bob", Body: "x" }));
    await expect(bobS3.send(new ListObjectsV2Command({ Bucket: B }))).rejects.toMatchObject(denied);
    // Neither may read or change the ACL itself without READ_ACP / WRITE_ACP.
    await expect(aliceS3.send(new GetBucketAclCommand({ Bucket: B }))).rejects.toMatchObject(denied);
    await expect(bobS3.send(new PutBucketAclCommand({ Bucket: B, ACL: "public-read" }))).rejects.toMatchObject(denied);
  });

  it("applies x-amz-grant-* headers, and READ_ACP / WRITE_ACP let a grantee read / change the ACL", async () => {
    await root.send(
      new PutBucketAclCommand({
        Bucket: B,
        GrantReadACP: `id="${alice.userId}"`,
        GrantWriteACP: `emailAddress="alice@example.com"`,
        GrantRead: `uri="${AUTHENTICATED_USERS}"`,
      }),
    );
    expect((await aliceS3.send(new GetBucketAclCommand({ Bucket: B }))).Grants).toHaveLength(3);
    // The owner is implicit: this ACL does not list root, who still keeps full control.
    await aliceS3.send(new PutBucketAclCommand({ Bucket: B, GrantRead: `id=${bob.userId}` }));
    await bobS3.send(new ListObjectsV2Command({ Bucket: B }));
    await expect(aliceS3.send(new GetBucketAclCommand({ Bucket: B }))).rejects.toMatchObject(denied);
    await root.send(new GetBucketAclCommand({ Bucket: B }));
    await root.send(new PutBucketAclCommand({ Bucket: B, ACL: "private" }));
  });

  const policy = (ownerId: string, grants: string) =>
    `<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>${ownerId}</ID></Owner><AccessControlList>${grants}</AccessControlList></AccessControlPolicy>`;
  const xsi = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
  const grant = (type: string, inner: string, permission = "READ") =>
    `<Grant><Grantee ${xsi} xsi:type="${type}">${inner}</Grantee><Permission>${permission}</Permission></Grant>`;

  it.each([
    ["a body that is not XML", {}, "<AccessControlPolicy><Owner>", 400, "MalformedACLError"],
    ["an unknown grantee type", {}, policy(ROOT_USER_ID, grant("Robot", "<ID>x</ID>")), 400, "MalformedACLError"],
    ["an unknown permission", {}, policy(ROOT_USER_ID, grant("CanonicalUser", `<ID>${ROOT_USER_ID}</ID>`, "ALL")), 400, "MalformedACLError"],
    ["an owner that is not the bucket's", {}, policy("f".repeat(64), ""), 403, "AccessDenied"],
    ["an id that names no user", {}, policy(ROOT_USER_ID, grant("CanonicalUser", `<ID>${"e".repeat(64)}</ID>`)), 400, "InvalidArgument"],
    [
      "an e-mail that names no user",
      {},
      policy(ROOT_USER_ID, grant("AmazonCustomerByEmail", "<EmailAddress>nobody@example.com</EmailAddress>")),
      400,
      "UnresolvableGrantByEmailAddress",
    ],
    ["an unknown group", {}, policy(ROOT_USER_ID, grant("Group", "<URI>http://acs.amazonaws.com/groups/global/Everybody</URI>")), 400, "InvalidArgument"],
    ["a canned ACL and grant headers", { "x-amz-acl": "public-read", "x-amz-grant-read": `id=${ROOT_USER_ID}` }, "", 400, "InvalidRequest"],
    ["a header and a body", { "x-amz-acl": "public-read" }, policy(ROOT_USER_ID, ""), 400, "UnexpectedContent"],
    ["neither a header nor a body", {}, "", 400, "MissingSecurityHeader"],
    ["an unknown canned ACL", { "x-amz-acl": "public" }, "", 400, "InvalidArgument"],
    ["a malformed grant header", { "x-amz-grant-read": "user=alice" }, "", 400, "InvalidArgument"],
  ] as [string, Record<string, string>, string, number, string][])("refuses %s, changing nothing", async (_why, headers, body, status, code) => {
    const before = await snapshot(h);
    const res = await send(h, ROOT, "PUT", `/${B}?acl`, { headers: body ? { ...headers, "content-md5": md5Base64(body) } : headers, body: body || undefined });
    expect(await outcome(res)).toMatchObject({ status, code });
    expect(changes(before, await snapshot(h))).toEqual([]);
  });

  it("accepts an AccessControlPolicy with an empty grant list (the owner keeps control)", async () => {
    const body = policy(ROOT_USER_ID, "");
    expect((await send(h, ROOT, "PUT", `/${B}?acl`, { body, headers: { "content-md5": md5Base64(body) } })).status).toBe(200);
    expect((await root.send(new GetBucketAclCommand({ Bucket: B }))).Grants).toEqual([]);
    await root.send(new ListObjectsV2Command({ Bucket: B }));
    await root.send(new PutBucketAclCommand({ Bucket: B, ACL: "private" }));
  });
});

describe("PutObjectAcl and GetObjectAcl per version", () => {
  const B = "acl-versions";
  let v1: string;
  let v2: string;
  beforeAll(async () => {
    await root.send(new CreateBucketCommand({ Bucket: B }));
    await root.send(new PutBucketVersioningCommand({ Bucket: B, VersioningConfiguration: { Status: "Enabled" } }));
    v1 = (await root.send(new PutObjectCommand({ Bucket: B, Key: "doc", Body: "version one" }))).VersionId!;
    v2 = (await root.send(new PutObjectCommand({ Bucket: B, Key: "doc", Body: "version two" }))).VersionId!;
  });

  it("sets the ACL of the named version only", async () => {
    await root.send(new PutObjectAclCommand({ Bucket: B, Key: "doc", VersionId: v1, ACL: "public-read" }));
    const r1 = await anon(`/${B}/doc?versionId=${v1}`);
    expect(r1.status).toBe(200);
    expect(await r1.text()).toBe("version one");
    expect((await anon(`/${B}/doc?versionId=${v2}`)).status).toBe(403);
    expect((await anon(`/${B}/doc`)).status).toBe(403);
    expect((await root.send(new GetObjectAclCommand({ Bucket: B, Key: "doc", VersionId: v1 }))).Grants).toHaveLength(2);
    expect((await root.send(new GetObjectAclCommand({ Bucket: B, Key: "doc" }))).Grants).toHaveLength(1);
  });

  it("answers for delete markers as S3 does: 404 without versionId, 405 with it", async () => {
    const marker = (await root.send(new DeleteObjectCommand({ Bucket: B, Key: "doc" }))).VersionId!;
    await expect(root.send(new GetObjectAclCommand({ Bucket: B, Key: "doc" }))).rejects.toMatchObject({
      name: "NoSuchKey",
      $metadata: { httpStatusCode: 404 },
    });
    expect(await outcome(await send(h, ROOT, "PUT", `/${B}/doc?acl&versionId=${marker}`, { headers: { "x-amz-acl": "public-read" } }))).toMatchObject({
      status: 405,
      code: "MethodNotAllowed",
    });
    // The public version stays public behind the marker.
    expect((await anon(`/${B}/doc?versionId=${v1}`)).status).toBe(200);
  });

  it("lets a WRITE_ACP grantee change the object ACL, but only with the object's owner in the body", async () => {
    await root.send(new PutObjectCommand({ Bucket: B, Key: "shared", Body: "s", GrantWriteACP: `id=${alice.userId}` }));
    await expect(aliceS3.send(new GetObjectCommand({ Bucket: B, Key: "shared" }))).rejects.toMatchObject(denied);
    await expect(
      aliceS3.send(new PutObjectAclCommand({ Bucket: B, Key: "shared", AccessControlPolicy: { Owner: { ID: alice.userId }, Grants: [] } })),
    ).rejects.toMatchObject(denied);
    await aliceS3.send(
      new PutObjectAclCommand({
        Bucket: B,
        Key: "shared",
        AccessControlPolicy: { Owner: { ID: ROOT_USER_ID }, Grants: [{ Grantee: { Type: "CanonicalUser", ID: alice.userId }, Permission: "READ" }] },
      }),
    );
    expect((await readAll(aliceS3, B, "shared")).toString()).toBe("s");
    // She gave away her own WRITE_ACP.
    await expect(aliceS3.send(new PutObjectAclCommand({ Bucket: B, Key: "shared", ACL: "public-read" }))).rejects.toMatchObject(denied);
  });
});

describe("ACL headers on writes", () => {
  it("CreateBucket with grant headers: a WRITE grantee uploads objects it owns, which the bucket owner cannot read", async () => {
    await root.send(new CreateBucketCommand({ Bucket: "acl-dropbox", GrantWrite: `id=${alice.userId}` }));
    await aliceS3.send(new PutObjectCommand({ Bucket: "acl-dropbox", Key: "mine", Body: "alice's" }));
    const acl = await aliceS3.send(new GetObjectAclCommand({ Bucket: "acl-dropbox", Key: "mine" }));
    expect(acl.Owner?.ID).toBe(alice.userId);
    await expect(root.send(new GetObjectCommand({ Bucket: "acl-dropbox", Key: "mine" }))).rejects.toMatchObject(denied);
    await expect(root.send(new GetObjectAclCommand({ Bucket: "acl-dropbox", Key: "mine" }))).rejects.toMatchObject(denied);
    // ... but lists it and may delete it (bucket FULL_CONTROL).
    expect((await root.send(new ListObjectsV2Command({ Bucket: "acl-dropbox" }))).Contents?.map((c) => c.Key)).toEqual(["mine"]);
    await root.send(new DeleteObjectCommand({ Bucket: "acl-dropbox", Key: "mine" }));
  });

  it("bucket-owner-read and bucket-owner-full-control give the bucket owner access to others' objects", async () => {
    await aliceS3.send(new PutObjectCommand({ Bucket: "acl-dropbox", Key: "bor", Body: "read me", ACL: "bucket-owner-read" }));
    await aliceS3.send(new PutObjectCommand({ Bucket: "acl-dropbox", Key: "bofc", Body: "all yours", ACL: "bucket-owner-full-control" }));
    expect((await readAll(root, "acl-dropbox", "bor")).toString()).toBe("read me");
    await expect(root.send(new PutObjectAclCommand({ Bucket: "acl-dropbox", Key: "bor", ACL: "private" }))).rejects.toMatchObject(denied);
    expect((await readAll(root, "acl-dropbox", "bofc")).toString()).toBe("all yours");
    expect((await root.send(new GetObjectAclCommand({ Bucket: "acl-dropbox", Key: "bofc" }))).Grants?.map((g) => [g.Grantee?.ID, g.Permission])).toEqual([
      [alice.userId, "FULL_CONTROL"],
      [ROOT_USER_ID, "FULL_CONTROL"],
    ]);
  });

  it("grants by e-mail on PutObject, and refuses an unknown e-mail before storing anything", async () => {
    await root.send(new PutObjectCommand({ Bucket: "acl-setup", Key: "for-alice", Body: "hi alice", GrantRead: 'emailAddress="ALICE@example.com"' }));
    expect((await readAll(aliceS3, "acl-setup", "for-alice")).toString()).toBe("hi alice");
    await expect(bobS3.send(new GetObjectCommand({ Bucket: "acl-setup", Key: "for-alice" }))).rejects.toMatchObject(denied);

    const before = await snapshot(h);
    await expect(
      root.send(new PutObjectCommand({ Bucket: "acl-setup", Key: "nobody", Body: randomBytes(10_000), GrantRead: "emailAddress=nobody@example.com" })),
    ).rejects.toMatchObject({ name: "UnresolvableGrantByEmailAddress", $metadata: { httpStatusCode: 400 } });
    expect(changes(before, await snapshot(h))).toEqual([]);
  });

  it("authenticated-read objects are readable by any user's key, not anonymously", async () => {
    await root.send(new PutObjectCommand({ Bucket: "acl-setup", Key: "members", Body: "members only", ACL: "authenticated-read" }));
    expect((await readAll(aliceS3, "acl-setup", "members")).toString()).toBe("members only");
    expect((await readAll(bobS3, "acl-setup", "members")).toString()).toBe("members only");
    expect((await anon("/acl-setup/members")).status).toBe(403);
  });

  it("CopyObject never inherits the source's ACL; the copy takes the request's", async () => {
    await root.send(new PutObjectCommand({ Bucket: "acl-setup", Key: "src", Body: "copied bytes", ACL: "public-read" }));
    await root.send(new CopyObjectCommand({ Bucket: "acl-setup", Key: "copy-private", CopySource: "acl-setup/src" }));
    expect((await anon("/acl-setup/copy-private")).status).toBe(403);
    expect((await root.send(new GetObjectAclCommand({ Bucket: "acl-setup", Key: "copy-private" }))).Grants).toHaveLength(1);
    await root.send(new CopyObjectCommand({ Bucket: "acl-setup", Key: "copy-public", CopySource: "acl-setup/src", ACL: "public-read" }));
    const res = await anon("/acl-setup/copy-public");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("copied bytes");
  });

  it("CopyObject needs READ on the source: a public object can be copied by others, a private one cannot", async () => {
    await aliceS3.send(new CreateBucketCommand({ Bucket: "acl-alice" }));
    await aliceS3.send(new CopyObjectCommand({ Bucket: "acl-alice", Key: "got-it", CopySource: "acl-setup/src" }));
    expect((await readAll(aliceS3, "acl-alice", "got-it")).toString()).toBe("copied bytes");
    await expect(aliceS3.send(new CopyObjectCommand({ Bucket: "acl-alice", Key: "nope", CopySource: "acl-setup/copy-private" }))).rejects.toMatchObject(denied);
    await expect(aliceS3.send(new CopyObjectCommand({ Bucket: "acl-alice", Key: "nope", CopySource: "acl-setup/missing" }))).rejects.toMatchObject(denied);
  });

  it("applies CreateMultipartUpload's ACL to the completed object", async () => {
    const { UploadId } = await root.send(new CreateMultipartUploadCommand({ Bucket: "acl-setup", Key: "mpu", ACL: "public-read" }));
    const part = randomBytes(20_000);
    const { ETag } = await root.send(new UploadPartCommand({ Bucket: "acl-setup", Key: "mpu", UploadId, PartNumber: 1, Body: part }));
    expect((await anon("/acl-setup/mpu")).status).toBe(403);
    await root.send(new CompleteMultipartUploadCommand({ Bucket: "acl-setup", Key: "mpu", UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag }] } }));
    const res = await anon("/acl-setup/mpu");
    expect(res.status).toBe(200);
    expect(Buffer.compare(Buffer.from(await res.arrayBuffer()), part)).toBe(0);
  });

  it("public-read-write buckets take anonymous uploads (owned by the bucket owner); private ones refuse them unchanged", async () => {
    await root.send(new CreateBucketCommand({ Bucket: "acl-inbox", ACL: "public-read-write" }));
    const put = await fetch(`${h.url}/acl-inbox/anon.txt`, { method: "PUT", body: "from nobody" });
    expect(put.status).toBe(200);
    expect((await readAll(root, "acl-inbox", "anon.txt")).toString()).toBe("from nobody");
    expect((await root.send(new GetObjectAclCommand({ Bucket: "acl-inbox", Key: "anon.txt" }))).Owner?.ID).toBe(ROOT_USER_ID);

    const before = await snapshot(h);
    expect(await outcome(await fetch(`${h.url}/acl-setup/anon.txt`, { method: "PUT", body: "x".repeat(5000) }))).toMatchObject({
      status: 403,
      code: "AccessDenied",
    });
    expect(changes(before, await snapshot(h))).toEqual([]);
  });
});
