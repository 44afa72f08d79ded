/**
 * S3 object semantics that clients rely on without asking, end to end over HTTP against workerd
 * (@aws-sdk/client-s3 and raw signed requests): x-amz-expected-bucket-owner, who sees an object's
 * lock headers and who may bypass governance, POST Object tags and checksums, presigned URL
 * expiry, version ids of unversioned and suspended buckets, partNumber reads, CompleteMultipartUpload
 * retried after success, non-ASCII user metadata and encoding-type=url.
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetBucketAclCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListPartsCommand,
  ListObjectsV2Command,
  PutBucketAclCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formBody, signedPostFields } from "../support/post-form";
import http from "node:http";
import { closeRawAgent, codeOf, presignV4, sendRaw, signV4, target, type RawRequest } from "../support/raw-signer";
import { r2Keys, ROOT, runCron, startWorker, streamToBuffer, type Harness } from "./harness";
import { createKey, createUser, outcome, send, type Creds } from "./principals";

let h: Harness;
let s3: S3Client;
let rootId: string;
const B = "sem";
const MiB = 1024 * 1024;
/** SOS_MAX_REQUEST_BYTES of this file's Worker: small, so that a chunked PUT can pass it cheaply. */
const MAX_REQUEST = 12 * MiB;
const LOCK = "sem-lock";

beforeAll(async () => {
  h = await startWorker({ SOS_REQUIRE_HTTPS_FOR_SSEC: "false", SOS_MAX_REQUEST_BYTES: String(MAX_REQUEST) });
  s3 = h.client();
  await s3.send(new CreateBucketCommand({ Bucket: B }));
  await s3.send(new CreateBucketCommand({ Bucket: LOCK, ObjectLockEnabledForBucket: true }));
  rootId = (await s3.send(new ListBucketsCommand({}))).Owner!.ID!;
});
afterAll(async () => {
  closeRawAgent();
  await h?.dispose();
});

const inDays = (n: number) => new Date(Date.now() + n * 86_400_000);
const crc32Base64 = async (data: Buffer) => {
  const { crc32 } = await import("@aws-crypto/crc32");
  const b = Buffer.alloc(4);
  b.writeUInt32BE(crc32(data) >>> 0);
  return b.toString("base64");
};

describe("x-amz-expected-bucket-owner", () => {
  const other = "0".repeat(64);
  const withOwner = (id: string) => ({ ExpectedBucketOwner: id });

  it("lets bucket and object operations through when it names the owner, and refuses them with 403 otherwise", async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "owned", Body: "x", ...withOwner(rootId) }));
    await s3.send(new HeadBucketCommand({ Bucket: B, ...withOwner(rootId) }));
    expect((await s3.send(new GetObjectCommand({ Bucket: B, Key: "owned", ...withOwner(rootId) }))).ContentLength).toBe(1);

    const refused = [
      new HeadBucketCommand({ Bucket: B, ...withOwner(other) }),
      new ListObjectsV2Command({ Bucket: B, ...withOwner(other) }),
      new GetBucketAclCommand({ Bucket: B, ...withOwner(other) }),
      new PutObjectCommand({ Bucket: B, Key: "not-written", Body: "x", ...withOwner(other) }),
      new GetObjectCommand({ Bucket: B, Key: "owned", ...withOwner(other) }),
      new HeadObjectCommand({ Bucket: B, Key: "owned", ...withOwner(other) }),
      new DeleteObjectCommand({ Bucket: B, Key: "owned", ...withOwner(other) }),
      new GetObjectTaggingCommand({ Bucket: B, Key: "owned", ...withOwner(other) }),
    ];
    for (const command of refused) {
      // biome-ignore lint/suspicious/noExplicitAny: one loop over commands of different types
      await expect(s3.send(command as any), command.constructor.name).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
    }
    // Nothing was written or deleted by the refused requests.
    await expect(s3.send(new HeadObjectCommand({ Bucket: B, Key: "not-written" }))).rejects.toMatchObject({ name: "NotFound" });
    expect((await s3.send(new HeadObjectCommand({ Bucket: B, Key: "owned" }))).ContentLength).toBe(1);
  });

  it("checks a copy's source bucket with x-amz-source-expected-bucket-owner", async () => {
    const copy = (owner: string) =>
      s3.send(new CopyObjectCommand({ Bucket: B, Key: "copied", CopySource: `${B}/owned`, ExpectedSourceBucketOwner: owner, ExpectedBucketOwner: rootId }));
    await expect(copy(other)).rejects.toMatchObject({ name: "AccessDenied", $metadata: { httpStatusCode: 403 } });
    await expect(s3.send(new HeadObjectCommand({ Bucket: B, Key: "copied" }))).rejects.toMatchObject({ name: "NotFound" });
    await copy(rootId);
    expect((await s3.send(new HeadObjectCommand({ Bucket: B, Key: "copied" }))).ContentLength).toBe(1);
  });
});

describe("object lock headers and the governance bypass", () => {
  let reader: Creds;
  let scoped: Creds;
  let scopedWithBypass: Creds;
  let versionId: string;
  beforeAll(async () => {
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: LOCK,
        Key: "held",
        Body: "locked bytes",
        ObjectLockMode: "GOVERNANCE",
        ObjectLockRetainUntilDate: inDays(1),
        ObjectLockLegalHoldStatus: "OFF",
        ChecksumAlgorithm: "CRC32",
      }),
    );
    versionId = put.VersionId!;
    // A reader of everything, through the bucket policy, but not of retention or legal holds.
    const user = await createUser(h, "lock-reader");
    reader = await createKey(h, user.userId);
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: LOCK,
        Policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Principal: { AWS: [user.userId] }, Action: ["s3:GetObject", "s3:GetObjectVersion"], Resource: `arn:aws:s3:::${LOCK}/*` },
          ],
        }),
      }),
    );
    scoped = await createKey(h, rootId, { bucket: LOCK, operations: ["GetObject", "HeadObject", "DeleteObject"] });
    scopedWithBypass = await createKey(h, rootId, { bucket: LOCK, operations: ["GetObject", "HeadObject", "DeleteObject", "BypassGovernanceRetention"] });
  });

  it("shows the retention and legal hold on GET/HEAD only to callers who may read them", async () => {
    const full = await s3.send(new HeadObjectCommand({ Bucket: LOCK, Key: "held" }));
    expect(full.ObjectLockMode).toBe("GOVERNANCE");
    expect(full.ObjectLockRetainUntilDate).toBeInstanceOf(Date);
    expect(full.ObjectLockLegalHoldStatus).toBe("OFF");

    for (const who of [reader, scoped]) {
      const res = await send(h, who, "GET", `/${LOCK}/held`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("locked bytes");
      expect(res.headers.get("x-amz-object-lock-mode")).toBeNull();
      expect(res.headers.get("x-amz-object-lock-retain-until-date")).toBeNull();
      expect(res.headers.get("x-amz-object-lock-legal-hold")).toBeNull();
      const head = await send(h, who, "HEAD", `/${LOCK}/held`);
      expect(head.status).toBe(200);
      expect(head.headers.get("x-amz-object-lock-mode")).toBeNull();
    }
  });

  it("lets a bucket-scoped key whose operation list names BypassGovernanceRetention delete a GOVERNANCE-locked version", async () => {
    const del = (who: Creds, bypass: boolean) =>
      send(h, who, "DELETE", `/${LOCK}/held?versionId=${versionId}`, { headers: bypass ? { "x-amz-bypass-governance-retention": "true" } : {} });
    expect(await outcome(await del(scoped, true))).toMatchObject({ status: 403, code: "AccessDenied" });
    expect(await outcome(await del(scopedWithBypass, false))).toMatchObject({ status: 403, code: "AccessDenied" });
    expect((await s3.send(new HeadObjectCommand({ Bucket: LOCK, Key: "held", VersionId: versionId }))).ContentLength).toBe(12);
    expect((await del(scopedWithBypass, true)).status).toBe(204);
    await expect(s3.send(new HeadObjectCommand({ Bucket: LOCK, Key: "held", VersionId: versionId }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
  });

  it("still never bypasses a legal hold", async () => {
    const v = (await s3.send(new PutObjectCommand({ Bucket: LOCK, Key: "hold", Body: "x", ChecksumAlgorithm: "CRC32", ObjectLockLegalHoldStatus: "ON" })))
      .VersionId!;
    const res = await send(h, scopedWithBypass, "DELETE", `/${LOCK}/hold?versionId=${v}`, { headers: { "x-amz-bypass-governance-retention": "true" } });
    expect(await outcome(res)).toMatchObject({ status: 403, code: "AccessDenied" });
    await s3.send(new PutObjectLegalHoldCommand({ Bucket: LOCK, Key: "hold", VersionId: v, LegalHold: { Status: "OFF" }, ChecksumAlgorithm: "CRC32" }));
  });

  it("refuses an operation list naming an unknown permission", async () => {
    const r = await h.admin("POST", "/_admin/keys", { userId: rootId, operations: ["GetObject", "BypassEverything"] });
    expect(r.status).toBe(400);
  });
});

describe("POST Object forms", () => {
  const md5hex = (b: Buffer) => createHash("md5").update(b).digest("hex");
  async function post(fields: Record<string, string>, data: Buffer) {
    const all = {
      ...fields,
      ...signedPostFields(ROOT, [
        { bucket: B },
        ["starts-with", "$key", "forms/"],
        ...Object.keys(fields)
          .filter((k) => k !== "key")
          .map((k) => ["starts-with", `$${k}`, ""]),
      ]),
    };
    const { body, contentType } = formBody(Object.entries(all), { filename: "f", data });
    const res = await fetch(`${h.url}/${B}`, { method: "POST", body, headers: { "content-type": contentType } });
    const text = await res.text();
    return { status: res.status, headers: res.headers, code: codeOf(text), text };
  }
  const tagging = (tags: [string, string][]) =>
    `<Tagging><TagSet>${tags.map(([k, v]) => `<Tag><Key>${k}</Key><Value>${v}</Value></Tag>`).join("")}</TagSet></Tagging>`;

  it("apply the tags of the tagging field", async () => {
    const r = await post(
      {
        key: "forms/tagged",
        tagging: tagging([
          ["project", "blue sky"],
          ["team", "a+b"],
        ]),
      },
      Buffer.from("tagged"),
    );
    expect(r.status).toBe(204);
    const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: B, Key: "forms/tagged" }));
    expect(tags.TagSet).toEqual([
      { Key: "project", Value: "blue sky" },
      { Key: "team", Value: "a+b" },
    ]);
    expect((await s3.send(new HeadObjectCommand({ Bucket: B, Key: "forms/tagged" }))).TagCount).toBe(2);
  });

  it("refuse tags as PutObjectTagging does (S3 answers BadRequest past 10 tags, InvalidTag for a bad tag), storing nothing", async () => {
    const eleven = Array.from({ length: 11 }, (_, i) => [`k${i}`, "v"] as [string, string]);
    expect(await post({ key: "forms/bad-tags", tagging: tagging(eleven) }, Buffer.from("x"))).toMatchObject({ status: 400, code: "BadRequest" });
    expect(await post({ key: "forms/bad-tags", tagging: tagging([["k".repeat(129), "v"]]) }, Buffer.from("x"))).toMatchObject({
      status: 400,
      code: "InvalidTag",
    });
    expect(
      await post(
        {
          key: "forms/bad-tags",
          tagging: tagging([
            ["k", "v"],
            ["k", "w"],
          ]),
        },
        Buffer.from("x"),
      ),
    ).toMatchObject({ status: 400, code: "InvalidTag" });
    expect(await post({ key: "forms/bad-tags", tagging: "<Tagging><TagSet>" }, Buffer.from("x"))).toMatchObject({ status: 400, code: "MalformedXML" });
    await expect(s3.send(new HeadObjectCommand({ Bucket: B, Key: "forms/bad-tags" }))).rejects.toMatchObject({ name: "NotFound" });
  });

  it("verify an x-amz-checksum-<algorithm> field over the file, and store it", async () => {
    const data = Buffer.from("form checksum body");
    const r = await post({ key: "forms/summed", "x-amz-checksum-crc32": await crc32Base64(data) }, data);
    expect(r.status).toBe(204);
    expect(r.headers.get("x-amz-checksum-crc32")).toBe(await crc32Base64(data));
    const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: "forms/summed", ChecksumMode: "ENABLED" }));
    expect(head.ChecksumCRC32).toBe(await crc32Base64(data));
    expect(head.ETag).toBe(`"${md5hex(data)}"`);

    const bad = await post({ key: "forms/bad-sum", "x-amz-checksum-crc32": await crc32Base64(Buffer.from("other")) }, data);
    expect(bad).toMatchObject({ status: 400, code: "BadDigest" });
    await expect(s3.send(new HeadObjectCommand({ Bucket: B, Key: "forms/bad-sum" }))).rejects.toMatchObject({ name: "NotFound" });
  });

  it("compute the checksum named by x-amz-checksum-algorithm", async () => {
    const data = Buffer.from("algorithm only");
    const r = await post({ key: "forms/computed", "x-amz-checksum-algorithm": "CRC32" }, data);
    expect(r.status).toBe(204);
    const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: "forms/computed", ChecksumMode: "ENABLED" }));
    expect(head.ChecksumCRC32).toBe(await crc32Base64(data));
  });
});

describe("presigned URLs", () => {
  it("answer 403 AccessDenied 'Request has expired' once expired, with S3's details", async () => {
    const signedAt = new Date(Date.now() - 120_000);
    const r = await sendRaw(presignV4(ROOT, { method: "GET", origin: h.url, path: `/${B}/owned` }, undefined, 60, signedAt));
    expect(r.status).toBe(403);
    expect(codeOf(r.body)).toBe("AccessDenied");
    expect(r.body).toContain("<Message>Request has expired</Message>");
    expect(r.body).toContain("<X-Amz-Expires>60</X-Amz-Expires>");
    expect(r.body).toMatch(/<Expires>[^<]+<\/Expires><ServerTime>[^<]+<\/ServerTime>/);
  });

  it("refuse an X-Amz-Expires over a week as S3 does: 400 AuthorizationQueryParametersError", async () => {
    const r = await sendRaw(presignV4(ROOT, { method: "GET", origin: h.url, path: `/${B}/owned` }, undefined, 604_801));
    expect(r.status).toBe(400);
    expect(codeOf(r.body)).toBe("AuthorizationQueryParametersError");
    expect(r.body).toContain("X-Amz-Expires must be less than a week (in seconds) that is 604800");
    const ok = await sendRaw(presignV4(ROOT, { method: "GET", origin: h.url, path: `/${B}/owned` }, undefined, 604_800));
    expect(ok.status).toBe(200);
  });
});

describe("version ids", () => {
  it("an unversioned bucket's writes answer no x-amz-version-id", async () => {
    const put = await sendRaw(signV4(ROOT, { method: "PUT", origin: h.url, path: `/${B}/plain` }, { kind: "signed", data: Buffer.from("p") }));
    expect(put.status).toBe(200);
    expect(put.headers["x-amz-version-id"]).toBeUndefined();
    const get = await sendRaw(signV4(ROOT, { method: "GET", origin: h.url, path: `/${B}/plain` }, { kind: "signed", data: Buffer.alloc(0) }));
    expect(get.headers["x-amz-version-id"]).toBeUndefined();
  });

  it("a suspended bucket's delete marker: 404 with x-amz-delete-marker and version id null; 405 by id", async () => {
    const S = "sem-suspended";
    await s3.send(new CreateBucketCommand({ Bucket: S }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: S, VersioningConfiguration: { Status: "Enabled" } }));
    const kept = (await s3.send(new PutObjectCommand({ Bucket: S, Key: "k", Body: "v1" }))).VersionId!;
    await s3.send(new PutBucketVersioningCommand({ Bucket: S, VersioningConfiguration: { Status: "Suspended" } }));
    const del = await s3.send(new DeleteObjectCommand({ Bucket: S, Key: "k" }));
    expect(del).toMatchObject({ DeleteMarker: true, VersionId: "null" });

    const get = async (method: string, query: [string, string][] = []) =>
      sendRaw(signV4(ROOT, { method, origin: h.url, path: `/${S}/k`, query }, { kind: "signed", data: Buffer.alloc(0) }));
    for (const method of ["GET", "HEAD"]) {
      const r = await get(method);
      expect(r.status).toBe(404);
      expect(r.headers["x-amz-delete-marker"]).toBe("true");
      expect(r.headers["x-amz-version-id"]).toBe("null");
      if (method === "GET") expect(codeOf(r.body)).toBe("NoSuchKey");
      const byId = await get(method, [["versionId", "null"]]);
      expect(byId.status).toBe(405);
      expect(byId.headers["x-amz-delete-marker"]).toBe("true");
      expect(byId.headers["last-modified"]).toBeDefined();
    }
    const old = await s3.send(new GetObjectCommand({ Bucket: S, Key: "k", VersionId: kept }));
    expect((await streamToBuffer(old.Body)).toString()).toBe("v1");
  });
});

describe("partNumber reads", () => {
  const ssecKey = randomBytes(32);
  const sse = { SSECustomerAlgorithm: "AES256", SSECustomerKey: ssecKey.toString("base64") };
  const parts = [randomBytes(5 * 1024 * 1024), randomBytes(1000)];
  beforeAll(async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "single", Body: "single put" }));
    // One multipart object (SSE-C) serves every case: parts must be 5 MiB but the last.
    for (const [Key, extra] of [["mp-ssec", sse]] as const) {
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key, ...extra }));
      const done = [];
      for (const [i, Body] of parts.entries()) {
        const r = await s3.send(new UploadPartCommand({ Bucket: B, Key, UploadId, PartNumber: i + 1, Body, ...extra }));
        done.push({ PartNumber: i + 1, ETag: r.ETag });
      }
      await s3.send(new CompleteMultipartUploadCommand({ Bucket: B, Key, UploadId, MultipartUpload: { Parts: done } }));
    }
  });
  const keyHeaders = {
    "x-amz-server-side-encryption-customer-algorithm": "AES256",
    "x-amz-server-side-encryption-customer-key": ssecKey.toString("base64"),
    "x-amz-server-side-encryption-customer-key-md5": createHash("md5").update(ssecKey).digest("base64"),
  };
  const read = (method: string, key: string, query: [string, string][], headers: Record<string, string> = {}) =>
    sendRaw(signV4(ROOT, { method, origin: h.url, path: `/${B}/${key}`, query, headers }, { kind: "signed", data: Buffer.alloc(0) }));

  it("partNumber=1 of a single-PUT object is the whole object; other numbers are 416 InvalidPartNumber with S3's details", async () => {
    const one = await read("GET", "single", [["partNumber", "1"]]);
    expect(one.body).toBe("single put");
    expect(one.headers["x-amz-mp-parts-count"]).toBeUndefined();
    const two = await read("GET", "single", [["partNumber", "2"]]);
    expect(two.status).toBe(416);
    expect(codeOf(two.body)).toBe("InvalidPartNumber");
    expect(two.body).toContain("<PartNumberRequested>2</PartNumberRequested><ActualPartCount>1</ActualPartCount>");
    expect((await read("HEAD", "single", [["partNumber", "2"]])).status).toBe(416);
  });

  it("a part past the last of a multipart object is 416 InvalidPartNumber; numbers outside 1-10000 are 400 InvalidArgument", async () => {
    const three = await read("GET", "mp-ssec", [["partNumber", "3"]], keyHeaders);
    expect(three.status).toBe(416);
    expect(three.body).toContain("<PartNumberRequested>3</PartNumberRequested><ActualPartCount>2</ActualPartCount>");
    for (const n of ["0", "10001", "x"]) {
      const r = await read("GET", "mp-ssec", [["partNumber", n]], keyHeaders);
      expect(r.status, n).toBe(400);
      expect(codeOf(r.body)).toBe("InvalidArgument");
    }
  });

  it("partNumber with a Range header is 400 InvalidRequest", async () => {
    const r = await read("GET", "mp-ssec", [["partNumber", "1"]], { ...keyHeaders, range: "bytes=0-10" });
    expect(r.status).toBe(400);
    expect(codeOf(r.body)).toBe("InvalidRequest");
    expect(r.body).toContain("Cannot specify both Range header and partNumber query parameter");
  });

  it("SSE-C part reads need the object's key, then serve the part decrypted", async () => {
    const second = await s3.send(new GetObjectCommand({ Bucket: B, Key: "mp-ssec", PartNumber: 2, ...sse }));
    expect(second.PartsCount).toBe(2);
    expect(Buffer.compare(await streamToBuffer(second.Body), parts[1])).toBe(0);
    await expect(s3.send(new GetObjectCommand({ Bucket: B, Key: "mp-ssec", PartNumber: 2 }))).rejects.toMatchObject({
      name: "InvalidRequest",
      $metadata: { httpStatusCode: 400 },
    });
    await expect(s3.send(new HeadObjectCommand({ Bucket: B, Key: "mp-ssec", PartNumber: 3, ...sse }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 416 },
    });
  });
});

describe("CompleteMultipartUpload retried", () => {
  const V = "sem-versioned";
  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: V }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: V, VersioningConfiguration: { Status: "Enabled" } }));
  });
  async function uploadOnePart(Bucket: string, Key: string) {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key, ChecksumAlgorithm: "CRC32" }));
    const p = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: "only part", ChecksumAlgorithm: "CRC32" }));
    return { UploadId: UploadId!, parts: [{ PartNumber: 1, ETag: p.ETag, ChecksumCRC32: p.ChecksumCRC32 }] };
  }

  it("after success answers the same ETag, Location, version id and checksum again, until the memory is swept", async () => {
    const { UploadId, parts } = await uploadOnePart(V, "retried");
    const complete = () => s3.send(new CompleteMultipartUploadCommand({ Bucket: V, Key: "retried", UploadId, MultipartUpload: { Parts: parts } }));
    const first = await complete();
    const again = await complete();
    expect(first.ETag).toMatch(/-1"$/);
    for (const field of ["ETag", "Location", "VersionId", "ChecksumCRC32", "Bucket", "Key"] as const) expect(again[field], field).toBe(first[field]);
    expect(again.VersionId).toBeDefined();
    // The retry wrote nothing: still one version.
    const head = await s3.send(new HeadObjectCommand({ Bucket: V, Key: "retried" }));
    expect(head.VersionId).toBe(first.VersionId);
    const versions = await sendRaw(
      signV4(
        ROOT,
        {
          method: "GET",
          origin: h.url,
          path: `/${V}`,
          query: [
            ["versions", null],
            ["prefix", "retried"],
          ],
        },
        { kind: "signed", data: Buffer.alloc(0) },
      ),
    );
    expect(versions.body.match(/<Version>/g)).toHaveLength(1);

    // Under another key, the upload id names nothing.
    await expect(s3.send(new CompleteMultipartUploadCommand({ Bucket: V, Key: "other", UploadId, MultipartUpload: { Parts: parts } }))).rejects.toMatchObject({
      name: "NoSuchUpload",
    });
    // The sweep forgets completions older than the memory (one hour).
    await runCron(h, new Date(Date.now() + 2 * 3600_000));
    await expect(complete()).rejects.toMatchObject({ name: "NoSuchUpload", $metadata: { httpStatusCode: 404 } });
  });

  it("an aborted upload is NoSuchUpload, never a remembered completion", async () => {
    const { UploadId, parts } = await uploadOnePart(B, "aborted");
    await sendRaw(
      signV4(ROOT, { method: "DELETE", origin: h.url, path: `/${B}/aborted`, query: [["uploadId", UploadId]] }, { kind: "signed", data: Buffer.alloc(0) }),
    );
    await expect(s3.send(new CompleteMultipartUploadCommand({ Bucket: B, Key: "aborted", UploadId, MultipartUpload: { Parts: parts } }))).rejects.toMatchObject(
      { name: "NoSuchUpload" },
    );
  });

  it("a part uploaded twice whose first upload finishes last keeps the upload acknowledged last", async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: "raced" }));
    const slowBody = randomBytes(256 * 1024);
    const slow = signV4(
      ROOT,
      {
        method: "PUT",
        origin: h.url,
        path: `/${B}/raced`,
        query: [
          ["partNumber", "1"],
          ["uploadId", UploadId!],
        ],
      },
      { kind: "unsigned", data: slowBody },
    );
    // The first upload sends half its body and waits while the second one is uploaded and acknowledged.
    const { finish, answer } = sendInTwoHalves(slow);
    const fast = await s3.send(new UploadPartCommand({ Bucket: B, Key: "raced", UploadId, PartNumber: 1, Body: "fast and small" }));
    finish();
    const slowAnswer = await answer;
    expect(slowAnswer.status).toBe(200);
    const slowEtag = `"${createHash("md5").update(slowBody).digest("hex")}"`;
    expect(slowAnswer.etag).toBe(slowEtag);
    expect(fast.ETag).not.toBe(slowEtag);

    const listed = await s3.send(new ListPartsCommand({ Bucket: B, Key: "raced", UploadId }));
    expect(listed.Parts?.map((p) => [p.PartNumber, p.ETag, p.Size])).toEqual([[1, slowEtag, slowBody.length]]);
    await expect(
      s3.send(new CompleteMultipartUploadCommand({ Bucket: B, Key: "raced", UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: fast.ETag }] } })),
    ).rejects.toMatchObject({ name: "InvalidPart" });
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: B, Key: "raced", UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: slowEtag }] } }));
    const got = await s3.send(new GetObjectCommand({ Bucket: B, Key: "raced" }));
    expect(Buffer.compare(await streamToBuffer(got.Body), slowBody)).toBe(0);
  });
});

/** Puts `r` on the wire with half its body; `finish()` sends the rest. */
function sendInTwoHalves(r: RawRequest): { finish: () => void; answer: Promise<{ status: number; etag: string | undefined }> } {
  const u = new URL(r.origin);
  let finish = () => {};
  const answer = new Promise<{ status: number; etag: string | undefined }>((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method: r.method, path: target(r), headers: r.headers, setHost: false }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode!, etag: res.headers.etag }));
    });
    req.on("error", reject);
    const half = r.body.length >> 1;
    req.write(r.body.subarray(0, half));
    finish = () => req.end(r.body.subarray(half));
  });
  return { finish, answer };
}

describe("ACL grantees", () => {
  /** Every Grantee element of an AccessControlPolicy, as [xsi:type, its child elements]. */
  const grantees = (xml: string) =>
    [...xml.matchAll(/<Grantee [^>]*xsi:type="([^"]+)"[^>]*>(.*?)<\/Grantee><Permission>([^<]+)<\/Permission>/g)].map(([, type, inner, permission]) => ({
      type,
      permission,
      fields: Object.fromEntries([...inner.matchAll(/<(\w+)>([^<]*)<\/\1>/g)].map(([, k, v]) => [k, v])),
    }));
  const acl = (who: Creds, path: string) => send(h, who, "GET", `${path}?acl`).then((r) => r.text());

  it("render canonical users with ID and DisplayName (the bucket owner of bucket-owner-read / -full-control included), groups with URI", async () => {
    const D = "sem-dropbox";
    await s3.send(new CreateBucketCommand({ Bucket: D }));
    const writer = await createUser(h, "dropbox-writer", "writer@example.com");
    const writerKey = await createKey(h, writer.userId);
    await s3.send(
      new PutBucketAclCommand({
        Bucket: D,
        GrantFullControl: `id=${rootId}`,
        GrantWrite: `id=${writer.userId}`,
        GrantRead: "uri=http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
      }),
    );
    const root = (await s3.send(new ListBucketsCommand({}))).Owner!;
    expect(root.DisplayName).toBeTruthy();

    for (const canned of ["bucket-owner-read", "bucket-owner-full-control"]) {
      const put = await send(h, writerKey, "PUT", `/${D}/${canned}`, { headers: { "x-amz-acl": canned }, body: "x" });
      expect(put.status).toBe(200);
      const got = grantees(await acl(writerKey, `/${D}/${canned}`));
      expect(got).toEqual([
        { type: "CanonicalUser", permission: "FULL_CONTROL", fields: { ID: writer.userId, DisplayName: "dropbox-writer" } },
        { type: "CanonicalUser", permission: canned === "bucket-owner-read" ? "READ" : "FULL_CONTROL", fields: { ID: rootId, DisplayName: root.DisplayName } },
      ]);
    }
    // A grant by e-mail is rendered as the canonical user it resolved to.
    const emailed = await send(h, ROOT, "PUT", `/${D}/emailed`, { headers: { "x-amz-grant-read": 'emailAddress="writer@example.com"' }, body: "x" });
    expect(emailed.status).toBe(200);
    expect(grantees(await acl(ROOT, `/${D}/emailed`))).toContainEqual({
      type: "CanonicalUser",
      permission: "READ",
      fields: { ID: writer.userId, DisplayName: "dropbox-writer" },
    });

    const bucketGrants = grantees(await acl(ROOT, `/${D}`));
    expect(bucketGrants).toContainEqual({ type: "CanonicalUser", permission: "WRITE", fields: { ID: writer.userId, DisplayName: "dropbox-writer" } });
    expect(bucketGrants).toContainEqual({ type: "Group", permission: "READ", fields: { URI: "http://acs.amazonaws.com/groups/global/AuthenticatedUsers" } });
    for (const g of bucketGrants.filter((g) => g.type === "CanonicalUser")) expect(Object.keys(g.fields).sort()).toEqual(["DisplayName", "ID"]);
  });
});

describe("encoding-type=url", () => {
  const E = "sem-encoding";
  // S3 form-encodes: a space is "+" and a literal "+" is "%2B" (measured on AWS; botocore decodes
  // with unquote_plus), UTF-8 bytes are %XX, and A-Z a-z 0-9 - _ . / * stay as they are.
  const keys = ["run books/a b.txt", "run books/x+y.txt", "한글/z.txt", "plain/ok-_.*.txt"];
  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: E }));
    for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: E, Key, Body: "e" }));
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: E, Key: "run books/up load" }));
    expect(UploadId).toBeDefined();
  });
  const list = async (query: [string, string | null][]) =>
    (
      await sendRaw(
        signV4(ROOT, { method: "GET", origin: h.url, path: `/${E}`, query: [...query, ["encoding-type", "url"]] }, { kind: "signed", data: Buffer.alloc(0) }),
      )
    ).body;
  const all = (xml: string, tag: string) => [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, "g"))].map((m) => m[1]);

  it("encodes keys, prefixes, delimiters, markers and CommonPrefixes the same way in all four listings", async () => {
    const v1 = await list([
      ["prefix", "run%20books%2F"],
      ["marker", "run%20books%2Fa"],
      ["delimiter", "%2F"],
    ]);
    expect(all(v1, "Key")).toEqual(["run+books/a+b.txt", "run+books/x%2By.txt"]);
    expect(all(v1, "Prefix")).toEqual(["run+books/"]);
    expect(all(v1, "Marker")).toEqual(["run+books/a"]);
    const v2 = await list([
      ["list-type", "2"],
      ["delimiter", "%2F"],
      ["start-after", "a%20b"],
    ]);
    expect(all(v2, "Prefix")).toEqual(["", "plain/", "run+books/", "%ED%95%9C%EA%B8%80/"]);
    expect(all(v2, "StartAfter")).toEqual(["a+b"]);
    const versions = await list([
      ["versions", null],
      ["prefix", "run%20books%2F"],
      ["key-marker", "run%20books%2Fa"],
    ]);
    expect(all(versions, "Key")).toEqual(["run+books/a+b.txt", "run+books/x%2By.txt"]);
    expect(all(versions, "KeyMarker")).toEqual(["run+books/a"]);
    expect(all(versions, "Prefix")).toEqual(["run+books/"]);
    const uploads = await list([
      ["uploads", null],
      ["prefix", "run%20books%2F"],
    ]);
    expect(all(uploads, "Key")).toEqual(["run+books/up+load"]);
    expect(all(uploads, "Prefix")).toEqual(["run+books/"]);
    const plain = await list([
      ["list-type", "2"],
      ["prefix", "plain%2F"],
    ]);
    expect(all(plain, "Key")).toEqual(["plain/ok-_.*.txt"]);
  });

  it("the SDK gets the keys back as stored", async () => {
    const r = await s3.send(new ListObjectsV2Command({ Bucket: E, EncodingType: "url" }));
    const decoded = r.Contents!.map((c) => decodeURIComponent(c.Key!.replace(/\+/g, " "))).sort();
    expect(decoded).toEqual([...keys].sort());
  });
});

describe("non-ASCII user metadata", () => {
  const word = (s: string) => `=?UTF-8?B?${Buffer.from(s).toString("base64")}?=`;

  it("comes back as an RFC 2047 encoded-word, whether sent as ISO-8859-1 header bytes (what the SDK sends) or as encoded-words", async () => {
    await s3.send(new PutObjectCommand({ Bucket: B, Key: "meta-latin1", Body: "m", Metadata: { city: "Zürich", plain: "ascii only" } }));
    const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: "meta-latin1" }));
    expect(head.Metadata).toEqual({ city: word("Zürich"), plain: "ascii only" });

    await s3.send(new PutObjectCommand({ Bucket: B, Key: "meta-word", Body: "m", Metadata: { name: word("日本語"), q: "=?utf-8?Q?caf=C3=A9?=" } }));
    const got = await s3.send(new GetObjectCommand({ Bucket: B, Key: "meta-word" }));
    expect(got.Metadata).toEqual({ name: word("日本語"), q: word("café") });
    await streamToBuffer(got.Body);
    // A copy keeps the decoded value, and a REPLACE copy decodes its own.
    await s3.send(new CopyObjectCommand({ Bucket: B, Key: "meta-copy", CopySource: `${B}/meta-word` }));
    expect((await s3.send(new HeadObjectCommand({ Bucket: B, Key: "meta-copy" }))).Metadata).toEqual({ name: word("日本語"), q: word("café") });
  });

  it("in a POST form (UTF-8 text) is stored as text and returned encoded", async () => {
    const fields = { key: "forms/meta", "x-amz-meta-title": "Grüße 日本" };
    const all = { ...fields, ...signedPostFields(ROOT, [{ bucket: B }, ["starts-with", "$key", "forms/"], ["starts-with", "$x-amz-meta-title", ""]]) };
    const { body, contentType } = formBody(Object.entries(all), { filename: "f", data: Buffer.from("x") });
    const res = await fetch(`${h.url}/${B}`, { method: "POST", body, headers: { "content-type": contentType } });
    expect(res.status).toBe(204);
    expect((await s3.send(new HeadObjectCommand({ Bucket: B, Key: "forms/meta" }))).Metadata).toEqual({ title: word("Grüße 日本") });
  });
});

describe("PutObject with Transfer-Encoding: chunked and no Content-Length", () => {
  const md5hex = (b: Buffer) => createHash("md5").update(b).digest("hex");
  /** A signed PUT sent with Transfer-Encoding: chunked (node frames it), in 1 MiB writes. */
  function putChunked(key: string, data: Buffer, opts: { signed?: boolean; headers?: Record<string, string> } = {}) {
    const r = signV4(
      ROOT,
      { method: "PUT", origin: h.url, path: `/${B}/${key}`, headers: { "transfer-encoding": "chunked", ...opts.headers } },
      opts.signed ? { kind: "signed", data } : { kind: "unsigned", data },
    );
    delete r.headers["content-length"];
    const u = new URL(r.origin);
    return new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
      const req = http.request({ host: u.hostname, port: u.port, method: r.method, path: target(r), headers: r.headers, setHost: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString(), headers: res.headers }));
      });
      req.on("error", reject);
      for (let at = 0; at < data.length; at += MiB) req.write(data.subarray(at, at + MiB));
      req.end();
    });
  }
  /** Blobs R2 holds that were not there `before` (earlier tests' superseded blobs may go meanwhile: only additions count). */
  const newBlobs = async (before: string[]) => (await r2Keys(h.mf)).filter((k) => !before.includes(k));
  const readBack = async (Key: string) => {
    const got = await s3.send(new GetObjectCommand({ Bucket: B, Key }));
    return { body: await streamToBuffer(got.Body), got };
  };

  it("stores a small body with its MD5 ETag", async () => {
    const data = Buffer.from("chunked but small");
    const r = await putChunked("te-small", data);
    expect(r.status).toBe(200);
    expect(r.headers.etag).toBe(`"${md5hex(data)}"`);
    const { body, got } = await readBack("te-small");
    expect(body.toString()).toBe("chunked but small");
    expect(got.ContentLength).toBe(data.length);
  });

  it("streams a body larger than one internal part into one object: MD5 ETag, checksum and signed SHA-256 verified", async () => {
    const data = randomBytes(9 * MiB + 12_345);
    const crc = await crc32Base64(data);
    const r = await putChunked("te-big", data, { signed: true, headers: { "x-amz-checksum-crc32": crc } });
    expect(r.status, r.body).toBe(200);
    expect(r.headers.etag).toBe(`"${md5hex(data)}"`);
    expect(r.headers["x-amz-checksum-crc32"]).toBe(crc);
    const { body, got } = await readBack("te-big");
    expect(got.ContentLength).toBe(data.length);
    expect(got.ETag).toBe(`"${md5hex(data)}"`);
    expect(Buffer.compare(body, data)).toBe(0);
    const ranged = await s3.send(new GetObjectCommand({ Bucket: B, Key: "te-big", Range: `bytes=${8 * MiB - 3}-${8 * MiB + 2}` }));
    expect(Buffer.compare(await streamToBuffer(ranged.Body), data.subarray(8 * MiB - 3, 8 * MiB + 3))).toBe(0);
    const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: "te-big", ChecksumMode: "ENABLED" }));
    expect(head.ChecksumCRC32).toBe(crc);
    expect(head.PartsCount).toBeUndefined();
  });

  it("refuses a body that fails its checksum, its Content-MD5 or its signed SHA-256, leaving nothing", async () => {
    const before = await r2Keys(h.mf);
    const data = randomBytes(9 * MiB);
    const badCrc = await putChunked("te-bad", data, { headers: { "x-amz-checksum-crc32": await crc32Base64(Buffer.from("other")) } });
    expect([badCrc.status, codeOf(badCrc.body)]).toEqual([400, "BadDigest"]);
    const badMd5 = await putChunked("te-bad", data, { headers: { "content-md5": createHash("md5").update("other").digest("base64") } });
    expect([badMd5.status, codeOf(badMd5.body)]).toEqual([400, "BadDigest"]);
    const signed = signV4(
      ROOT,
      { method: "PUT", origin: h.url, path: `/${B}/te-bad`, headers: { "transfer-encoding": "chunked" } },
      { kind: "signed", data: Buffer.from("x") },
    );
    delete signed.headers["content-length"];
    const badSha = await sendRaw({ ...signed, body: Buffer.from("y") });
    expect([badSha.status, codeOf(badSha.body)]).toEqual([400, "XAmzContentSHA256Mismatch"]);
    await expect(s3.send(new HeadObjectCommand({ Bucket: B, Key: "te-bad" }))).rejects.toMatchObject({ name: "NotFound" });
    expect(await newBlobs(before)).toEqual([]);
  });

  it("answers EntityTooLarge past SOS_MAX_REQUEST_BYTES, with nothing left behind", async () => {
    const before = await r2Keys(h.mf);
    const r = await putChunked("te-huge", randomBytes(MAX_REQUEST + MiB)).catch((e: Error) => ({ status: 0, body: e.message, headers: {} }));
    // The answer may come before the client has sent everything (then the connection is closed).
    if (r.status !== 0) expect([r.status, codeOf(r.body)]).toEqual([400, "EntityTooLarge"]);
    await expect(s3.send(new HeadObjectCommand({ Bucket: B, Key: "te-huge" }))).rejects.toMatchObject({ name: "NotFound" });
    expect(await newBlobs(before)).toEqual([]);
  });

  it("an UploadPart without Content-Length is still MissingContentLength", async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: "te-part" }));
    const r = signV4(
      ROOT,
      {
        method: "PUT",
        origin: h.url,
        path: `/${B}/te-part`,
        query: [
          ["partNumber", "1"],
          ["uploadId", UploadId!],
        ],
        headers: { "transfer-encoding": "chunked" },
      },
      { kind: "unsigned", data: Buffer.from("part") },
    );
    delete r.headers["content-length"];
    const res = await sendRaw(r);
    expect([res.status, codeOf(res.body)]).toEqual([411, "MissingContentLength"]);
  });
});
